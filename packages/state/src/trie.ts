import type { KvOp, KvStore } from "@charter/kv";
import { assert, bytesKey, equalBytes } from "@charter/utils";
import { StateError } from "./errors.js";
import { trieNodeKey } from "./keys.js";
import { bytesToNibbles, commonPrefixLength, concatNibbles, prependNibble } from "./nibbles.js";
import { TrieNodeCache } from "./nodeCache.js";
import {
  BRANCH_WIDTH,
  BranchNode,
  decodeNode,
  ExtensionNode,
  encodeNode,
  HASH_BYTES,
  LeafNode,
  NodeKind,
  type NodeRef,
  ownNode,
  type TrieNode,
} from "./trieNode.js";

/** The chain's hash function (Keccak-256 or SM3), injected so the trie works under either crypto suite. */
export type HashFn = (data: Uint8Array) => Uint8Array;

/**
 * Trie keys are hashes (32 bytes) for the state and small RLP indices for transaction and receipt tries; the
 * bound keeps the recursion depth of an update (two frames per nibble at most) far from the stack limit.
 */
export const TRIE_KEY_BYTES_MAX = 256;

/** Proofs longer than this many nodes cannot come from a trie with keys up to `TRIE_KEY_BYTES_MAX` bytes. */
const PROOF_NODES_MAX = 2 * 2 * TRIE_KEY_BYTES_MAX + 1;

const emptyRoots = new WeakMap<HashFn, Uint8Array>();

/** The root of the empty trie: `hash(rlp(""))`, 0x56e81f17…b421 under Keccak-256. */
export function emptyTrieRoot(hash: HashFn): Uint8Array {
  // Memoised per hash function: a state commit makes a trie handle per touched account.
  let root = emptyRoots.get(hash);
  if (root === undefined) {
    root = hash(Uint8Array.of(0x80));
    emptyRoots.set(hash, root);
  }
  return root.slice();
}

export interface TrieOptions {
  readonly hash: HashFn;
  /** Where committed nodes are read from (key `0x10 ‖ hash`); only `getSync` is used. */
  readonly kv: Pick<KvStore, "getSync">;
  /** Defaults to the empty root. */
  readonly root?: Uint8Array;
  /** Decoded-node cache, shared by every trie over the same store; a private one is made if absent. */
  readonly cache?: TrieNodeCache;
  /**
   * Default true: every node read from the store is hashed and compared with its key, so a corrupted store
   * cannot answer a query with wrong data. The block-commit path turns this off because those checks would be a
   * third of its time and the new state root already depends on every node it reads: a corrupted node yields a
   * root the other validators reject.
   */
  readonly verifyReads?: boolean;
}

/**
 * The result of `batchUpdate`: the new root, the store writes that make it readable (one put per new node), and
 * the new nodes themselves for `applyCommitted` to cache once the writes are durable.
 */
export interface TrieUpdate {
  readonly parentRoot: Uint8Array;
  readonly root: Uint8Array;
  readonly ops: readonly KvOp[];
  readonly nodes: readonly (readonly [hash: Uint8Array, node: TrieNode])[];
}

/**
 * An Ethereum-compatible Merkle Patricia Trie (Yellow Paper appendix D) over a `KvStore`. Nodes are stored by
 * hash under `0x10 ‖ hash` and never deleted, so every root ever committed stays readable (archive mode).
 *
 * The trie is a handle on one root. `batchUpdate` applies a whole block of changes in memory, hashes each new
 * node once, and returns the writes without performing them; after the caller has written them (with the rest
 * of the block, in one batch), `applyCommitted` moves the handle to the new root.
 *
 * @example
 * const trie = new Trie({ hash: keccak_256, kv });
 * const update = trie.batchUpdate([[key, value]]);
 * await kv.write(update.ops);
 * trie.applyCommitted(update);
 * trie.get(key); // value
 */
export class Trie {
  readonly #hash: HashFn;
  readonly #kv: Pick<KvStore, "getSync">;
  readonly #cache: TrieNodeCache;
  readonly #emptyRoot: Uint8Array;
  readonly #verifyReads: boolean;
  #root: Uint8Array;

