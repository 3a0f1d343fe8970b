import { assert, bigintToBytes, bytesToBigint } from "@charter/utils";
import { decodeString, decodeStringList, encodeString, encodeStringList } from "./rlp.js";
import { HASH_BYTES } from "./trieNode.js";

/** An account as the state trie stores it: RLP `[nonce, balance, storageRoot, codeHash]`. */
export interface Account {
  readonly nonce: bigint;
  readonly balance: bigint;
  /** Root of the account's storage trie; the empty-trie root when it has no storage. */
  readonly storageRoot: Uint8Array;
  /** Hash of the account's code; the hash of empty bytes for an account without code. */
  readonly codeHash: Uint8Array;
}

export const SLOT_VALUE_BYTES = 32;

export function encodeAccount(account: Account): Uint8Array {
  return encodeStringList([
    bigintToBytes(account.nonce),
    bigintToBytes(account.balance),
    account.storageRoot,
    account.codeHash,
  ]);
}

/**
 * Decodes an account record read from the store or the trie. The bytes were checked before they were written,
 * so anything else means corruption, and the node stops.
 */
export function decodeAccount(bytes: Uint8Array): Account {
  const items = decodeStringList(bytes);
  assert(items !== undefined && items.length === 4, "a stored account is an RLP list of four strings");
  const [nonce, balance, storageRoot, codeHash] = items as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  assert(nonce[0] !== 0 && balance[0] !== 0, "a stored account's integers have no leading zeros");
  assert(
    storageRoot.length === HASH_BYTES && codeHash.length === HASH_BYTES,
    "a stored account's hashes are 32 bytes",
  );
  return {
    nonce: bytesToBigint(nonce),
    balance: bytesToBigint(balance),
    storageRoot: storageRoot.slice(),
    codeHash: codeHash.slice(),
  };
}

/** A storage value without its leading zero bytes: the form flat records and trie leaves hold. */
export function trimLeadingZeros(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  return value.subarray(i);
}

/** A value of up to 32 bytes as a 32-byte word. */
export function toWord(value: Uint8Array): Uint8Array {
  const word = new Uint8Array(SLOT_VALUE_BYTES);
  word.set(value, SLOT_VALUE_BYTES - value.length);
  return word;
}

/** The storage-trie leaf for a non-zero value: RLP of the minimal big-endian integer, as Ethereum stores it. */
export function encodeSlotValue(minimal: Uint8Array): Uint8Array {
  return encodeString(minimal);
}

export function decodeSlotValue(leaf: Uint8Array): Uint8Array {
  const minimal = decodeString(leaf);
  assert(
    minimal !== undefined && minimal.length > 0 && minimal.length <= SLOT_VALUE_BYTES && minimal[0] !== 0,
    "a stored slot value is the RLP of a minimal non-zero integer of at most 32 bytes",
  );
  return toWord(minimal);
}
