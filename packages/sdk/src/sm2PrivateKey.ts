import { SM2_ORDER, sm2GeneratePrivateKey } from "@charter/crypto";
import { bytesToHex, type Hex, hexToBytes } from "viem";
import { CharterSDKError } from "./errors.js";

/** An SM2 private key is a 32-byte big-endian integer. */
export const SM2_PRIVATE_KEY_BYTES = 32;
/**
 * The largest SM2 private key, n − 2. SM2 signing inverts 1 + d modulo the group order n, so d = n − 1 has no
 * signature; GB/T 32918.1 section 6.1 draws keys from [1, n − 2].
 */
export const SM2_PRIVATE_KEY_MAX = SM2_ORDER - 2n;

const PRIVATE_KEY_PATTERN = /^0x[0-9a-fA-F]{64}$/;

/**
 * A new random SM2 private key (from the platform's CSPRNG), as 0x-prefixed hex.
 *
 * @example
 * const privateKey = generateSM2PrivateKey();
 * const account = privateKeyToSM2Account(privateKey);
 */
export function generateSM2PrivateKey(): Hex {
  return bytesToHex(sm2GeneratePrivateKey());
}

/** Whether `value` is an SM2 private key: 0x and 64 hex digits whose value is in [1, n − 2]. */
export function isSM2PrivateKey(value: unknown): value is Hex {
  if (typeof value !== "string" || !PRIVATE_KEY_PATTERN.test(value)) return false;
  const d = BigInt(value);
  return d >= 1n && d <= SM2_PRIVATE_KEY_MAX;
}

/**
 * The 32 bytes of a hex SM2 private key, checked. Throws `CharterSDKError("invalid-private-key")` when it is not
 * 0x followed by 64 hex digits or lies outside [1, n − 2]; the message never contains the key.
 *
 * @example
 * sm2PrivateKeyToBytes("0x3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"); // Uint8Array(32)
 */
export function sm2PrivateKeyToBytes(privateKey: Hex): Uint8Array {
  if (typeof privateKey !== "string" || !PRIVATE_KEY_PATTERN.test(privateKey)) {
    const shape =
      typeof privateKey === "string"
        ? `a string of ${privateKey.length} characters`
        : `a value of type ${typeof privateKey}`;
    throw new CharterSDKError(
      "invalid-private-key",
      `An SM2 private key is 32 bytes written as 0x followed by 64 hex digits, but this is ${shape}. ` +
        "Use generateSM2PrivateKey() for a new key or sm2PrivateKeyFromPEM() to read a PEM file.",
    );
  }
  const d = BigInt(privateKey);
  if (d < 1n || d > SM2_PRIVATE_KEY_MAX) {
    throw new CharterSDKError(
      "invalid-private-key",
      "The SM2 private key is out of range: it must be at least 1 and at most n − 2, where n is the order of " +
        "the SM2 curve (0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123). Generate a new key.",
    );
  }
  return hexToBytes(privateKey);
}