  constructor(options: TrieOptions) {
    this.#hash = options.hash;
    this.#kv = options.kv;
    this.#cache = options.cache ?? new TrieNodeCache();
    this.#emptyRoot = emptyTrieRoot(options.hash);
    this.#root = options.root ?? this.#emptyRoot;
    this.#verifyReads = options.verifyReads ?? true;
    assert(this.#root.length === HASH_BYTES, "a trie root is a 32-byte hash");
  }

  get root(): Uint8Array {
    return this.#root;
  }

  /** A handle on another root of the same store, sharing this one's cache and options. */
  withRoot(root: Uint8Array): Trie {
    return new Trie({
      hash: this.#hash,
      kv: this.#kv,
      root,
      cache: this.#cache,
      verifyReads: this.#verifyReads,
    });
  }

  /** The value stored under `key`, or `undefined`. Throws `StateError("missing-node")` for an unknown root. */
  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(key);
    const path = bytesToNibbles(key);
    let node = this.#rootNode();
    let pos = 0;
    while (node !== null) {
      switch (node.kind) {
        case NodeKind.leaf:
          return node.path.length === path.length - pos &&
            commonPrefixLength(node.path, path, pos) === node.path.length
            ? node.value.slice()
            : undefined;
        case NodeKind.extension:
          if (commonPrefixLength(node.path, path, pos) !== node.path.length) return undefined;
          pos += node.path.length;
          node = this.#resolve(node.child);
          break;
        case NodeKind.branch: {
          if (pos === path.length) return node.value === null ? undefined : node.value.slice();
          const child = node.children[path[pos++]!]!;
          node = child === null ? null : this.#resolve(child);
          break;
        }
      }
    }
    return undefined;
  }

