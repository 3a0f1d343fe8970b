import { CharterError } from "@charter/utils";

/**
 * Why a cryptographic operation refused its input. Verification failures are not errors: `verify` returns
 * `false` and `recoverPublicKey` returns `null`, because a bad signature from the network is expected.
 */
export type CryptoErrorCode =
  /** The private key is not 32 bytes or is outside [1, n-1] ([1, n-2] for SM2). */
  | "invalid-private-key"
  /**
   * The public key is not in the suite's encoding (65-byte uncompressed for both suites) or, for SM2, is not a
   * point of the curve.
   */
  | "invalid-public-key"
  /** A digest to sign is not 32 bytes. */
  | "invalid-digest"
  /** An SM2 user ID is longer than 8191 bytes, the most its 16-bit bit-length field (ENTL) can express. */
  | "invalid-user-id"
  /** An explicit SM2 nonce `k` (test vectors only) is outside [1, n-1] or gives r = 0, r + k = n or s = 0. */
  | "invalid-nonce"
  /** A fixed-size input (an SM4 key, IV or block) or a requested output length is the wrong size. */
  | "invalid-length"
  /** The native secp256k1 addon could not be loaded; the node refuses to fall back to a 20x slower library. */
  | "native-binding-unavailable";

export class CryptoError extends CharterError<CryptoErrorCode> {
  override name = "CryptoError";
}
