import type { KvOp, KvStore } from "@charter/kv";
import {
  assert,
  BoundedCache,
  bytesKey,
  bytesToBigint,
  bytesToHex,
  equalBytes,
  hexToBytes,
  isHexData,
} from "@charter/utils";
import {
  type Account,
  decodeAccount,
  decodeSlotValue,
  encodeAccount,
  encodeSlotValue,
  SLOT_VALUE_BYTES,
  toWord,
  trimLeadingZeros,
} from "./account.js";
import { StateError } from "./errors.js";
import {
  ADDRESS_BYTES,
  accountKey,
  codeKey,
  LATEST_ROOT_KEY,
  SLOT_BYTES,
  storageKey,
  storageRange,
  trieNodeKey,
} from "./keys.js";
import { TRIE_NODE_CACHE_NODES_MAX, TrieNodeCache } from "./nodeCache.js";
import { emptyTrieRoot, type HashFn, Trie, type TrieUpdate } from "./trie.js";
import { HASH_BYTES } from "./trieNode.js";

/** Accounts (present or known absent) kept decoded in memory for the execution read path. */
export const STATE_CACHE_ACCOUNTS_MAX = 100_000;
/** Storage slots (including known-zero ones) kept in memory for the execution read path. */
export const STATE_CACHE_SLOTS_MAX = 400_000;
/** Trie keys (`hash(address)`, `hash(slot)`) kept in memory: hashing is most of a block commit's time. */
export const STATE_CACHE_KEY_HASHES_MAX = 200_000;
/** Contract codes kept in memory; code is immutable, so this is only a memory bound. */
export const STATE_CACHE_CODES_MAX = 1_024;
/** Storage slots one `getProof` call may ask for; RPC limits requests further. */
export const PROOF_SLOTS_MAX = 1_024;

/**
 * A read-only view of the world state at one root. Reads are synchronous: the EVM's state manager calls them
 * per opcode, and an `await` each time would dominate execution.
 */
export interface StateReader {
  /** The state root this reader shows (for `latest()`, the latest committed root at the time of the call). */
  readonly root: Uint8Array;
  getAccount(address: Uint8Array): Account | undefined;
  /** The 32-byte value of `slot` (32 bytes), zeros when unset. */
  getStorage(address: Uint8Array, slot: Uint8Array): Uint8Array;
  /** The code with this hash; empty for the empty-code hash. Throws `StateError("missing-code")` if unknown. */
  getCode(codeHash: Uint8Array): Uint8Array;
}

/** Everything one block (or genesis) changed, per account: the input of `commit`. */
export interface StateDiff {
  readonly accounts: readonly AccountDiff[];
  /** New code by code hash (0x-prefixed hex). */
  readonly code: ReadonlyMap<string, Uint8Array>;
}

export interface AccountDiff {
  readonly address: Uint8Array;
  /** The account after the block, or `null` if it was deleted (its storage goes with it). */
  readonly account: {
    readonly nonce: bigint;
    readonly balance: bigint;
    readonly codeHash: Uint8Array;
  } | null;
  /** The storage was wiped before `storage` was written (for example, the account was deleted and re-created). */
  readonly storageCleared: boolean;
  /** Changed slots: 32-byte slot (0x-prefixed hex) → value of at most 32 bytes; all zeros deletes the slot. */
  readonly storage: ReadonlyMap<string, Uint8Array>;
}

/** An EIP-1186 (`eth_getProof`) answer, in bytes and bigints; the RPC layer formats it. */
export interface AccountProof {
  readonly address: Uint8Array;
  readonly accountProof: Uint8Array[];
  readonly balance: bigint;
  readonly codeHash: Uint8Array;
  readonly nonce: bigint;
  readonly storageHash: Uint8Array;
  readonly storageProof: { readonly key: Uint8Array; readonly value: bigint; readonly proof: Uint8Array[] }[];
}

export interface StateDBOptions {
  readonly kv: KvStore;
  /** The chain hash (Keccak-256 or SM3): trie nodes and trie keys (`hash(address)`, `hash(slot)`). */
  readonly hash: HashFn;
  /**
   * The hash that names code (`codeHash`, EXTCODEHASH). Defaults to `hash`; a chain that keeps Ethereum's
   * Keccak-256 code hashes under SM3 tries passes Keccak-256 here. Used for the empty-code hash and to check
   * new code against its name before it is written.
   */
  readonly codeHash?: HashFn;
  readonly cacheAccountsMax?: number;
  readonly cacheSlotsMax?: number;
  readonly cacheTrieNodesMax?: number;
}