  /**
   * Applies `entries` in order (a `null` or empty value deletes the key, as in Ethereum) and returns the new root
   * and the node writes. Nothing is written and this handle keeps its root; see `applyCommitted`.
   */
  batchUpdate(entries: Iterable<readonly [key: Uint8Array, value: Uint8Array | null]>): TrieUpdate {
    let root = this.#rootNode();
    for (const [key, value] of entries) {
      checkKey(key);
      const path = bytesToNibbles(key);
      if (value === null || value.length === 0) {
        if (root !== null) root = this.#delete(root, path, 0);
      } else {
        // A copy, because the node may be cached and shared long after the caller reuses its buffer.
        root = this.#insert(root, path, 0, value.slice());
      }
    }
    const ops: KvOp[] = [];
    const nodes: [Uint8Array, TrieNode][] = [];
    if (root === null) return { parentRoot: this.#root, root: this.#emptyRoot, ops, nodes };
    const ref = this.#commit(root, ops, nodes);
    if (ref.length === HASH_BYTES) return { parentRoot: this.#root, root: ref, ops, nodes };
    // A root shorter than 32 bytes is still referred to (and stored) by its hash.
    const rootHash = this.#hash(ref);
    ops.push({ type: "put", key: trieNodeKey(rootHash), value: ref });
    nodes.push([rootHash, root]);
    return { parentRoot: this.#root, root: rootHash, ops, nodes };
  }

  /**
   * Moves this handle to `update.root` and caches the update's nodes. Call it once `update.ops` are durable:
   * the cache must only ever hold nodes that are also on disk.
   */
  applyCommitted(update: TrieUpdate): void {
    assert(
      equalBytes(update.parentRoot, this.#root),
      "a trie update is applied to the root it was made from",
    );
    for (const [hash, node] of update.nodes) this.#cache.set(bytesKey(hash), node);
    this.#root = update.root;
  }

  /**
   * A Merkle proof for `key` under this root: the encodings of the stored nodes on the path from the root, as
   * `eth_getProof` returns them (embedded nodes are inside their parent). It proves absence when the key is not
   * there.
   */
  prove(key: Uint8Array): Uint8Array[] {
    checkKey(key);
    const proof: Uint8Array[] = [];
    if (equalBytes(this.#root, this.#emptyRoot)) return proof;
    const path = bytesToNibbles(key);
    let ref: NodeRef | null = this.#root;
    let pos = 0;
    while (ref !== null) {
      let node: TrieNode;
      if (ref instanceof Uint8Array) {
        const encoding = this.#readEncoding(ref);
        proof.push(encoding);
        node = decodeNode(encoding, ref);
      } else {
        node = ref;
      }
      switch (node.kind) {
        case NodeKind.leaf:
          return proof;
        case NodeKind.extension:
          if (commonPrefixLength(node.path, path, pos) !== node.path.length) return proof;
          pos += node.path.length;
          ref = node.child;
          break;
        case NodeKind.branch:
          if (pos === path.length) return proof;
          ref = node.children[path[pos++]!]!;
          break;
      }
    }
    return proof;
  }

  /**
   * Checks a Merkle proof and returns the proven value, or `null` when the proof shows the key is absent.
   * Throws `StateError("invalid-proof")` when the proof does not connect `root` to the key's position.
   *
   * @example
   * const value = Trie.verifyProof(stateRoot, keccak_256(address), accountProof, keccak_256);
   */
  static verifyProof(
    root: Uint8Array,
    key: Uint8Array,
    proof: readonly Uint8Array[],
    hash: HashFn,
  ): Uint8Array | null {
    if (key.length > TRIE_KEY_BYTES_MAX || proof.length > PROOF_NODES_MAX) {
      throw new StateError("invalid-proof", "The proof or key is longer than any trie proof can be.");
    }
    const byHash = new Map<string, Uint8Array>();
    for (const encoding of proof) byHash.set(bytesKey(hash(encoding)), encoding);
    if (equalBytes(root, emptyTrieRoot(hash))) return null;
    const path = bytesToNibbles(key);
    let ref: NodeRef = root;
    let pos = 0;
    for (;;) {
      let node: TrieNode;
      if (ref instanceof Uint8Array) {
        const encoding = byHash.get(bytesKey(ref));
        if (encoding === undefined) {
          throw new StateError("invalid-proof", "The proof is missing a node on the path to the key.");
        }
        try {
          node = decodeNode(encoding, ref);
        } catch (cause) {
          throw new StateError("invalid-proof", "The proof contains a malformed trie node.", { cause });
        }
      } else {
        node = ref;
      }
      switch (node.kind) {
        case NodeKind.leaf:
          return node.path.length === path.length - pos &&
            commonPrefixLength(node.path, path, pos) === node.path.length
            ? node.value.slice()
            : null;
        case NodeKind.extension:
          if (commonPrefixLength(node.path, path, pos) !== node.path.length) return null;
          pos += node.path.length;
          ref = node.child;
          break;
        case NodeKind.branch: {
          if (pos === path.length) return node.value === null ? null : node.value.slice();
          const child: NodeRef | null = node.children[path[pos++]!]!;
          if (child === null) return null;
          ref = child;
          break;
        }
      }
    }
  }

  #rootNode(): TrieNode | null {
    return equalBytes(this.#root, this.#emptyRoot) ? null : this.#resolve(this.#root);
  }

  #readEncoding(hash: Uint8Array): Uint8Array {
    const encoding = this.#kv.getSync(trieNodeKey(hash));
    if (encoding === undefined) {
      throw new StateError(
        "missing-node",
        "A trie node is missing from the store: the root was never committed on this node, or data was lost.",
      );
    }
    // Corruption stops the node instead of being served (see `TrieOptions.verifyReads`).
    if (this.#verifyReads)
      assert(equalBytes(this.#hash(encoding), hash), "a stored trie node hashes to its key");
    return encoding;
  }

  #resolve(ref: NodeRef): TrieNode {
    if (!(ref instanceof Uint8Array)) return ref;
    const key = bytesKey(ref);
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const encoding = this.#readEncoding(ref);
    const node = decodeNode(encoding, encoding.length < HASH_BYTES ? encoding : ref);
    this.#cache.set(key, node);
    return node;
  }

  #insert(node: TrieNode | null, path: Uint8Array, pos: number, value: Uint8Array): TrieNode {
    if (node === null) return new LeafNode(path.subarray(pos), value);
    switch (node.kind) {
      case NodeKind.leaf: {
        const common = commonPrefixLength(node.path, path, pos);
        const rest = path.length - pos;
        if (common === node.path.length && common === rest) {
          if (equalBytes(node.value, value)) return node;
          const owned = ownNode(node);
          owned.value = value;
          return owned;
        }
        // The keys diverge (or one is a prefix of the other): a branch at the first differing nibble.
        const branch = new BranchNode();
        if (common === node.path.length) branch.value = node.value;
        else branch.children[node.path[common]!] = new LeafNode(node.path.subarray(common + 1), node.value);
        if (common === rest) branch.value = value;
        else branch.children[path[pos + common]!] = new LeafNode(path.subarray(pos + common + 1), value);
        return common > 0 ? new ExtensionNode(node.path.subarray(0, common), branch) : branch;
      }
      case NodeKind.extension: {
        const common = commonPrefixLength(node.path, path, pos);
        if (common === node.path.length) {
          const child = this.#resolve(node.child);
          const updated = this.#insert(child, path, pos + common, value);
          if (updated === child) return node;
          const owned = ownNode(node);
          owned.child = updated;
          return owned;
        }
        const branch = new BranchNode();
        const rest = node.path.subarray(common + 1);
        branch.children[node.path[common]!] =
          rest.length === 0 ? node.child : new ExtensionNode(rest, node.child);
        if (common === path.length - pos) branch.value = value;
        else branch.children[path[pos + common]!] = new LeafNode(path.subarray(pos + common + 1), value);
        return common > 0 ? new ExtensionNode(node.path.subarray(0, common), branch) : branch;
      }
      case NodeKind.branch: {
        if (pos === path.length) {
          if (node.value !== null && equalBytes(node.value, value)) return node;
          const owned = ownNode(node);
          owned.value = value;
          return owned;
        }
        const index = path[pos]!;
        const slot = node.children[index]!;
        const child: TrieNode | null = slot === null ? null : this.#resolve(slot);
        const updated = this.#insert(child, path, pos + 1, value);
        if (updated === child) return node;
        const owned = ownNode(node);
        owned.children[index] = updated;
        return owned;
      }
    }
  }

  /** Returns the same node when the key is absent, so unchanged subtrees keep their hashes. */
  #delete(node: TrieNode, path: Uint8Array, pos: number): TrieNode | null {
    switch (node.kind) {
      case NodeKind.leaf:
        return node.path.length === path.length - pos &&
          commonPrefixLength(node.path, path, pos) === node.path.length
          ? null
          : node;
      case NodeKind.extension: {
        if (commonPrefixLength(node.path, path, pos) !== node.path.length) return node;
        const child = this.#resolve(node.child);
        const updated = this.#delete(child, path, pos + node.path.length);
        if (updated === child) return node;
        return updated === null ? null : this.#joinExtension(node, updated);
      }
      case NodeKind.branch: {
        if (pos === path.length) {
          if (node.value === null) return node;
          const owned = ownNode(node);
          owned.value = null;
          return this.#normalize(owned);
        }
        const index = path[pos]!;
        const slot = node.children[index]!;
        if (slot === null) return node;
        const child = this.#resolve(slot);
        const updated = this.#delete(child, path, pos + 1);
        if (updated === child) return node;
        const owned = ownNode(node);
        owned.children[index] = updated;
        return updated === null ? this.#normalize(owned) : owned;
      }
    }
  }

  /** An extension whose child changed kind: paths merge into a leaf or extension child. */
  #joinExtension(extension: ExtensionNode, child: TrieNode): TrieNode {
    switch (child.kind) {
      case NodeKind.leaf:
        return new LeafNode(concatNibbles(extension.path, child.path), child.value);
      case NodeKind.extension:
        return new ExtensionNode(concatNibbles(extension.path, child.path), child.child);
      case NodeKind.branch: {
        const owned = ownNode(extension);
        owned.child = child;
        return owned;
      }
    }
  }

  /**
   * A dirty branch that lost a child or its value collapses when it has fewer than two entries left, so the
   * trie stays canonical (and its root equal to Ethereum's for the same contents).
   */
  #normalize(branch: BranchNode): TrieNode | null {
    let count = 0;
    let last = -1;
    for (let i = 0; i < BRANCH_WIDTH; i++) {
      if (branch.children[i] !== null) {
        if (++count > 1) return branch;
        last = i;
      }
    }
    if (count === 0) return branch.value === null ? null : new LeafNode(new Uint8Array(0), branch.value);
    if (branch.value !== null) return branch;
    const slot = branch.children[last]!;
    const child = this.#resolve(slot);
    switch (child.kind) {
      case NodeKind.leaf:
        return new LeafNode(prependNibble(last, child.path), child.value);
      case NodeKind.extension:
        return new ExtensionNode(prependNibble(last, child.path), child.child);
      case NodeKind.branch:
        return new ExtensionNode(Uint8Array.of(last), slot);
    }
  }

  /** Hashes every dirty node under `node` once (children first) and records the writes; returns node's ref. */
  #commit(node: TrieNode, ops: KvOp[], nodes: [Uint8Array, TrieNode][]): Uint8Array {
    if (node.ref !== null) return node.ref;
    if (node.kind === NodeKind.branch) {
      for (let i = 0; i < BRANCH_WIDTH; i++) {
        const child = node.children[i]!;
        if (child === null || child instanceof Uint8Array) continue;
        const ref = this.#commit(child, ops, nodes);
        // Hashed children are held by hash from here on, so cached nodes do not pin whole subtrees in memory.
        if (ref.length === HASH_BYTES) node.children[i] = ref;
      }
    } else if (node.kind === NodeKind.extension && !(node.child instanceof Uint8Array)) {
      const ref = this.#commit(node.child, ops, nodes);
      if (ref.length === HASH_BYTES) node.child = ref;
    }
    const encoding = encodeNode(node);
    if (encoding.length < HASH_BYTES) {
      node.ref = encoding;
      return encoding;
    }
    const hash = this.#hash(encoding);
    assert(hash.length === HASH_BYTES, "the trie hash function returns 32 bytes");
    ops.push({ type: "put", key: trieNodeKey(hash), value: encoding });
    nodes.push([hash, node]);
    node.ref = hash;
    return hash;
  }
}

function checkKey(key: Uint8Array): void {
  assert(key.length <= TRIE_KEY_BYTES_MAX, `trie keys are at most ${TRIE_KEY_BYTES_MAX} bytes`);
}
