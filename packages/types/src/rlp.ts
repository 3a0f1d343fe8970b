import { type NestedUint8Array, RLP } from "@ethereumjs/rlp";
import { CodecError } from "./errors.js";

/** A decoded RLP item: a byte string or a list of items. */
export type RlpItem = Uint8Array | NestedUint8Array;

export interface DecodeRlpOptions {
  /**
   * How deeply lists may nest; the outermost list is depth 1, so a list of byte strings needs 1. Every Charter
   * format has a small fixed depth, and a bound is needed because @ethereumjs/rlp recurses once per level and
   * copies each list's payload at every level: a 100 KB input of nested lists takes seconds, hundreds of
   * megabytes and then overflows the stack.
   */
  readonly depthMax: number;
  /** What is being decoded, for error messages ("transaction", "header"...). */
  readonly label: string;
}

/**
 * Decodes exactly one canonical RLP item that spans all of `bytes`, after a non-allocating pass over the prefixes
 * that rejects truncation, trailing bytes, non-canonical length prefixes and nesting deeper than `depthMax`.
 * Throws `CodecError("malformed")`.
 *
 * @example
 * decodeRlp(Uint8Array.of(0xc2, 0x01, 0x02), { depthMax: 1, label: "pair" }); // [Uint8Array [1], Uint8Array [2]]
 */
export function decodeRlp(bytes: Uint8Array, options: DecodeRlpOptions): RlpItem {
  checkRlpShape(bytes, options);
  try {
    return RLP.decode(bytes);
  } catch (cause) {
    // The shape pass accepts only what RLP.decode accepts, so this is a disagreement between the two, reported
    // as malformed input rather than trusted.
    throw new CodecError("malformed", `The ${options.label} is not valid RLP: ${(cause as Error).message}.`, {
      cause,
    });
  }
}

interface Prefix {
  readonly headerLength: number;
  readonly payloadLength: number;
  readonly isList: boolean;
}

/**
 * Walks the RLP structure with an explicit stack of list ends, so its cost is linear in the input and its memory
 * bounded by `depthMax`, whatever the input claims about lengths.
 */
function checkRlpShape(bytes: Uint8Array, options: DecodeRlpOptions): void {
  const { depthMax, label } = options;
  if (bytes.length === 0) throw malformed(label, "it is empty");
  const listEnds: number[] = [];
  let end = bytes.length;
  let pos = 0;
  let topLevelItems = 0;
  for (;;) {
    if (pos === end) {
      const outer = listEnds.pop();
      if (outer === undefined) return;
      end = outer;
      continue;
    }
    if (listEnds.length === 0) {
      topLevelItems++;
      if (topLevelItems > 1)
        throw malformed(label, `${bytes.length - pos} trailing bytes follow the encoding`);
    }
    const prefix = readPrefix(bytes, pos, end, label);
    const itemEnd = pos + prefix.headerLength + prefix.payloadLength;
    if (itemEnd > end) {
      throw malformed(
        label,
        `the item at byte ${pos} claims ${prefix.payloadLength} bytes but its container ends first`,
      );
    }
    if (prefix.isList) {
      if (listEnds.length >= depthMax) throw malformed(label, `lists nest deeper than ${depthMax} levels`);
      listEnds.push(end);
      end = itemEnd;
      pos += prefix.headerLength;
    } else {
      pos = itemEnd;
    }
  }
}

function readPrefix(bytes: Uint8Array, pos: number, end: number, label: string): Prefix {
  const first = bytes[pos]!;
  if (first < 0x80) return { headerLength: 0, payloadLength: 1, isList: false };
  if (first <= 0xb7) {
    const payloadLength = first - 0x80;
    if (payloadLength === 1 && pos + 1 < end && bytes[pos + 1]! < 0x80) {
      throw malformed(
        label,
        `the byte string at byte ${pos} is a single byte below 0x80 with a length prefix`,
      );
    }
    return { headerLength: 1, payloadLength, isList: false };
  }
  if (first <= 0xbf) return readLongPrefix(bytes, pos, end, first - 0xb7, false, label);
  if (first <= 0xf7) return { headerLength: 1, payloadLength: first - 0xc0, isList: true };
  return readLongPrefix(bytes, pos, end, first - 0xf7, true, label);
}

function readLongPrefix(
  bytes: Uint8Array,
  pos: number,
  end: number,
  lengthOfLength: number,
  isList: boolean,
  label: string,
): Prefix {
  if (pos + 1 + lengthOfLength > end) throw malformed(label, `the length prefix at byte ${pos} is truncated`);
  if (bytes[pos + 1] === 0)
    throw malformed(label, `the length prefix at byte ${pos} has a leading zero byte`);
  let payloadLength = 0;
  for (let i = 0; i < lengthOfLength; i++) {
    payloadLength = payloadLength * 256 + bytes[pos + 1 + i]!;
    // Stop as soon as the length cannot fit, so a hostile 8-byte length never has to be represented exactly.
    if (payloadLength > end) {
      throw malformed(label, `the item at byte ${pos} claims more bytes than its container holds`);
    }
  }
  if (payloadLength < 56) {
    throw malformed(label, `the item at byte ${pos} uses a long length prefix for fewer than 56 bytes`);
  }
  return { headerLength: 1 + lengthOfLength, payloadLength, isList };
}

function malformed(label: string, reason: string): CodecError {
  return new CodecError("malformed", `The ${label} is not valid RLP: ${reason}.`);
}
