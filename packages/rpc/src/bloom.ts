import { keccak256 } from "@charter/crypto";
import type { Log } from "@charter/types";

/**
 * Ethereum's 2048-bit log bloom (yellow paper, section 4.3.1): each address and topic sets three bits, taken from
 * the first three pairs of bytes of its Keccak-256 hash. Headers carry the bloom of all their logs, so a log query
 * can skip a block without reading its receipts.
 */
export const bloomBytes = 256;

/** The three (byte index, bit mask) pairs that `value` sets in a bloom. */
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
    bytes.push(bloomBytes - 1 - (bit >> 3));
    masks.push(1 << (bit & 7));
  }
  return { bytes: bytes as [number, number, number], masks: masks as [number, number, number] };
}

export function bloomAdd(bloom: Uint8Array, value: Uint8Array): void {
  const { bytes, masks } = bloomBits(value);
  for (let i = 0; i < 3; i++) bloom[bytes[i]!]! |= masks[i]!;
}

/** `false` means `value` was certainly never added; `true` means it may have been. */
export function bloomMayContain(bloom: Uint8Array, bits: BloomBits): boolean {
  if (bloom.length !== bloomBytes) return true;
  for (let i = 0; i < 3; i++) if ((bloom[bits.bytes[i]!]! & bits.masks[i]!) === 0) return false;
  return true;
}

/** The bloom of a list of logs (a receipt's, or a block's). */
export function logsBloom(logs: readonly Log[]): Uint8Array {
  const bloom = new Uint8Array(bloomBytes);
  for (const log of logs) {
    bloomAdd(bloom, log.address);
    for (const topic of log.topics) bloomAdd(bloom, topic);
  }
  return bloom;
}
