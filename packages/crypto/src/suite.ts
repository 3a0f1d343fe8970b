/**
 * The set of cryptographic algorithms a chain runs on, chosen once in its genesis. Every chain hash (blocks,
 * transactions, receipts, tries, addresses) and every signature goes through a suite, so the `sm` suite
 * (SM2/SM3) can replace the `ecdsa` suite (secp256k1/Keccak-256) without touching the code that uses it.
 *
 * Signatures are opaque byte strings whose layout belongs to the suite. For `ecdsa` it is the 65-byte
 * `r ‖ s ‖ yParity` form with `s` in the lower half of the curve order.
 */
export interface CryptoSuite {
  readonly name: CryptoSuiteName;
  /** Length in bytes of `sign()` output. */
  readonly signatureLength: number;
  /** The chain hash: Keccak-256 for `ecdsa`, SM3 for `sm`. Always 32 bytes. */
  hash(data: Uint8Array): Uint8Array;
  /** A new random private key. */
  generatePrivateKey(): Uint8Array;
  /** Throws `CryptoError("invalid-private-key")` if the key is out of range. */
  publicKeyFromPrivateKey(privateKey: Uint8Array): Uint8Array;
  /** The 20-byte account address of a public key, as the suite defines it. */
  addressFromPublicKey(publicKey: Uint8Array): Uint8Array;
  /** Signs a 32-byte digest; deterministic (RFC 6979 for `ecdsa`). */
  sign(digest: Uint8Array, privateKey: Uint8Array): Uint8Array;
  /**
   * Checks the form of a signature without a key: its length and, for `ecdsa`, `0 < r < n`, `0 < s <= n/2` and
   * `yParity` in {0, 1}. Cheap enough for decoders to call on every transaction before they spend a recovery, so
   * that a malleable or out-of-range signature is rejected with a precise message at the door.
   */
  isCanonicalSignature(signature: Uint8Array): boolean;
  /**
   * Verifies a signature against a public key. Only the canonical form is accepted: malleable (high-s) signatures
   * and, for `ecdsa`, a wrong `yParity` are rejected, so a third party cannot turn one valid signature into another.
   */
  verify(digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
  /**
   * Recovers the signer's public key from a digest and signature, or returns `null` when the signature is
   * malformed, high-s, or does not recover.
   */
  recoverPublicKey(digest: Uint8Array, signature: Uint8Array): Uint8Array | null;
}

export const CryptoSuiteName = { ecdsa: "ecdsa", sm: "sm" } as const;
export type CryptoSuiteName = (typeof CryptoSuiteName)[keyof typeof CryptoSuiteName];
