import { bigintToBytes, bytesToBigint } from "@charter/utils";
import { CodecError } from "./errors.js";
import type { RlpItem } from "./rlp.js";

/**
 * Readers that turn decoded RLP items into typed fields and writers that do the reverse, each checking the
 * format's rules. Readers throw `CodecError("malformed")`, writers `CodecError("invalid-value")`; `label` names
 * the field in the message ("transaction nonce").
 */

export function readList(item: RlpItem, label: string, length?: number): RlpItem[] {
  if (!Array.isArray(item)) throw malformed(label, "expected a list, got a byte string");
  if (length !== undefined && item.length !== length) {
    throw malformed(label, `expected a list of ${length} items, got ${item.length}`);
  }
  return item;
}

export function readBytes(item: RlpItem, label: string): Uint8Array {
  if (Array.isArray(item)) throw malformed(label, "expected a byte string, got a list");
  return item;
}

export function readFixedBytes(item: RlpItem, label: string, length: number): Uint8Array {
  const bytes = readBytes(item, label);
  if (bytes.length !== length) throw malformed(label, `expected ${length} bytes, got ${bytes.length}`);
  return bytes;
}

export function readBytesUpTo(item: RlpItem, label: string, lengthMax: number): Uint8Array {
  const bytes = readBytes(item, label);
  if (bytes.length > lengthMax)
    throw malformed(label, `expected at most ${lengthMax} bytes, got ${bytes.length}`);
  return bytes;
}

/** An address field that may be empty: `null` for empty, else exactly `length` bytes. */
export function readOptionalFixedBytes(item: RlpItem, label: string, length: number): Uint8Array | null {
  const bytes = readBytes(item, label);
  if (bytes.length === 0) return null;
  if (bytes.length !== length)
    throw malformed(label, `expected empty or ${length} bytes, got ${bytes.length}`);
  return bytes;
}

/**
 * An unsigned integer in canonical RLP form: big-endian, no leading zero bytes, zero as the empty string. The
 * canonical form is what makes `hash(raw)` unique per transaction, so leading zeros are rejected, not ignored.
 */
export function readUint(item: RlpItem, label: string, bytesMax: number): bigint {
  const bytes = readBytes(item, label);
  if (bytes.length > bytesMax)
    throw malformed(label, `an integer of ${bytes.length} bytes exceeds ${bytesMax} bytes`);
  if (bytes.length > 0 && bytes[0] === 0)
    throw malformed(label, "a non-canonical integer with leading zero bytes");
  return bytesToBigint(bytes);
}

/** A canonical integer that must fit a JavaScript number exactly (heights, rounds, timestamps). */
export function readSafeInteger(item: RlpItem, label: string): number {
  const value = readUint(item, label, 7);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed(label, "the integer exceeds 2^53 - 1");
  return Number(value);
}

/** Canonical RLP bytes of an unsigned integer of at most `bytesMax` bytes. */
export function writeUint(value: bigint | number, label: string, bytesMax: number): Uint8Array {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw invalid(label, `${value} is not a safe integer`);
  }
  const big = BigInt(value);
  if (big < 0n) throw invalid(label, `${value} is negative`);
  const bytes = bigintToBytes(big);
  if (bytes.length > bytesMax) throw invalid(label, `${value} does not fit in ${bytesMax} bytes`);
  return bytes;
}

export function writeFixedBytes(value: Uint8Array, label: string, length: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw invalid(
      label,
      `expected ${length} bytes, got ${value instanceof Uint8Array ? value.length : typeof value}`,
    );
  }
  return value;
}

export function writeBytes(value: Uint8Array, label: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalid(label, "expected a Uint8Array");
  return value;
}

export function writeBytesUpTo(value: Uint8Array, label: string, lengthMax: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length > lengthMax) {
    throw invalid(label, `expected at most ${lengthMax} bytes`);
  }
  return value;
}

function malformed(label: string, reason: string): CodecError {
  return new CodecError("malformed", `Malformed ${label}: ${reason}.`);
}

function invalid(label: string, reason: string): CodecError {
  return new CodecError("invalid-value", `Cannot encode ${label}: ${reason}.`);
}
