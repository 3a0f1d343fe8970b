import { assert } from "@charter/utils";
import { StateError } from "./errors.js";
import { hexPrefixLength, readHexPrefix, writeHexPrefix } from "./nibbles.js";
import {
  headerLength,
  listLength,
  type RlpItem,
  readItem,
  stringLength,
  writeListHeader,
  writeString,
  writeStringHeader,
} from "./rlp.js";

/**
 * The three Merkle Patricia Trie node kinds, as Ethereum defines them (Yellow Paper appendix D):
 * - leaf `[hexPrefix(path, leaf), value]`,
 * - extension `[hexPrefix(path, ext), childRef]`,
 * - branch `[childRef × 16, value]`.
 * A child reference is the child's RLP encoding itself when that is shorter than 32 bytes (an embedded node),
 * and otherwise the 32-byte hash of the encoding, under which the child is stored.
 */
export const NodeKind = { leaf: 0, extension: 1, branch: 2 } as const;
export type NodeKind = (typeof NodeKind)[keyof typeof NodeKind];

/** Hash length of every supported trie hash (Keccak-256, SM3). */
export const HASH_BYTES = 32;
export const BRANCH_WIDTH = 16;

/**
 * A child slot: a decoded node (embedded, or new and not yet hashed), or the 32-byte hash of a node that lives in
 * the store. `Uint8Array` always means a hash.
 */
export type NodeRef = TrieNode | Uint8Array;

/**
 * Every node carries `ref`, its reference as a parent would write it: `null` while the node is dirty (built by
 * the update in progress and still mutable), then its encoding (embedded) or its hash. Nodes with a `ref` are
 * immutable and may be shared between tries and roots; an update copies them before changing anything.
 */
export class LeafNode {
  readonly kind = NodeKind.leaf;
  constructor(
    public path: Uint8Array,
    public value: Uint8Array,
    public ref: Uint8Array | null = null,
  ) {}
}

export class ExtensionNode {
  readonly kind = NodeKind.extension;
  constructor(
    public path: Uint8Array,
    public child: NodeRef,
    public ref: Uint8Array | null = null,
  ) {}
}

export class BranchNode {
  readonly kind = NodeKind.branch;
  constructor(
    public children: (NodeRef | null)[] = new Array<NodeRef | null>(BRANCH_WIDTH).fill(null),
    public value: Uint8Array | null = null,
    public ref: Uint8Array | null = null,
  ) {}
}

export type TrieNode = LeafNode | ExtensionNode | BranchNode;

/** A dirty copy of a clean node, for an update to change; a dirty node is returned as is. */
export function ownNode<N extends TrieNode>(node: N): N {
  if (node.ref === null) return node;
  switch (node.kind) {
    case NodeKind.leaf:
      return new LeafNode(node.path, node.value) as N;
    case NodeKind.extension:
      return new ExtensionNode(node.path, node.child) as N;
    case NodeKind.branch:
      return new BranchNode(node.children.slice(), node.value) as N;
  }
}

function refLength(child: NodeRef | null): number {
  if (child === null) return 1;
  if (child instanceof Uint8Array) return 1 + HASH_BYTES;
  assert(
    child.ref !== null && child.ref.length < HASH_BYTES,
    "an embedded child is hashed before its parent",
  );
  return child.ref.length;
}

function writeRef(child: NodeRef | null, out: Uint8Array, offset: number): number {
  if (child === null) {
    out[offset] = 0x80;
    return offset + 1;
  }
  const bytes = child instanceof Uint8Array ? child : child.ref!;
  if (child instanceof Uint8Array) {
    assert(bytes.length === HASH_BYTES, "a trie hash is 32 bytes");
    out[offset++] = 0x80 + HASH_BYTES;
  }
  out.set(bytes, offset);
  return offset + bytes.length;
}

function pathStringLength(pathLength: number): number {
  const n = hexPrefixLength(pathLength);
  // The first hex-prefix byte is at most 0x3f, so a one-byte path is its own RLP encoding.
  return n === 1 ? 1 : headerLength(n) + n;
}

function writePath(path: Uint8Array, isLeaf: boolean, out: Uint8Array, offset: number): number {
  const n = hexPrefixLength(path.length);
  if (n > 1) offset = writeStringHeader(n, out, offset);
  writeHexPrefix(path, isLeaf, out, offset);
  return offset + n;
}

