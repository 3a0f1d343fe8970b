import { assert, concatBytes, utf8ToBytes } from "@charter/utils";

/**
 * A minimal ASN.1 DER writer: exactly the types a self-signed X.509 certificate needs (RFC 5280), nothing more.
 * Node 20 can parse certificates (`X509Certificate`) but not build them, and a general ASN.1 library would be a
 * large dependency for about twenty lines of encoding. Every function returns one complete TLV.
 */

const TAG = {
  integer: 0x02,
  bitString: 0x03,
  objectIdentifier: 0x06,
  utf8String: 0x0c,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
  contextExplicit: 0xa0,
} as const;

/** DER allows lengths up to 2^1008, but nothing in a certificate comes near 2^32 bytes. */
const LENGTH_BYTES_MAX = 4;

function encodeLength(length: number): Uint8Array {
  assert(Number.isSafeInteger(length) && length >= 0, `DER length ${length} is not a non-negative integer.`);
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  assert(bytes.length <= LENGTH_BYTES_MAX, `DER length ${length} is too large.`);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag), encodeLength(content.length), content);
}

export function derSequence(...items: Uint8Array[]): Uint8Array {
  return derTlv(TAG.sequence, concatBytes(...items));
}

export function derSet(...items: Uint8Array[]): Uint8Array {
  return derTlv(TAG.set, concatBytes(...items));
}

/** A non-negative INTEGER from its unsigned big-endian magnitude, minimally encoded as DER requires. */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.length === 0 ? Uint8Array.of(0) : magnitude.subarray(start);
  // A set high bit would make the value negative in two's complement, so it gets a leading zero byte.
  const content = (trimmed[0] ?? 0) & 0x80 ? concatBytes(Uint8Array.of(0), trimmed) : trimmed;
  return derTlv(TAG.integer, content);
}

export function derObjectIdentifier(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((arc) => {
    assert(/^\d+$/.test(arc), `OID arc "${arc}" in "${dotted}" is not a decimal number.`);
    return Number(arc);
  });
  const [first, second, ...rest] = arcs;
  assert(first !== undefined && second !== undefined && first <= 2, `OID "${dotted}" is malformed.`);
  const out: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    assert(Number.isSafeInteger(arc), `OID arc in "${dotted}" is too large.`);
    const groups: number[] = [arc % 128];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) {
      groups.unshift((value % 128) | 0x80);
    }
    out.push(...groups);
  }
  return derTlv(TAG.objectIdentifier, Uint8Array.from(out));
}

/** A BIT STRING holding whole bytes (zero unused bits), as keys and signatures are. */
export function derBitString(bytes: Uint8Array): Uint8Array {
  return derTlv(TAG.bitString, concatBytes(Uint8Array.of(0), bytes));
}

export function derUtf8String(text: string): Uint8Array {
  return derTlv(TAG.utf8String, utf8ToBytes(text));
}

/**
 * A certificate validity time: UTCTime for years 1950-2049 and GeneralizedTime otherwise, as RFC 5280 §4.1.2.5
 * requires. Whole seconds, UTC.
 */
export function derTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  assert(year >= 0 && year <= 9999, `Year ${year} cannot be written as an X.509 time.`);
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  if (year >= 1950 && year < 2050) return derTlv(TAG.utcTime, utf8ToBytes(`${pad(year % 100)}${rest}`));
  return derTlv(TAG.generalizedTime, utf8ToBytes(`${pad(year, 4)}${rest}`));
}

/** `[n] EXPLICIT`: a context-specific constructed wrapper around one complete TLV. */
export function derExplicit(tagNumber: number, inner: Uint8Array): Uint8Array {
  assert(
    Number.isInteger(tagNumber) && tagNumber >= 0 && tagNumber <= 30,
    `Tag [${tagNumber}] is out of range.`,
  );
  return derTlv(TAG.contextExplicit | tagNumber, inner);
}
