/** Byte and hex helpers shared by every package. Library code uses `Uint8Array`, never `Buffer`. */

const HEX_CHARS = "0123456789abcdef";
const HEX_TABLE: string[] = Array.from({ length: 256 }, (_, i) => HEX_CHARS[i >> 4]! + HEX_CHARS[i & 15]!);

/** Encodes bytes as `0x`-prefixed lower-case hex. */
export function bytesToHex(bytes: Uint8Array): string {
  let out = "0x";
  for (let i = 0; i < bytes.length; i++) out += HEX_TABLE[bytes[i]!]!;
  return out;
}

/** Returns true if `value` is a `0x`-prefixed hex string with an even number of digits. */
export function isHexData(value: unknown): value is string {
  return typeof value === "string" && /^0x([0-9a-fA-F]{2})*$/.test(value);
}

/**
 * Decodes `0x`-prefixed hex into bytes. Throws `TypeError` on odd length or non-hex characters, so callers at a
 * trust boundary should check with `isHexData` first and report their own error.
 */
export function hexToBytes(hex: string): Uint8Array {
  if (!isHexData(hex))
    throw new TypeError(`expected 0x-prefixed hex with an even number of digits, got ${truncate(hex)}`);
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic comparison, for sorted keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Big-endian minimal encoding of a non-negative bigint (0 → empty array), as RLP wants it. */
export function bigintToBytes(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError("bigintToBytes: negative value");
  if (value === 0n) return new Uint8Array(0);
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** Big-endian fixed-width encoding; throws if the value does not fit. */
export function bigintToFixedBytes(value: bigint, width: number): Uint8Array {
  const raw = bigintToBytes(value);
  if (raw.length > width) throw new RangeError(`value does not fit in ${width} bytes`);
  const out = new Uint8Array(width);
  out.set(raw, width - raw.length);
  return out;
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(bytesToHex(bytes));
}

export function utf8ToBytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function bytesToUtf8(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Shortens a string for inclusion in an error message so hostile input cannot bloat logs. */
export function truncate(value: unknown, max = 66): string {
  const s = typeof value === "string" ? value : String(value);
  return s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s;
}
