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

/**
 * The three (byte index, bit mask) pairs a value sets in a bloom. A log query computes them once per address or
 * topic and tests them against many blocks' blooms without hashing again.
 */
export interface BloomBits {
  readonly bytes: readonly [number, number, number];
  readonly masks: readonly [number, number, number];
}

export function bloomBits(value: Uint8Array): BloomBits {
  const hash = keccak256(value);
  const bytes: number[] = [];
  const masks: number[] = [];
  for (let i = 0; i < 6; i += 2) {
    const bit = ((hash[i]! << 8) | hash[i + 1]!) & 2047;
    bytes.push(BLOOM_BYTES - 1 - (bit >> 3));
    masks.push(1 << (bit & 7));
  }
  return { bytes: bytes as [number, number, number], masks: masks as [number, number, number] };
}

/** Sets the three bits of `value` in `bloom`, in place. */
export function bloomAdd(bloom: Uint8Array, value: Uint8Array): void {
  const { bytes, masks } = bloomBits(value);
  for (let i = 0; i < 3; i++) bloom[bytes[i]!]! |= masks[i]!;
}

/**
 * Whether all the bits are set. `false` is certain (the value was never added); `true` may be a false positive.
 * A bloom of the wrong length proves nothing, so it answers `true`.
 */
export function bloomHasBits(bloom: Uint8Array, bits: BloomBits): boolean {
  if (bloom.length !== BLOOM_BYTES) return true;
  for (let i = 0; i < 3; i++) if ((bloom[bits.bytes[i]!]! & bits.masks[i]!) === 0) return false;
  return true;
}

/** Whether all three bits of `value` are set (see `bloomHasBits`). */
export function bloomContains(bloom: Uint8Array, value: Uint8Array): boolean {
  return bloomHasBits(bloom, bloomBits(value));
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
