/**
 * The small part of RLP the trie needs, written for speed and strictness: the node encoder writes each node
 * into one exactly-sized buffer (embedded child nodes are copied in verbatim), and the reader checks that input
 * is canonical and in bounds, because proofs come from outside.
 */

/** Length of the RLP header for a string or list payload of `length` bytes. */
export function headerLength(length: number): number {
  if (length <= 55) return 1;
  let n = 1;
  while (length >= 256 ** n) n++;
  return 1 + n;
}

/** Encoded length of `bytes` as an RLP string. */
export function stringLength(bytes: Uint8Array): number {
  if (bytes.length === 1 && bytes[0]! < 0x80) return 1;
  return headerLength(bytes.length) + bytes.length;
}

export function listLength(payloadLength: number): number {
  return headerLength(payloadLength) + payloadLength;
}

function writeHeader(length: number, shortBase: number, out: Uint8Array, offset: number): number {
  if (length <= 55) {
    out[offset] = shortBase + length;
    return offset + 1;
  }
  const n = headerLength(length) - 1;
  out[offset] = shortBase + 55 + n;
  for (let i = n; i >= 1; i--) {
    out[offset + i] = length & 0xff;
    length = Math.floor(length / 256);
  }
  return offset + 1 + n;
}

/** Writes `bytes` as an RLP string at `offset`; returns the offset after it. */
export function writeString(bytes: Uint8Array, out: Uint8Array, offset: number): number {
  if (bytes.length === 1 && bytes[0]! < 0x80) {
    out[offset] = bytes[0]!;
    return offset + 1;
  }
  offset = writeHeader(bytes.length, 0x80, out, offset);
  out.set(bytes, offset);
  return offset + bytes.length;
}

/** Writes the header of an RLP string of `length` bytes (not for a single byte below 0x80, which has none). */
export function writeStringHeader(length: number, out: Uint8Array, offset: number): number {
  return writeHeader(length, 0x80, out, offset);
}

export function writeListHeader(payloadLength: number, out: Uint8Array, offset: number): number {
  return writeHeader(payloadLength, 0xc0, out, offset);
}

/** Encodes one byte string as RLP. */
export function encodeString(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(stringLength(bytes));
  writeString(bytes, out, 0);
  return out;
}

/** Encodes a list of byte strings as RLP. */
export function encodeStringList(items: readonly Uint8Array[]): Uint8Array {
  let payload = 0;
  for (const item of items) payload += stringLength(item);
  const out = new Uint8Array(listLength(payload));
  let offset = writeListHeader(payload, out, 0);
  for (const item of items) offset = writeString(item, out, offset);
  return out;
}

/** One RLP item inside a buffer: its payload is `[start, end)`, and the whole item ends at `end`. */
export interface RlpItem {
  readonly isList: boolean;
  readonly start: number;
  readonly end: number;
}

/** Node and value lengths are far below this; a longer length field can only be hostile input. */
const LENGTH_OF_LENGTH_MAX = 4;

/**
 * Reads the item at `offset`, which must end at or before `limit`. Returns `undefined` for truncated or
 * non-canonical encodings (a single byte below 0x80 wrapped in a header, a long form for a short payload, or a
 * length with leading zeros).
 */
export function readItem(bytes: Uint8Array, offset: number, limit: number): RlpItem | undefined {
  if (offset >= limit) return undefined;
  const b = bytes[offset]!;
  if (b < 0x80) return { isList: false, start: offset, end: offset + 1 };
  const isList = b >= 0xc0;
  const base = isList ? 0xc0 : 0x80;
  let start: number;
  let length: number;
  if (b - base <= 55) {
    length = b - base;
    start = offset + 1;
    if (!isList && length === 1 && (start >= limit || bytes[start]! < 0x80)) return undefined;
  } else {
    const n = b - base - 55;
    if (n > LENGTH_OF_LENGTH_MAX || offset + 1 + n > limit || bytes[offset + 1] === 0) return undefined;
    length = 0;
    for (let i = 1; i <= n; i++) length = length * 256 + bytes[offset + i]!;
    if (length <= 55) return undefined;
    start = offset + 1 + n;
  }
  const end = start + length;
  if (end > limit) return undefined;
  return { isList, start, end };
}

/** Decodes RLP that must be exactly a list of byte strings (no nested lists); `undefined` otherwise. */
export function decodeStringList(bytes: Uint8Array): Uint8Array[] | undefined {
  const list = readItem(bytes, 0, bytes.length);
  if (list === undefined || !list.isList || list.end !== bytes.length) return undefined;
  const items: Uint8Array[] = [];
  let offset = list.start;
  while (offset < list.end) {
    const item = readItem(bytes, offset, list.end);
    if (item === undefined || item.isList) return undefined;
    items.push(bytes.subarray(item.start, item.end));
    offset = item.end;
  }
  return items;
}

/** Decodes RLP that must be exactly one byte string; `undefined` otherwise. */
export function decodeString(bytes: Uint8Array): Uint8Array | undefined {
  const item = readItem(bytes, 0, bytes.length);
  if (item === undefined || item.isList || item.end !== bytes.length) return undefined;
  return bytes.subarray(item.start, item.end);
}
