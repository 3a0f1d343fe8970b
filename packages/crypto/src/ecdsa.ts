import { assert, bigintToFixedBytes, compareBytes, equalBytes } from "@charter/utils";
import { CryptoError } from "./errors.js";
import { keccak256 } from "./keccak.js";
import { loadNativeSecp256k1, type NativeSecp256k1 } from "./secp256k1Native.js";
import type { CryptoSuite } from "./suite.js";

/** The order n of the secp256k1 group. */
export const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
/** n and floor(n / 2), the largest `s` a canonical (low-s, EIP-2) signature may carry, as 32-byte big-endian. */
const ORDER_BYTES = bigintToFixedBytes(SECP256K1_ORDER, 32);
const HALF_ORDER_BYTES = bigintToFixedBytes(SECP256K1_ORDER / 2n, 32);

const SIGNATURE_LENGTH = 65;
const DIGEST_LENGTH = 32;
const PRIVATE_KEY_LENGTH = 32;
const PUBLIC_KEY_LENGTH = 65;
const UNCOMPRESSED_PREFIX = 0x04;

/**
 * The `ecdsa` suite: secp256k1 signatures through libsecp256k1 and Keccak-256 as the chain hash, which is what
 * Ethereum tools expect. Signatures are 65 bytes `r ‖ s ‖ yParity`, public keys 65-byte uncompressed
 * (`0x04 ‖ x ‖ y`), addresses the last 20 bytes of `keccak256(x ‖ y)`.
 *
 * Throws `CryptoError("native-binding-unavailable")` if libsecp256k1 cannot be loaded, so call it at startup.
 *
 * @example
 * const suite = createEcdsaSuite();
 * const key = suite.generatePrivateKey();
 * const digest = suite.hash(new TextEncoder().encode("hello"));
 * const signature = suite.sign(digest, key);
 * suite.verify(digest, signature, suite.publicKeyFromPrivateKey(key)); // true
 */
export function createEcdsaSuite(): CryptoSuite {
  const native = loadNativeSecp256k1();
  const suite: CryptoSuite = {
    name: "ecdsa",
    signatureLength: SIGNATURE_LENGTH,
    recoverable: true,
    hash: keccak256,
    generatePrivateKey: () => generatePrivateKey(native),
    publicKeyFromPrivateKey: (privateKey: Uint8Array) => {
      checkPrivateKey(native, privateKey);
      return native.publicKeyCreate(privateKey, false);
    },
    addressFromPublicKey,
    isCanonicalSignature,
    sign: (digest: Uint8Array, privateKey: Uint8Array) => sign(native, digest, privateKey),
    verify: (digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => {
      // Verifying by recovery costs about 15-20% more than libsecp256k1's `ecdsaVerify` (see the bench) but also
      // pins `yParity`, which plain ECDSA verification ignores; otherwise flipping that byte would give a second
      // valid encoding of one signature, and signatures end up inside hashed commit certificates.
      if (publicKey.length !== PUBLIC_KEY_LENGTH || publicKey[0] !== UNCOMPRESSED_PREFIX) return false;
      const recovered = recoverPublicKey(native, digest, signature);
      return recovered !== null && equalBytes(recovered, publicKey);
    },
    recoverPublicKey: (digest: Uint8Array, signature: Uint8Array) =>
      recoverPublicKey(native, digest, signature),
  };
  return Object.freeze(suite);
}

function generatePrivateKey(native: NativeSecp256k1): Uint8Array {
  // A uniformly random 32-byte string is a valid key unless it is 0 or >= n, which happens with probability
  // about 2^-128; the loop is there for correctness, not because it is expected to repeat.
  for (;;) {
    const candidate = crypto.getRandomValues(new Uint8Array(PRIVATE_KEY_LENGTH));
    if (native.privateKeyVerify(candidate)) return candidate;
  }
}

function checkPrivateKey(native: NativeSecp256k1, privateKey: Uint8Array): void {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== PRIVATE_KEY_LENGTH) {
    throw new CryptoError("invalid-private-key", "A secp256k1 private key must be exactly 32 bytes.");
  }
  if (!native.privateKeyVerify(privateKey)) {
    throw new CryptoError(
      "invalid-private-key",
      "The secp256k1 private key is out of range: it must be between 1 and the curve order minus 1.",
    );
  }
}

function addressFromPublicKey(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== PUBLIC_KEY_LENGTH || publicKey[0] !== UNCOMPRESSED_PREFIX) {
    throw new CryptoError(
      "invalid-public-key",
      "An ecdsa public key must be 65 bytes in uncompressed form (0x04 followed by x and y).",
    );
  }
  return keccak256(publicKey.subarray(1)).slice(12);
}

function sign(native: NativeSecp256k1, digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  if (digest.length !== DIGEST_LENGTH) {
    throw new CryptoError("invalid-digest", `A digest to sign must be 32 bytes, got ${digest.length}.`);
  }
  checkPrivateKey(native, privateKey);
  // libsecp256k1 signs with an RFC 6979 nonce and always returns the low-s form.
  const { signature, recid } = native.ecdsaSign(digest, privateKey);
  // A recovery id of 2 or 3 means R.x >= n, which has probability about 2^-127 and cannot be expressed in an
  // Ethereum `yParity`.
  assert(recid === 0 || recid === 1, "libsecp256k1 returned a recovery id that yParity cannot express");
  const out = new Uint8Array(SIGNATURE_LENGTH);
  out.set(signature, 0);
  out[64] = recid;
  return out;
}

function recoverPublicKey(
  native: NativeSecp256k1,
  digest: Uint8Array,
  signature: Uint8Array,
): Uint8Array | null {
  if (digest.length !== DIGEST_LENGTH || !isCanonicalSignature(signature)) return null;
  try {
    // libsecp256k1 recovery accepts high-s signatures; the canonical check above is what rejects them.
    return native.ecdsaRecover(signature.subarray(0, 64), signature[64]!, digest, false);
  } catch {
    // A well-formed (r, s) can still fail to recover when no curve point has x = r.
    return null;
  }
}

function isCanonicalSignature(signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LENGTH) return false;
  const yParity = signature[64];
  if (yParity !== 0 && yParity !== 1) return false;
  const r = signature.subarray(0, 32);
  const s = signature.subarray(32, 64);
  return (
    !isZero(r) && compareBytes(r, ORDER_BYTES) < 0 && !isZero(s) && compareBytes(s, HALF_ORDER_BYTES) <= 0
  );
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
