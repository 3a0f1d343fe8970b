import { CharterError } from "@charter/utils";

/**
 * Why a cryptographic operation refused its input. Verification failures are not errors: `verify` returns
 * `false` and `recoverPublicKey` returns `null`, because a bad signature from the network is expected.
 */
export type CryptoErrorCode =
  /** The private key is not 32 bytes or is outside [1, n-1]. */
  | "invalid-private-key"
  /** The public key is not in the suite's encoding (65-byte uncompressed for `ecdsa`). */
  | "invalid-public-key"
  /** A digest to sign is not 32 bytes. */
  | "invalid-digest"
  /** The native secp256k1 addon could not be loaded; the node refuses to fall back to a 20x slower library. */
  | "native-binding-unavailable";

export class CryptoError extends CharterError<CryptoErrorCode> {
  override name = "CryptoError";
}
