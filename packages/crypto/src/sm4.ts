import { type Cipher, createCipheriv, createDecipheriv, type Decipher } from "node:crypto";
import { CryptoError } from "./errors.js";

/** SM4 key, block and IV length in bytes. */
export const SM4_BLOCK_LENGTH = 16;
export const SM4_KEY_LENGTH = 16;

/** An SM4 key schedule kept open for many single-block operations, e.g. a counter or a key-wrapping loop. */
export interface SM4BlockCipher {
  /** Encrypts one 16-byte block. */
  encryptBlock(block: Uint8Array): Uint8Array;
  /** Decrypts one 16-byte block. */
  decryptBlock(block: Uint8Array): Uint8Array;
}

/**
 * An SM4 (GB/T 32907-2016) block cipher over one key, through OpenSSL's `sm4-ecb` with padding off. Expanding the
 * key once and reusing the cipher contexts makes a single-block call about four times cheaper than
 * `sm4EncryptBlock`. Throws `CryptoError("invalid-length")` unless the key is 16 bytes.
 *
 * @example
 * const cipher = createSM4BlockCipher(key);
 * cipher.decryptBlock(cipher.encryptBlock(block)); // block
 */
export function createSM4BlockCipher(key: Uint8Array): SM4BlockCipher {
  checkLength("key", key, SM4_KEY_LENGTH);
  // A copy, so that a caller reusing its key buffer cannot change the key of contexts built later.
  const ownKey = key.slice();
  // ECB without padding is a stateless block-by-block map in OpenSSL: `update` returns every whole block it is
  // given and keeps nothing back, so one context serves any number of independent blocks. Each direction's
  // context is built on first use, so a one-shot encryption does not pay for a decryption key schedule.
  let encryptor: Cipher | undefined;
  let decryptor: Decipher | undefined;
  return {
    encryptBlock: (block) => {
      checkLength("block", block, SM4_BLOCK_LENGTH);
      encryptor ??= createCipheriv("sm4-ecb", ownKey, null).setAutoPadding(false);
      return new Uint8Array(encryptor.update(block));
    },
    decryptBlock: (block) => {
      checkLength("block", block, SM4_BLOCK_LENGTH);
      decryptor ??= createDecipheriv("sm4-ecb", ownKey, null).setAutoPadding(false);
      return new Uint8Array(decryptor.update(block));
    },
  };
}

/**
 * Encrypts one 16-byte block with a 16-byte SM4 key. Throws `CryptoError("invalid-length")` on other sizes.
 *
 * @example
 * sm4EncryptBlock(key, plaintextBlock); // 16-byte ciphertext block
 */
export function sm4EncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  return createSM4BlockCipher(key).encryptBlock(block);
}

/**
 * Decrypts one 16-byte block with a 16-byte SM4 key. Throws `CryptoError("invalid-length")` on other sizes.
 *
 * @example
 * sm4DecryptBlock(key, sm4EncryptBlock(key, block)); // block
 */
export function sm4DecryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  return createSM4BlockCipher(key).decryptBlock(block);
}

/**
 * SM4 in counter mode (GB/T 17964 / NIST SP 800-38A CTR): the keystream is `E_K(iv)`, `E_K(iv + 1)`, … where the
 * whole 16-byte IV is one big-endian counter that wraps modulo 2^128, XORed with `data`; the last block is
 * truncated, so the output is as long as the input. Encryption and decryption are the same function. Never reuse
 * an (key, iv) pair for two messages. Throws `CryptoError("invalid-length")` unless key and IV are 16 bytes.
 *
 * @example
 * const ciphertext = sm4Ctr(key, iv, plaintext);
 * sm4Ctr(key, iv, ciphertext); // plaintext
 */
export function sm4Ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkLength("key", key, SM4_KEY_LENGTH);
  checkLength("IV", iv, SM4_BLOCK_LENGTH);
  const cipher = createCipheriv("sm4-ctr", key, iv);
  const head = cipher.update(data);
  const tail = cipher.final();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

function checkLength(what: string, bytes: Uint8Array, length: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new CryptoError(
      "invalid-length",
      `An SM4 ${what} must be exactly ${length} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}.`,
    );
  }
}
