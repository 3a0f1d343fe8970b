/**
 * The set of cryptographic algorithms a chain runs on, chosen once in its genesis. Every chain hash (blocks,
 * transactions, receipts, tries, addresses) and every signature goes through a suite, so the `sm` suite
 * (SM2/SM3, `createSmSuite`) replaces the `ecdsa` suite (secp256k1/Keccak-256, `createEcdsaSuite`) without
 * touching the code that uses it. `docs/spec/crypto.md` specifies both.
 *
 * Signatures are opaque byte strings whose layout belongs to the suite. For `ecdsa` it is the 65-byte
 * `r ‖ s ‖ yParity` form with `s` in the lower half of the curve order; for `sm` the 64-byte SM2 `r ‖ s` with the
 * default user ID "1234567812345678". Public keys are 65-byte uncompressed points (`0x04 ‖ x ‖ y`) in both.
 */
export interface CryptoSuite {
  readonly name: CryptoSuiteName;
  /** Length in bytes of `sign()` output: 65 for `ecdsa`, 64 for `sm`. */
  readonly signatureLength: number;
  /**
   * Whether `recoverPublicKey` can find the signer's public key from a digest and signature alone: true for
   * `ecdsa`, false for `sm` (SM2 hashes the public key into the signed value through Z_A, so there is nothing to
   * solve for). When false, whatever carries a signature must carry the signer's public key as well, or name a
   * key the verifier already knows: the SM transaction type (0x53) holds it beside `r ‖ s`, the p2p hello
   * carries it, and votes are checked against the key in the validator set.
   */
  readonly recoverable: boolean;
  /** The chain hash: Keccak-256 for `ecdsa`, SM3 for `sm`. Always 32 bytes. */
  hash(data: Uint8Array): Uint8Array;
  /** A new random private key. */
  generatePrivateKey(): Uint8Array;
  /** Throws `CryptoError("invalid-private-key")` if the key is out of range. */
  publicKeyFromPrivateKey(privateKey: Uint8Array): Uint8Array;
  /**
   * The 20-byte account address of a public key: the last 20 bytes of `hash(x ‖ y)` in both suites. Throws
   * `CryptoError("invalid-public-key")` for a key not in the suite's encoding (and, for `sm`, not on the curve).
   */
  addressFromPublicKey(publicKey: Uint8Array): Uint8Array;
  /**
   * Signs a 32-byte digest; deterministic (RFC 6979 for `ecdsa`; for `sm` an RFC 6979-style HMAC-SM3 nonce, with
   * the digest as the SM2 message, so the signed value is SM3(Z_A ‖ digest)). Throws `CryptoError` for a digest
   * that is not 32 bytes or a bad private key.
   */
  sign(digest: Uint8Array, privateKey: Uint8Array): Uint8Array;
  /**
   * Checks the form of a signature without a key: its length and, for `ecdsa`, `0 < r < n`, `0 < s <= n/2` and
   * `yParity` in {0, 1}; for `sm`, `0 < r < n`, `0 < s < n` and `(r + s) mod n != 0`. Cheap enough for decoders to call on every transaction before they spend a recovery, so
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
   * malformed, high-s, or does not recover. Always `null` when `recoverable` is false.
   */
  recoverPublicKey(digest: Uint8Array, signature: Uint8Array): Uint8Array | null;
}

export const CryptoSuiteName = { ecdsa: "ecdsa", sm: "sm" } as const;
export type CryptoSuiteName = (typeof CryptoSuiteName)[keyof typeof CryptoSuiteName];
