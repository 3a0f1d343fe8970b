import { bytesToBigint } from "@charter/utils";
import { CryptoError } from "./errors.js";
import {
  isSM2PublicKey,
  SM2_ORDER,
  sm2GeneratePrivateKey,
  sm2PublicKeyFromPrivateKey,
  sm2Sign,
  sm2Verify,
} from "./sm2.js";
import { sm3 } from "./sm3.js";
import type { CryptoSuite } from "./suite.js";

const SIGNATURE_LENGTH = 64;
const DIGEST_LENGTH = 32;

/**
 * The `sm` suite: SM2 signatures (GB/T 32918.2) with the default user ID "1234567812345678" and SM3 (GB/T 32905)
 * as the chain hash. Signatures are 64 bytes `r ‖ s`; public keys 65-byte uncompressed (`0x04 ‖ x ‖ y`);
 * addresses the last 20 bytes of `sm3(x ‖ y)`. `sign` treats the 32-byte digest as the SM2 message M, so the
 * signed value is e = SM3(Z_A ‖ digest). SM2 public keys cannot be recovered from a signature (Z_A depends on the
 * key), so `recoverable` is false, `recoverPublicKey` always returns null, and whatever carries an SM2 signature
 * (the type-0x53 transaction, votes, handshakes) must carry or name the public key too.
 *
 * @example
 * const suite = createSmSuite();
 * const key = suite.generatePrivateKey();
 * const digest = suite.hash(new TextEncoder().encode("hello"));
 * const signature = suite.sign(digest, key);
 * suite.verify(digest, signature, suite.publicKeyFromPrivateKey(key)); // true
 */
export function createSmSuite(): CryptoSuite {
  const suite: CryptoSuite = {
    name: "sm",
    signatureLength: SIGNATURE_LENGTH,
    recoverable: false,
    hash: sm3,
    generatePrivateKey: sm2GeneratePrivateKey,
    publicKeyFromPrivateKey: sm2PublicKeyFromPrivateKey,
    addressFromPublicKey,
    isCanonicalSignature,
    sign: (digest: Uint8Array, privateKey: Uint8Array) => {
      if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_LENGTH) {
        const got = digest instanceof Uint8Array ? `${digest.length} bytes` : typeof digest;
        throw new CryptoError("invalid-digest", `A digest to sign must be 32 bytes, got ${got}.`);
      }
      return sm2Sign(digest, privateKey);
    },
    verify: (digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) =>
      digest instanceof Uint8Array &&
      digest.length === DIGEST_LENGTH &&
      isCanonicalSignature(signature) &&
      sm2Verify(digest, signature, publicKey),
    recoverPublicKey: () => null,
  };
  return Object.freeze(suite);
}

function addressFromPublicKey(publicKey: Uint8Array): Uint8Array {
  if (!isSM2PublicKey(publicKey)) {
    throw new CryptoError(
      "invalid-public-key",
      "An sm public key must be 65 bytes in uncompressed form (0x04 followed by x and y) and a point of the SM2 curve.",
    );
  }
  return sm3(publicKey.subarray(1)).slice(12);
}

/**
 * Every SM2 signature that can verify has this form: 64 bytes, r and s in [1, n − 1] and (r + s) mod n ≠ 0. SM2 has
 * no counterpart of ECDSA's (r, n − s) twin, so there is no low-s rule: the form is the whole canonical check.
 */
function isCanonicalSignature(signature: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) return false;
  const r = bytesToBigint(signature.subarray(0, 32));
  const s = bytesToBigint(signature.subarray(32));
  return r >= 1n && r < SM2_ORDER && s >= 1n && s < SM2_ORDER && (r + s) % SM2_ORDER !== 0n;
}
