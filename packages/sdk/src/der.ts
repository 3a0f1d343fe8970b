/**
 * The few DER (ITU-T X.690) pieces that SM2 key files need: definite lengths, INTEGER, OCTET STRING, BIT STRING,
 * OBJECT IDENTIFIER, SEQUENCE and context-specific tags. Not a general ASN.1 library; the reader checks every
 * length against the input before it slices, so a truncated or hostile file fails with a message, not a crash.
 */

export const DERTag = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  objectIdentifier: 0x06,
  sequence: 0x30,
  /** `[0]` constructed, explicit: the ECPrivateKey `parameters` and the PKCS#8 `attributes`. */
  context0: 0xa0,
  /** `[1]` constructed, explicit: the ECPrivateKey `publicKey`. */
  context1: 0xa1,
} as const;
export type DERTag = (typeof DERTag)[keyof typeof DERTag];

/** One tag-length-value element; `content` is a view into the input. */
export interface DERElement {
  readonly tag: number;
  readonly content: Uint8Array;
}

/** A malformed DER input; the PEM reader turns it into a `CharterSDKError`. */
export class DERError extends Error {
  override name = "DERError";
}

/** Lengths above 2^24 − 1 bytes would be a key file of 16 MiB; nothing here is a fraction of that. */
const LENGTH_BYTES_MAX = 3;

/** The definite-length encoding of `length` (short form below 128, long form above). */
function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest >>>= 8) bytes.unshift(rest & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** `tag ‖ length ‖ content…`. */
export function derEncode(tag: number, ...content: Uint8Array[]): Uint8Array {
  const size = content.reduce((sum, part) => sum + part.length, 0);
  const length = encodeLength(size);
  const out = new Uint8Array(1 + length.length + size);
  out[0] = tag;
  out.set(length, 1);
  let offset = 1 + length.length;
  for (const part of content) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A small non-negative INTEGER (a version number). */
export function derSmallInteger(value: number): Uint8Array {
  return derEncode(DERTag.integer, Uint8Array.of(value));
}

/** The OBJECT IDENTIFIER `1.2.156.10197.1.301` and friends, from their dotted form. */
export function derObjectIdentifier(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((arc) => BigInt(arc));
  const [first = 0n, second = 0n, ...rest] = arcs;
  const body: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const groups: number[] = [];
    for (let value = arc; ; value >>= 7n) {
      groups.unshift(Number(value & 0x7fn) | (groups.length === 0 ? 0 : 0x80));
      if (value < 0x80n) break;
    }
    body.push(...groups);
  }
  return derEncode(DERTag.objectIdentifier, Uint8Array.from(body));
}

/** The dotted form of an OBJECT IDENTIFIER's content. */
export function objectIdentifierToString(content: Uint8Array): string {
  const arcs: bigint[] = [];
  let value = 0n;
  for (const byte of content) {
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    }
  }
  if (arcs.length === 0 || (content[content.length - 1]! & 0x80) !== 0) {
    throw new DERError("an OBJECT IDENTIFIER is truncated");
  }
  const [head, ...rest] = arcs as [bigint, ...bigint[]];
  const first = head < 80n ? head / 40n : 2n;
  return [first, head - first * 40n, ...rest].join(".");
}

/** Reads consecutive elements of one DER level. */
export class DERReader {
  private offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly label: string,
  ) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  /** The tag of the next element, or undefined at the end. */
  peekTag(): number | undefined {
    return this.bytes[this.offset];
  }

  /** The next element, which must have tag `tag`. */
  read(tag: number, what: string): DERElement {
    const element = this.next(what);
    if (element.tag !== tag) {
      throw new DERError(
        `${this.label}: expected ${what} (tag 0x${tag.toString(16)}), found tag 0x${element.tag.toString(16)}`,
      );
    }
    return element;
  }

  /** The next element, if it has tag `tag`. */
  readOptional(tag: number, what: string): DERElement | undefined {
    return this.peekTag() === tag ? this.read(tag, what) : undefined;
  }

  /** Fails unless every byte has been read. */
  end(): void {
    if (!this.done) throw new DERError(`${this.label}: unexpected bytes after the last field`);
  }

  private next(what: string): DERElement {
    const { bytes } = this;
    const tag = bytes[this.offset];
    const first = bytes[this.offset + 1];
    if (tag === undefined || first === undefined) throw new DERError(`${this.label}: ${what} is missing`);
    let cursor = this.offset + 2;
    let length = first;
    if (first >= 0x80) {
      const count = first & 0x7f;
      if (count === 0 || count > LENGTH_BYTES_MAX) {
        throw new DERError(`${this.label}: ${what} has an unsupported length encoding`);
      }
      if (cursor + count > bytes.length) throw new DERError(`${this.label}: ${what} is truncated`);
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + bytes[cursor + i]!;
      if (length < 0x80 || bytes[cursor] === 0) {
        throw new DERError(`${this.label}: ${what} has a non-minimal length (not DER)`);
      }
      cursor += count;
    }
    if (cursor + length > bytes.length) throw new DERError(`${this.label}: ${what} is truncated`);
    this.offset = cursor + length;
    return { tag, content: bytes.subarray(cursor, cursor + length) };
  }
}