/** The RLP encoding of a node whose children all have refs (children are hashed first). */
export function encodeNode(node: TrieNode): Uint8Array {
  switch (node.kind) {
    case NodeKind.leaf: {
      const payload = pathStringLength(node.path.length) + stringLength(node.value);
      const out = new Uint8Array(listLength(payload));
      let offset = writeListHeader(payload, out, 0);
      offset = writePath(node.path, true, out, offset);
      writeString(node.value, out, offset);
      return out;
    }
    case NodeKind.extension: {
      const payload = pathStringLength(node.path.length) + refLength(node.child);
      const out = new Uint8Array(listLength(payload));
      let offset = writeListHeader(payload, out, 0);
      offset = writePath(node.path, false, out, offset);
      writeRef(node.child, out, offset);
      return out;
    }
    case NodeKind.branch: {
      let payload = node.value === null ? 1 : stringLength(node.value);
      for (let i = 0; i < BRANCH_WIDTH; i++) payload += refLength(node.children[i]!);
      const out = new Uint8Array(listLength(payload));
      let offset = writeListHeader(payload, out, 0);
      for (let i = 0; i < BRANCH_WIDTH; i++) offset = writeRef(node.children[i]!, out, offset);
      if (node.value === null) out[offset] = 0x80;
      else writeString(node.value, out, offset);
      return out;
    }
  }
}

function invalid(reason: string): StateError {
  return new StateError("invalid-node", `Bytes that should be a trie node are not one: ${reason}.`);
}

function readRef(bytes: Uint8Array, item: RlpItem, itemStart: number): NodeRef | null {
  if (item.isList) {
    if (item.end - itemStart >= HASH_BYTES) throw invalid("an embedded node is 32 bytes or longer");
    return decodeNodeAt(bytes, itemStart, item.end);
  }
  const length = item.end - item.start;
  if (length === 0) return null;
  if (length !== HASH_BYTES) throw invalid(`a child reference is ${length} bytes instead of ${HASH_BYTES}`);
  return bytes.subarray(item.start, item.end);
}

function next(bytes: Uint8Array, offset: number, limit: number): RlpItem {
  const item = readItem(bytes, offset, limit);
  if (item === undefined) throw invalid("truncated or non-canonical RLP");
  return item;
}

function decodeNodeAt(bytes: Uint8Array, start: number, end: number): TrieNode {
  const list = next(bytes, start, end);
  if (!list.isList || list.end !== end) throw invalid("a node is not exactly one RLP list");
  const items: { item: RlpItem; start: number }[] = [];
  let offset = list.start;
  while (offset < list.end) {
    if (items.length === BRANCH_WIDTH + 1) throw invalid("a list has more than 17 items");
    const item = next(bytes, offset, list.end);
    items.push({ item, start: offset });
    offset = item.end;
  }
  // An embedded node keeps its own encoding as its ref; a top-level node gets its ref (hash) from the caller.
  const ref = start === 0 && end === bytes.length ? null : bytes.subarray(start, end);
  if (items.length === BRANCH_WIDTH + 1) {
    const children = new Array<NodeRef | null>(BRANCH_WIDTH);
    for (let i = 0; i < BRANCH_WIDTH; i++) children[i] = readRef(bytes, items[i]!.item, items[i]!.start);
    const valueItem = items[BRANCH_WIDTH]!.item;
    if (valueItem.isList) throw invalid("a branch value is a list");
    const value = valueItem.end > valueItem.start ? bytes.subarray(valueItem.start, valueItem.end) : null;
    return new BranchNode(children, value, ref);
  }
  if (items.length !== 2) throw invalid(`a list has ${items.length} items instead of 2 or 17`);
  const [first, second] = items as [{ item: RlpItem; start: number }, { item: RlpItem; start: number }];
  if (first.item.isList) throw invalid("a node path is a list");
  const decoded = readHexPrefix(bytes.subarray(first.item.start, first.item.end));
  if (decoded === undefined) throw invalid("a node path has a bad hex-prefix flag");
  if (decoded.isLeaf) {
    if (second.item.isList) throw invalid("a leaf value is a list");
    return new LeafNode(decoded.path, bytes.subarray(second.item.start, second.item.end), ref);
  }
  if (decoded.path.length === 0) throw invalid("an extension has an empty path");
  const child = readRef(bytes, second.item, second.start);
  if (child === null) throw invalid("an extension has no child");
  return new ExtensionNode(decoded.path, child, ref);
}

/**
 * Decodes a node from its encoding. `ref` is what a parent writes for it (its hash, or the encoding itself when
 * shorter than 32 bytes). Throws `StateError("invalid-node")` for anything that is not a canonical node.
 */
export function decodeNode(bytes: Uint8Array, ref: Uint8Array): TrieNode {
  const node = decodeNodeAt(bytes, 0, bytes.length);
  node.ref = ref;
  return node;
}
