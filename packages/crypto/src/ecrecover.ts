import { bigintToFixedBytes, compareBytes } from "@charter/utils";
import { SECP256K1_ORDER } from "./ecdsa.js";
import { loadNativeSecp256k1 } from "./secp256k1Native.js";

const ORDER_BYTES = bigintToFixedBytes(SECP256K1_ORDER, 32);

/**
 * Recovers a 65-byte uncompressed secp256k1 public key under the rules of the EVM's ECRECOVER precompile
 * (address 0x01). These are looser than a transaction's: EIP-2 restricted only transaction signatures to low `s`,
 * so contracts may pass a high-s signature here and must get the key back. Use the suite's `recoverPublicKey` for
 * everything else.
 *
 * `signature` is `r ‖ s ‖ yParity` (65 bytes). Returns `null` when r or s is 0 or >= n, `yParity` is not 0 or 1,
 * or no point recovers, which the precompile reports as empty output.
 *
 * @example
 * const publicKey = ecrecover(digest, signature);
 * const address = publicKey && createEcdsaSuite().addressFromPublicKey(publicKey);
 */
export function ecrecover(digest: Uint8Array, signature: Uint8Array): Uint8Array | null {
  if (digest.length !== 32 || signature.length !== 65) return null;
  const yParity = signature[64]!;
  if (yParity > 1) return null;
  const r = signature.subarray(0, 32);
  const s = signature.subarray(32, 64);
  if (isZero(r) || isZero(s) || compareBytes(r, ORDER_BYTES) >= 0 || compareBytes(s, ORDER_BYTES) >= 0) {
    return null;
  }
  try {
    return loadNativeSecp256k1().ecdsaRecover(signature.subarray(0, 64), yParity, digest, false);
  } catch {
    return null;
  }
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