/** One account's change as `applyCommitted` replays it into the caches. */
interface AccountChange {
  readonly addressKey: string;
  readonly account: Account | null;
  readonly storageCleared: boolean;
  readonly slots: readonly (readonly [slotKey: string, word: Uint8Array])[];
}

/**
 * The state changes of one block, ready to be written: `ops` go into the block's single atomic batch, and
 * `applyCommitted` is called once that batch is durable.
 */
export class StateCommit {
  /** @internal */
  readonly changes: readonly AccountChange[];
  /** @internal */
  readonly trieUpdates: readonly TrieUpdate[];

  constructor(
    readonly parentRoot: Uint8Array,
    readonly root: Uint8Array,
    readonly ops: readonly KvOp[],
    changes: readonly AccountChange[],
    trieUpdates: readonly TrieUpdate[],
  ) {
    this.changes = changes;
    this.trieUpdates = trieUpdates;
  }
}

/**
 * Two-generation storage cache: address → (slot → 32-byte word), bounded by slot count, so that clearing an
 * account's storage drops exactly its entries in O(1).
 */
class SlotCache {
  readonly #generationMax: number;
  #young = new Map<string, Map<string, Uint8Array>>();
  #old = new Map<string, Map<string, Uint8Array>>();
  #youngSlots = 0;

  constructor(slotsMax: number) {
    this.#generationMax = Math.max(1, Math.floor(slotsMax / 2));
  }

  get(address: string, slot: string): Uint8Array | undefined {
    const young = this.#young.get(address)?.get(slot);
    if (young !== undefined) return young;
    const old = this.#old.get(address)?.get(slot);
    if (old !== undefined) this.set(address, slot, old);
    return old;
  }

  set(address: string, slot: string, word: Uint8Array): void {
    if (this.#youngSlots >= this.#generationMax) {
      this.#old = this.#young;
      this.#young = new Map();
      this.#youngSlots = 0;
    }
    let slots = this.#young.get(address);
    if (slots === undefined) {
      slots = new Map();
      this.#young.set(address, slots);
    }
    if (!slots.has(slot)) this.#youngSlots++;
    slots.set(slot, word);
  }

  dropAccount(address: string): void {
    this.#young.delete(address);
    this.#old.delete(address);
  }
}

const ZERO_WORD = new Uint8Array(SLOT_VALUE_BYTES);

/**
 * The world state: Ethereum's account trie and per-account storage tries (so `eth_getProof` answers verify with
 * standard tools when the hash is Keccak-256), plus a flat copy of the latest state for fast execution reads.
 *
 * Writing is split in two so the block stays one atomic batch: `commit(diff)` computes the new root and every
 * store operation without writing anything, the caller writes them with the rest of the block, and then calls
 * `applyCommitted` to move the in-memory root and caches forward. A crash before the batch leaves the old state,
 * after it the new one; the caches are rebuilt from the store on restart.
 *
 * @example
 * const state = new StateDB({ kv, hash: keccak_256 });
 * const commit = await state.commit({ accounts: [{ address, account: { nonce: 0n, balance: 10n, codeHash },
 *   storageCleared: false, storage: new Map() }], code: new Map() });
 * await kv.write([...commit.ops, ...blockOps]);
 * state.applyCommitted(commit);
 * state.latest().getAccount(address)?.balance; // 10n
 */
export class StateDB {
  readonly #kv: KvStore;
  readonly #hash: HashFn;
  readonly #codeHash: HashFn;
  readonly #emptyRoot: Uint8Array;
  readonly #emptyCodeHash: Uint8Array;
  readonly #nodes: TrieNodeCache;
  readonly #accounts: BoundedCache<Account | null>;
  readonly #slots: SlotCache;
  readonly #codes = new BoundedCache<Uint8Array>(STATE_CACHE_CODES_MAX);
  readonly #keyHashes = new BoundedCache<Uint8Array>(STATE_CACHE_KEY_HASHES_MAX);
  readonly #latest: StateReader;
  #root: Uint8Array;

