/**
 * Trie paths are sequences of nibbles (4-bit values), one per array element, because branch nodes fan out 16
 * ways. Hex-prefix encoding packs a nibble path into bytes together with the leaf/extension flag (Ethereum
 * Yellow Paper, appendix C).
 */

export function bytesToNibbles(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    out[2 * i] = bytes[i]! >> 4;
    out[2 * i + 1] = bytes[i]! & 0x0f;
  }
  return out;
}

/** Length of the common prefix of `path` and `key[offset..]`. */
export function commonPrefixLength(path: Uint8Array, key: Uint8Array, offset: number): number {
  const n = Math.min(path.length, key.length - offset);
  let i = 0;
  while (i < n && path[i] === key[offset + i]) i++;
  return i;
}

export function concatNibbles(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function prependNibble(nibble: number, path: Uint8Array): Uint8Array {
  const out = new Uint8Array(path.length + 1);
  out[0] = nibble;
  out.set(path, 1);
  return out;
}

/** Byte length of the hex-prefix encoding of a path of `nibbleCount` nibbles. */
export function hexPrefixLength(nibbleCount: number): number {
  return (nibbleCount >> 1) + 1;
}

/**
 * Writes the hex-prefix encoding of `path` into `out` at `offset`: the first nibble is the flag (2 for a leaf,
 * plus 1 for an odd length), followed by a zero padding nibble when the length is even.
 */
export function writeHexPrefix(path: Uint8Array, isLeaf: boolean, out: Uint8Array, offset: number): void {
  const odd = path.length & 1;
  const flag = (isLeaf ? 2 : 0) + odd;
  let i = 0;
  if (odd) {
    out[offset++] = (flag << 4) | path[0]!;
    i = 1;
  } else {
    out[offset++] = flag << 4;
  }
  for (; i < path.length; i += 2) out[offset++] = (path[i]! << 4) | path[i + 1]!;
}

/**
 * Decodes a hex-prefix encoded path. Returns `undefined` for an invalid flag nibble or a non-zero padding
 * nibble, which canonical encoders never produce.
 */
export function readHexPrefix(bytes: Uint8Array): { path: Uint8Array; isLeaf: boolean } | undefined {
  if (bytes.length === 0) return undefined;
  const flag = bytes[0]! >> 4;
  if (flag > 3) return undefined;
  const odd = flag & 1;
  if (!odd && (bytes[0]! & 0x0f) !== 0) return undefined;
  const path = new Uint8Array((bytes.length - 1) * 2 + odd);
  let j = 0;
  if (odd) path[j++] = bytes[0]! & 0x0f;
  for (let i = 1; i < bytes.length; i++) {
    path[j++] = bytes[i]! >> 4;
    path[j++] = bytes[i]! & 0x0f;
  }
  return { path, isLeaf: flag >= 2 };
}
