import { concatBytes } from "@charter/utils";

/**
 * The state package's key space in the node's KV store: one prefix byte per kind of record. The state owns the
 * prefixes 0x10–0x1f; other packages must not write keys starting with them (docs/spec/storage.md keeps the
 * full map of the store).
 */
export const StateKeyPrefix = {
  /** 0x10 ‖ hash(node) → RLP node. Account-trie and storage-trie nodes share it (content-addressed). */
  trieNode: 0x10,
  /** 0x11 ‖ address(20) → RLP [nonce, balance, storageRoot, codeHash] of the latest state. */
  account: 0x11,
  /** 0x12 ‖ address(20) ‖ slot(32) → minimal big-endian value (never zero: zero slots are deleted). */
  storage: 0x12,
  /** 0x13 ‖ codeHash(32) → contract code. */
  code: 0x13,
  /** 0x14 → the state root that the flat records (0x11, 0x12) describe. */
  latestRoot: 0x14,
} as const;
export type StateKeyPrefix = (typeof StateKeyPrefix)[keyof typeof StateKeyPrefix];

export const ADDRESS_BYTES = 20;
export const SLOT_BYTES = 32;

export function trieNodeKey(hash: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + hash.length);
  key[0] = StateKeyPrefix.trieNode;
  key.set(hash, 1);
  return key;
}

export function accountKey(address: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + ADDRESS_BYTES);
  key[0] = StateKeyPrefix.account;
  key.set(address, 1);
  return key;
}

export function storageKey(address: Uint8Array, slot: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + ADDRESS_BYTES + SLOT_BYTES);
  key[0] = StateKeyPrefix.storage;
  key.set(address, 1);
  key.set(slot, 1 + ADDRESS_BYTES);
  return key;
}

/** The `[gte, lt)` range holding every flat storage record of `address`. */
export function storageRange(address: Uint8Array): { gte: Uint8Array; lt: Uint8Array } {
  const gte = concatBytes(Uint8Array.of(StateKeyPrefix.storage), address);
  const lt = gte.slice();
  // Addresses are fixed-length, so incrementing the last byte (with carry) bounds exactly this address.
  let i = lt.length - 1;
  while (i > 0 && lt[i] === 0xff) lt[i--] = 0;
  lt[i]!++;
  return { gte, lt };
}

export function codeKey(codeHash: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + codeHash.length);
  key[0] = StateKeyPrefix.code;
  key.set(codeHash, 1);
  return key;
}

export const LATEST_ROOT_KEY: Uint8Array = Uint8Array.of(StateKeyPrefix.latestRoot);