  /** Opens the state stored in `kv` at the root its last committed batch recorded (empty if none). */
  constructor(options: StateDBOptions) {
    this.#kv = options.kv;
    this.#hash = options.hash;
    this.#codeHash = options.codeHash ?? options.hash;
    this.#emptyRoot = emptyTrieRoot(this.#hash);
    this.#emptyCodeHash = this.#codeHash(new Uint8Array(0));
    this.#nodes = new TrieNodeCache({ nodesMax: options.cacheTrieNodesMax ?? TRIE_NODE_CACHE_NODES_MAX });
    this.#accounts = new BoundedCache(options.cacheAccountsMax ?? STATE_CACHE_ACCOUNTS_MAX);
    this.#slots = new SlotCache(options.cacheSlotsMax ?? STATE_CACHE_SLOTS_MAX);
    const stored = this.#kv.getSync(LATEST_ROOT_KEY);
    assert(stored === undefined || stored.length === HASH_BYTES, "the stored latest state root is 32 bytes");
    this.#root = stored ?? this.#emptyRoot;
    assert(this.#hasRoot(this.#root), "the latest state root's node is in the store");
    this.#latest = this.#createFlatReader();
  }

  /** The latest committed state root. */
  get root(): Uint8Array {
    return this.#root;
  }

  get emptyRoot(): Uint8Array {
    return this.#emptyRoot;
  }

  get emptyCodeHash(): Uint8Array {
    return this.#emptyCodeHash;
  }

  /**
   * The latest committed state, read from the flat records and caches. It is a live view: after
   * `applyCommitted` it shows the new state.
   */
  latest(): StateReader {
    return this.#latest;
  }

  /**
   * The state at any committed root, read through the tries (slower; for historical queries). Throws
   * `StateError("unknown-state-root")` if this node never committed `stateRoot`.
   */
  at(stateRoot: Uint8Array): StateReader {
    this.#checkRoot(stateRoot);
    const accountTrie = this.#trie(stateRoot);
    const accountAt = (address: Uint8Array): Account | undefined => {
      checkAddress(address);
      const value = accountTrie.get(this.#hash(address));
      return value === undefined ? undefined : decodeAccount(value);
    };
    return {
      root: stateRoot,
      getAccount: accountAt,
      getStorage: (address, slot) => {
        checkSlot(slot);
        const account = accountAt(address);
        if (account === undefined || equalBytes(account.storageRoot, this.#emptyRoot))
          return ZERO_WORD.slice();
        const leaf = this.#trie(account.storageRoot).get(this.#hash(slot));
        return leaf === undefined ? ZERO_WORD.slice() : decodeSlotValue(leaf);
      },
      getCode: (codeHash) => this.#getCode(codeHash),
    };
  }

  /**
   * Computes the state after `diff` on top of the latest committed state: updates the storage tries, then the
   * account trie, and returns the new root with every store operation (flat records, new trie nodes, code, the
   * latest-root record). Writes nothing: the caller puts `ops` into the block's batch and, once it is durable,
   * calls `applyCommitted`. Throws `StateError("invalid-input")` for a malformed diff.
   */
  async commit(diff: StateDiff): Promise<StateCommit> {
    // Captured first: if another commit were applied while this one awaits a storage scan, `applyCommitted`
    // would then refuse this one instead of mixing two states. Commits are meant to run one at a time.
    const parentRoot = this.#root;
    const ops: KvOp[] = [];
    const trieUpdates: TrieUpdate[] = [];
    const changes: AccountChange[] = [];
    const accountEntries: [Uint8Array, Uint8Array | null][] = [];
    const seen = new Set<string>();

    for (const change of diff.accounts) {
      checkAddress(change.address);
      const addressKey = bytesKey(change.address);
      if (seen.has(addressKey)) {
        throw new StateError(
          "invalid-input",
          `The state diff lists account ${bytesToHex(change.address)} twice.`,
        );
      }
      seen.add(addressKey);
      const trieKey = this.#hashKey(change.address, addressKey);

      if (change.account === null) {
        accountEntries.push([trieKey, null]);
        ops.push({ type: "del", key: accountKey(change.address) });
        await this.#clearFlatStorage(change.address, ops);
        changes.push({ addressKey, account: null, storageCleared: true, slots: [] });
        continue;
      }

      checkHash(change.account.codeHash, "code hash");
      const previous = this.#readAccount(change.address, addressKey);
      if (change.storageCleared) await this.#clearFlatStorage(change.address, ops);
      const baseRoot =
        change.storageCleared || previous === undefined ? this.#emptyRoot : previous.storageRoot;

      const slots: [string, Uint8Array][] = [];
      const storageEntries: [Uint8Array, Uint8Array | null][] = [];
      for (const [slotHex, value] of change.storage) {
        const slot = parseSlot(slotHex);
        if (value.length > SLOT_VALUE_BYTES) {
          throw new StateError("invalid-input", `The value of slot ${slotHex} is longer than 32 bytes.`);
        }
        const minimal = trimLeadingZeros(value);
        const flatKey = storageKey(change.address, slot);
        const slotKey = bytesKey(slot);
        const slotHash = this.#hashKey(slot, slotKey);
        if (minimal.length === 0) {
          storageEntries.push([slotHash, null]);
          ops.push({ type: "del", key: flatKey });
        } else {
          storageEntries.push([slotHash, encodeSlotValue(minimal)]);
          ops.push({ type: "put", key: flatKey, value: minimal.slice() });
        }
        slots.push([slotKey, toWord(minimal)]);
      }

      let storageRoot = baseRoot;
      if (storageEntries.length > 0) {
        const update = this.#trie(baseRoot, false).batchUpdate(storageEntries);
        storageRoot = update.root;
        for (const op of update.ops) ops.push(op);
        trieUpdates.push(update);
      }
      const account: Account = {
        nonce: change.account.nonce,
        balance: change.account.balance,
        storageRoot,
        codeHash: change.account.codeHash.slice(),
      };
      const encoded = encodeAccount(account);
      accountEntries.push([trieKey, encoded]);
      ops.push({ type: "put", key: accountKey(change.address), value: encoded });
      changes.push({ addressKey, account, storageCleared: change.storageCleared, slots });
    }

    for (const [codeHashHex, code] of diff.code) {
      const codeHash = isHexData(codeHashHex) ? hexToBytes(codeHashHex) : undefined;
      // Checked before it is written: code stored under the wrong hash would be served as another contract's.
      if (codeHash === undefined || !equalBytes(this.#codeHash(code), codeHash)) {
        throw new StateError(
          "invalid-input",
          `The state diff's code under ${codeHashHex} does not hash to that value.`,
        );
      }
      ops.push({ type: "put", key: codeKey(codeHash), value: code.slice() });
    }

    const accountUpdate = this.#trie(parentRoot, false).batchUpdate(accountEntries);
    // A loop, not `push(...ops)`: a genesis can have more operations than a call may take arguments.
    for (const op of accountUpdate.ops) ops.push(op);
    trieUpdates.push(accountUpdate);
    ops.push({ type: "put", key: LATEST_ROOT_KEY, value: accountUpdate.root });
    return new StateCommit(parentRoot, accountUpdate.root, ops, changes, trieUpdates);
  }

  /**
   * Moves the latest state to `commit.root` once `commit.ops` are durable: the caches take the new values and
   * the new trie nodes. Call it right after the write resolves, before any other read of the latest state.
   */
  applyCommitted(commit: StateCommit): void {
    assert(
      equalBytes(commit.parentRoot, this.#root),
      "a state commit is applied to the root it was made from",
    );
    for (const update of commit.trieUpdates) this.#trie(update.parentRoot).applyCommitted(update);
    for (const change of commit.changes) {
      this.#accounts.set(change.addressKey, change.account);
      if (change.storageCleared) this.#slots.dropAccount(change.addressKey);
      for (const [slotKey, word] of change.slots) this.#slots.set(change.addressKey, slotKey, word);
    }
    this.#root = commit.root;
  }

  /**
   * An EIP-1186 proof of `address` and `slots` (32 bytes each, or shorter and left-padded) at `stateRoot`.
   * Absent accounts prove as nonce 0, balance 0, the empty-code hash and the empty storage root.
   */
  getProof(stateRoot: Uint8Array, address: Uint8Array, slots: readonly Uint8Array[]): AccountProof {
    this.#checkRoot(stateRoot);
    checkAddress(address);
    if (slots.length > PROOF_SLOTS_MAX) {
      throw new StateError("invalid-input", `A proof may cover at most ${PROOF_SLOTS_MAX} storage slots.`);
    }
    const accountTrie = this.#trie(stateRoot);
    const trieKey = this.#hash(address);
    const value = accountTrie.get(trieKey);
    const account = value === undefined ? undefined : decodeAccount(value);
    const storageRoot = account?.storageRoot ?? this.#emptyRoot;
    const storageTrie = this.#trie(storageRoot);
    return {
      address: address.slice(),
      accountProof: accountTrie.prove(trieKey),
      balance: account?.balance ?? 0n,
      codeHash: account?.codeHash ?? this.#emptyCodeHash,
      nonce: account?.nonce ?? 0n,
      storageHash: storageRoot,
      storageProof: slots.map((slot) => {
        if (slot.length > SLOT_BYTES) {
          throw new StateError("invalid-input", "A storage slot in a proof request is longer than 32 bytes.");
        }
        const key = toWord(slot);
        const leaf = storageTrie.get(this.#hash(key));
        return {
          key,
          value: leaf === undefined ? 0n : bytesToBigint(decodeSlotValue(leaf)),
          proof: storageTrie.prove(this.#hash(key)),
        };
      }),
    };
  }

  /** A trie handle sharing the node cache; `verifyReads` is off only on the commit path (see `TrieOptions`). */
  #trie(root: Uint8Array, verifyReads = true): Trie {
    return new Trie({ hash: this.#hash, kv: this.#kv, root, cache: this.#nodes, verifyReads });
  }

  /** `hash(bytes)` through a cache: the same accounts and slots come back block after block. */
  #hashKey(bytes: Uint8Array, key: string): Uint8Array {
    let hashed = this.#keyHashes.get(key);
    if (hashed === undefined) {
      hashed = this.#hash(bytes);
      this.#keyHashes.set(key, hashed);
    }
    return hashed;
  }

  #hasRoot(root: Uint8Array): boolean {
    return equalBytes(root, this.#emptyRoot) || this.#kv.getSync(trieNodeKey(root)) !== undefined;
  }

  #checkRoot(root: Uint8Array): void {
    if (root.length !== HASH_BYTES || !this.#hasRoot(root)) {
      throw new StateError(
        "unknown-state-root",
        `State root ${bytesToHex(root)} is not known here: it was never committed on this node.`,
      );
    }
  }

  /** Reads an account from the flat records (through the cache). */
  #readAccount(address: Uint8Array, addressKey: string): Account | undefined {
    const cached = this.#accounts.get(addressKey);
    if (cached !== undefined) return cached ?? undefined;
    const stored = this.#kv.getSync(accountKey(address));
    const account = stored === undefined ? null : decodeAccount(stored);
    this.#accounts.set(addressKey, account);
    return account ?? undefined;
  }

  /**
   * Deletes every flat storage record of `address` (the trie side needs nothing: the account simply points at a
   * new storage root). The scan is unbounded on purpose: leaving one record would resurrect a slot.
   */
  async #clearFlatStorage(address: Uint8Array, ops: KvOp[]): Promise<void> {
    for await (const [key] of this.#kv.iterate(storageRange(address))) ops.push({ type: "del", key });
  }

  #getCode(codeHash: Uint8Array): Uint8Array {
    checkHash(codeHash, "code hash");
    if (equalBytes(codeHash, this.#emptyCodeHash)) return new Uint8Array(0);
    const key = bytesKey(codeHash);
    const cached = this.#codes.get(key);
    if (cached !== undefined) return cached;
    const code = this.#kv.getSync(codeKey(codeHash));
    if (code === undefined) {
      throw new StateError("missing-code", `No code is stored under code hash ${bytesToHex(codeHash)}.`);
    }
    this.#codes.set(key, code);
    return code;
  }

  #createFlatReader(): StateReader {
    const db = this;
    return {
      get root() {
        return db.#root;
      },
      getAccount(address) {
        checkAddress(address);
        return db.#readAccount(address, bytesKey(address));
      },
      getStorage(address, slot) {
        checkAddress(address);
        checkSlot(slot);
        const addressKey = bytesKey(address);
        const slotKey = bytesKey(slot);
        let word = db.#slots.get(addressKey, slotKey);
        if (word === undefined) {
          const stored = db.#kv.getSync(storageKey(address, slot));
          word = stored === undefined ? ZERO_WORD : toWord(stored);
          db.#slots.set(addressKey, slotKey, word);
        }
        // A copy: the cached word must not change if the EVM writes into what it was given.
        return word.slice();
      },
      getCode(codeHash) {
        return db.#getCode(codeHash);
      },
    };
  }
}

function checkAddress(address: Uint8Array): void {
  if (address.length !== ADDRESS_BYTES) {
    throw new StateError("invalid-input", `An address is 20 bytes, got ${address.length}.`);
  }
}

function checkSlot(slot: Uint8Array): void {
  if (slot.length !== SLOT_BYTES)
    throw new StateError("invalid-input", `A storage slot is 32 bytes, got ${slot.length}.`);
}

function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_BYTES)
    throw new StateError("invalid-input", `A ${what} is 32 bytes, got ${hash.length}.`);
}

function parseSlot(slotHex: string): Uint8Array {
  const slot = isHexData(slotHex) ? hexToBytes(slotHex) : undefined;
  if (slot === undefined || slot.length !== SLOT_BYTES) {
    throw new StateError("invalid-input", `Storage slot ${slotHex} is not 32 bytes of 0x-prefixed hex.`);
  }
  return slot;
}
