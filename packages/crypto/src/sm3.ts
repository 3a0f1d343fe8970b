import { createHash, createHmac, hash } from "node:crypto";
import { CryptoError } from "./errors.js";

/** Length in bytes of an SM3 digest. */
export const SM3_DIGEST_LENGTH = 32;
/**
 * The largest output `sm3Kdf` produces. GB/T 32918.4 caps the KDF at (2^32 − 1) hash blocks; this smaller limit
 * keeps a caller's mistake from allocating gigabytes, and is far above any key or mask the chain derives.
 */
export const SM3_KDF_LENGTH_MAX = 1 << 20;

/**
 * SM3 (GB/T 32905-2016, ISO/IEC 10118-3), the chain hash of the `sm` suite, through OpenSSL. Returns 32 bytes.
 *
 * @example
 * sm3(new TextEncoder().encode("abc")); // 66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0
 */
export function sm3(data: Uint8Array): Uint8Array {
  // `crypto.hash` is the one-shot form (Node 20.12+); it skips the Hash object that `createHash` allocates, which
  // is most of the cost for the short inputs (digests, Z_A preimages) that SM2 hashes. The copy turns the Buffer
  // into a plain Uint8Array.
  return new Uint8Array(hash("sm3", data, "buffer"));
}

/**
 * SM3 over several parts, as if they were concatenated, without building the concatenation.
 *
 * @example
 * sm3Concat([a, b]); // equals sm3(concatBytes(a, b))
 */
export function sm3Concat(parts: readonly Uint8Array[]): Uint8Array {
  const hasher = createHash("sm3");
  for (const part of parts) hasher.update(part);
  return new Uint8Array(hasher.digest());
}

/**
 * HMAC (RFC 2104) with SM3 as the hash: block size 64 bytes, output 32 bytes. Keys longer than 64 bytes are hashed
 * first, as RFC 2104 says.
 *
 * @example
 * hmacSm3(key, message); // 32-byte tag
 */
export function hmacSm3(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sm3", key).update(data).digest());
}

/**
 * The key derivation function of GB/T 32918.4-2016 section 5.4.3 (used by SM2 encryption and key exchange):
 * `Ha_i = SM3(Z ‖ ct_i)` for a 32-bit big-endian counter `ct_i` starting at 1, concatenated and truncated to
 * `lengthBytes`. Throws `CryptoError("invalid-length")` if `lengthBytes` is not an integer in
 * [0, `SM3_KDF_LENGTH_MAX`].
 *
 * @example
 * sm3Kdf(sharedSecret, 16); // a 16-byte SM4 key
 */
export function sm3Kdf(z: Uint8Array, lengthBytes: number): Uint8Array {
  if (!Number.isSafeInteger(lengthBytes) || lengthBytes < 0 || lengthBytes > SM3_KDF_LENGTH_MAX) {
    throw new CryptoError(
      "invalid-length",
      `The SM3 KDF output length must be an integer between 0 and ${SM3_KDF_LENGTH_MAX} bytes, got ${lengthBytes}.`,
    );
  }
  const out = new Uint8Array(lengthBytes);
  const counter = new Uint8Array(4);
  const view = new DataView(counter.buffer);
  for (let ct = 1, offset = 0; offset < lengthBytes; ct++, offset += SM3_DIGEST_LENGTH) {
    view.setUint32(0, ct);
    const block = createHash("sm3").update(z).update(counter).digest();
    out.set(block.subarray(0, Math.min(SM3_DIGEST_LENGTH, lengthBytes - offset)), offset);
  }
  return out;
}
