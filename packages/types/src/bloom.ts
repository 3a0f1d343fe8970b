import { keccak256 } from "@charter/crypto";
import type { Log } from "./block.js";
import { BLOOM_BYTES } from "./limits.js";

/**
 * Ethereum's 2048-bit log bloom (yellow paper §4.3.1). Each log's address and each of its topics set three bits,
 * taken from the first three byte pairs of their Keccak-256 hash. It is always Keccak-256, whatever the chain's
 * suite, because wallets and indexers compute blooms that way to decide which blocks to fetch.
 */

/** A bloom containing every log's address and topics. */
export function logsBloom(logs: readonly Log[]): Uint8Array {
  const bloom = new Uint8Array(BLOOM_BYTES);
  for (const log of logs) {
    bloomAdd(bloom, log.address);
    for (const topic of log.topics) bloomAdd(bloom, topic);
  }
  return bloom;
}

/** Sets the three bits of `value` in `bloom`, in place. */
export function bloomAdd(bloom: Uint8Array, value: Uint8Array): void {
  const hash = keccak256(value);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((hash[i]! << 8) | hash[i + 1]!) & 2047;
    bloom[BLOOM_BYTES - 1 - (bit >> 3)]! |= 1 << (bit & 7);
  }
}

/**
 * Whether all three bits of `value` are set. `false` is certain (the value was never added); `true` may be a
 * false positive.
 */
export function bloomContains(bloom: Uint8Array, value: Uint8Array): boolean {
  const hash = keccak256(value);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((hash[i]! << 8) | hash[i + 1]!) & 2047;
    if ((bloom[BLOOM_BYTES - 1 - (bit >> 3)]! & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

/** An `eth_getLogs` filter as far as a bloom can test it. */
export interface BloomFilter {
  /** One address, or several of which any may match; absent or empty matches any address. */
  readonly address?: Uint8Array | readonly Uint8Array[];
  /**
   * Per topic position: `null` (or an empty list) matches anything, a topic must be present, a list of topics
   * needs any one of them.
   */
  readonly topics?: readonly (Uint8Array | readonly Uint8Array[] | null)[];
}

/**
 * Whether a block (or receipt) with this bloom may contain a log matching `filter`, by the same rule geth uses
 * to skip blocks: some address matches, and for every constrained topic position some alternative matches.
 */
export function bloomMatches(bloom: Uint8Array, filter: BloomFilter): boolean {
  if (!matchesAny(bloom, filter.address)) return false;
  for (const position of filter.topics ?? []) {
    if (!matchesAny(bloom, position)) return false;
  }
  return true;
}

function matchesAny(
  bloom: Uint8Array,
  values: Uint8Array | readonly Uint8Array[] | null | undefined,
): boolean {
  if (values === null || values === undefined) return true;
  if (values instanceof Uint8Array) return bloomContains(bloom, values);
  if (values.length === 0) return true;
  return values.some((value) => bloomContains(bloom, value));
}

/** The union of several blooms, such as a block's receipts or a range of blocks. */
export function orBlooms(blooms: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(BLOOM_BYTES);
  for (const bloom of blooms) {
    for (let i = 0; i < BLOOM_BYTES; i++) out[i]! |= bloom[i]!;
  }
  return out;
}
