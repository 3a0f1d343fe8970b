import {
  type Cipher,
  type CipherGCM,
  createCipheriv,
  createDecipheriv,
  type DecipherGCM,
  hash,
  hkdfSync,
  randomFillSync,
  timingSafeEqual,
} from "node:crypto";
import { CharterError, utf8ToBytes } from "@charter/utils";

/**
 * Why sealing or opening a stored value failed.
 * - `invalid-master-key`: the master key is not 32 bytes.
 * - `unsupported-suite`: the suite is neither `sm` nor `ecdsa`.
 * - `authentication-failed`: a sealed value does not open under this key and store key: it was sealed with
 *   another master key or another algorithm, moved from another store key, truncated, or changed on disk.
 */
export type AtRestErrorCode = "invalid-master-key" | "unsupported-suite" | "authentication-failed";

export class AtRestError extends CharterError<AtRestErrorCode> {
  override name = "AtRestError";
}

/** Length of the master key an at-rest cipher is created from. */
export const AT_REST_MASTER_KEY_BYTES = 32;

/**
 * The first byte of every sealed value. It names the format and the algorithm, so a value sealed by one
 * algorithm is refused by the other instead of being fed to the wrong cipher.
 */
export const AtRestFormat = {
  /** `0x01 ‖ iv(16) ‖ SM4-CTR ciphertext ‖ HMAC-SM3 tag truncated to 16 bytes`. */
  sm4CtrHmacSm3: 0x01,
  /** `0x02 ‖ nonce(12) ‖ AES-256-GCM ciphertext ‖ GCM tag(16)`; nonces from `GcmNonces`. */
  aes256Gcm: 0x02,
} as const;
export type AtRestFormat = (typeof AtRestFormat)[keyof typeof AtRestFormat];

/** The names `algorithm` reports; the store's check record keeps it, so a change of suite is noticed. */
export const AtRestAlgorithm = {
  sm: "sm4-ctr+hmac-sm3/v1",
  ecdsa: "aes-256-gcm/v1",
} as const;

/**
 * Encrypts and authenticates single values of a key-value store, binding each value to the key it is stored
 * under. It has the shape of `@charter/kv`'s `ValueCipher` (declared there; this package does not import `kv`).
 */
export interface AtRestCipher {
  /** `AtRestAlgorithm.sm` or `AtRestAlgorithm.ecdsa`. */
  readonly algorithm: string;
  /** Bytes `seal` adds to a value: 33 for `sm`, 29 for `ecdsa`. */
  readonly overheadBytes: number;
  /** Encrypts `value` for storage under `key` with a new IV: random for `sm`, a never-repeated nonce for `ecdsa`. */
  seal(key: Uint8Array, value: Uint8Array): Uint8Array;
  /** Decrypts what `seal(key, …)` returned; throws `AtRestError("authentication-failed")` on anything else. */
  open(key: Uint8Array, sealed: Uint8Array): Uint8Array;
}

export interface CreateAtRestCipherOptions {
  /** The chain's crypto suite: `sm` uses SM4 and SM3 only, `ecdsa` uses AES-256-GCM and SHA-256. */
  readonly suite: "sm" | "ecdsa";
  /** 32 random bytes; every key the cipher uses is derived from it. The caller may wipe it afterwards. */
  readonly masterKey: Uint8Array;
}

/**
 * Creates the cipher that encrypts a node's stored values (docs/spec/storage.md, "Encryption at rest").
 *
 * - `sm`: SM4-CTR then HMAC-SM3 (encrypt-then-MAC) over `format ‖ len(key) ‖ key ‖ iv ‖ ciphertext`, with a
 *   16-byte SM4 key and a 32-byte MAC key derived by HKDF-SM3. OpenSSL 3.0 has no SM4-GCM, and CTR with an HMAC
 *   is the standard composition of the two national algorithms.
 * - `ecdsa`: AES-256-GCM with `format ‖ key` as additional data, the key derived by HKDF-SHA256.
 *
 * In both, a value read back under another store key, or sealed under another master key, fails to open.
 *
 * @example
 * const cipher = createAtRestCipher({ suite: "sm", masterKey: randomBytes(32) });
 * const sealed = cipher.seal(storeKey, value);
 * cipher.open(storeKey, sealed); // value
 */
export function createAtRestCipher(options: CreateAtRestCipherOptions): AtRestCipher {
  if (options.masterKey.length !== AT_REST_MASTER_KEY_BYTES) {
    throw new AtRestError(
      "invalid-master-key",
      `The storage encryption key must be ${AT_REST_MASTER_KEY_BYTES} bytes, got ${options.masterKey.length}; generate one with 32 random bytes.`,
    );
  }
  if (options.suite === "sm") return new SmCipher(options.masterKey);
  if (options.suite === "ecdsa") return new GcmCipher(options.masterKey);
  throw new AtRestError(
    "unsupported-suite",
    `There is no at-rest cipher for the crypto suite "${String(options.suite)}"; use "sm" or "ecdsa".`,
  );
}

const SM4_KEY_BYTES = 16;
const SM4_IV_BYTES = 16;
const SM3_MAC_KEY_BYTES = 32;
/** HMAC-SM3 truncated to 128 bits, the strength of the SM4 key and of a GCM tag. */
const SM_TAG_BYTES = 16;
const AES_KEY_BYTES = 32;
const GCM_NONCE_BYTES = 12;
const GCM_TAG_BYTES = 16;

/** HKDF `info` labels: one per derived key, so no two keys are ever the same bytes. */
const INFO_SM4 = utf8ToBytes("charter/kv-at-rest/v1/sm4-ctr");
const INFO_HMAC_SM3 = utf8ToBytes("charter/kv-at-rest/v1/hmac-sm3");
const INFO_AES_GCM = utf8ToBytes("charter/kv-at-rest/v1/aes-256-gcm");

function deriveBytes(
  digest: "sm3" | "sha256",
  masterKey: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  // No salt: the master key is already uniformly random, and HKDF's extract step with an all-zero salt is the
  // RFC 5869 default for that case.
  return new Uint8Array(hkdfSync(digest, masterKey, new Uint8Array(0), info, length));
}

/**
 * Random bytes for SM4-CTR IVs, fetched from the CSPRNG 4 KiB at a time: one `randomFillSync` call costs about half a seal
 * of a small value (measured), whatever its length. Every byte handed out is used once.
 */
class RandomPool {
  readonly #pool = new Uint8Array(4096);
  #offset = this.#pool.length;

  fill(target: Uint8Array, offset: number, length: number): void {
    if (this.#offset + length > this.#pool.length) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    target.set(this.#pool.subarray(this.#offset, this.#offset + length), offset);
    this.#offset += length;
  }
}

/**
 * GCM nonces in NIST SP 800-38D's deterministic construction: a random 8-byte fixed field, drawn when the cipher
 * is created and again after every 2^32 nonces, followed by a 4-byte big-endian counter. Nonces from one fixed
 * field never repeat, and two fixed fields collide with probability about F^2 / 2^65 for F fields drawn (2^-33
 * after 65,536 restarts). Fully random 12-byte nonces would reach the standard's 2^32-invocation limit after a
 * few days of a busy chain (a block of 1,000 transfers writes about 11,500 values).
 */
class GcmNonces {
  readonly #fixed = new Uint8Array(8);
  #counter = 0;

  constructor() {
    randomFillSync(this.#fixed);
  }

  fill(target: Uint8Array, offset: number): void {
    if (this.#counter > 0xffffffff) {
      randomFillSync(this.#fixed);
      this.#counter = 0;
    }
    const n = this.#counter++;
    target.set(this.#fixed, offset);
    target[offset + 8] = n >>> 24;
    target[offset + 9] = (n >>> 16) & 0xff;
    target[offset + 10] = (n >>> 8) & 0xff;
    target[offset + 11] = n & 0xff;
  }
}

function authenticationFailed(): AtRestError {
  return new AtRestError(
    "authentication-failed",
    "A stored value failed authentication: it was sealed with another key or algorithm, belongs to another store key, or was changed on disk.",
  );
}

/** A plain `Uint8Array` over a `Buffer` that Node's cipher returned (no copy). */
function view(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Scratch buffers above this size are not kept between calls, so one huge value does not pin its memory. */
const SCRATCH_BYTES_MAX = 64 * 1024;
const HMAC_BLOCK_BYTES = 64;
const SM3_DIGEST_BYTES = 32;

/**
 * SM4-CTR + HMAC-SM3. Built from OpenSSL primitives that need no per-value objects, because creating a cipher
 * and an HMAC object per value costs more than the work for a small value (measured with 100,000 live values on the
 * heap: `createDecipheriv("sm4-ctr")` with `createHmac("sm3")` opened 100-byte values 1.4-1.6 times slower than
 * this): CTR is SM4-ECB, one long-lived context, over the counter blocks, XORed in JavaScript; HMAC is RFC 2104
 * spelled out with two one-shot `hash("sm3")` calls. The output is exactly what `sm4-ctr` and
 * `createHmac("sm3")` give (atRest.test.ts checks it against sm-crypto).
 */
class SmCipher implements AtRestCipher {
  readonly algorithm = AtRestAlgorithm.sm;
  readonly overheadBytes = 1 + SM4_IV_BYTES + SM_TAG_BYTES;
  readonly #ecb: Cipher;
  /** The HMAC key XOR ipad and XOR opad, the first block of the inner and outer hash. */
  readonly #ipad = new Uint8Array(HMAC_BLOCK_BYTES);
  readonly #opad = new Uint8Array(HMAC_BLOCK_BYTES);
  readonly #outer = new Uint8Array(HMAC_BLOCK_BYTES + SM3_DIGEST_BYTES);
  readonly #random = new RandomPool();
  #counters = new Uint8Array(256);
  #macInput = new Uint8Array(512);

  constructor(masterKey: Uint8Array) {
    const encKey = deriveBytes("sm3", masterKey, INFO_SM4, SM4_KEY_BYTES);
    const macKey = deriveBytes("sm3", masterKey, INFO_HMAC_SM3, SM3_MAC_KEY_BYTES);
    // ECB with padding off keeps no state between `update` calls: each call maps whole blocks independently.
    this.#ecb = createCipheriv("sm4-ecb", encKey, null).setAutoPadding(false);
    for (let i = 0; i < HMAC_BLOCK_BYTES; i++) {
      this.#ipad[i] = (macKey[i] ?? 0) ^ 0x36;
      this.#opad[i] = (macKey[i] ?? 0) ^ 0x5c;
    }
    this.#outer.set(this.#opad);
    encKey.fill(0);
    macKey.fill(0);
  }

  seal(key: Uint8Array, value: Uint8Array): Uint8Array {
    const ivEnd = 1 + SM4_IV_BYTES;
    const out = new Uint8Array(ivEnd + value.length + SM_TAG_BYTES);
    out[0] = AtRestFormat.sm4CtrHmacSm3;
    this.#random.fill(out, 1, SM4_IV_BYTES);
    this.#ctr(out.subarray(1, ivEnd), value, out.subarray(ivEnd));
    out.set(this.#tag(key, out.subarray(1, ivEnd + value.length)), ivEnd + value.length);
    return out;
  }

  open(key: Uint8Array, sealed: Uint8Array): Uint8Array {
    const ivEnd = 1 + SM4_IV_BYTES;
    if (sealed.length < this.overheadBytes || sealed[0] !== AtRestFormat.sm4CtrHmacSm3)
      throw authenticationFailed();
    const tagStart = sealed.length - SM_TAG_BYTES;
    const expected = this.#tag(key, sealed.subarray(1, tagStart));
    if (!timingSafeEqual(expected, sealed.subarray(tagStart))) throw authenticationFailed();
    const plain = new Uint8Array(tagStart - ivEnd);
    this.#ctr(sealed.subarray(1, ivEnd), sealed.subarray(ivEnd, tagStart), plain);
    return plain;
  }

  /**
   * `out[i] = input[i] ^ keystream[i]`, the keystream being SM4 of `iv`, `iv + 1`, … read as 128-bit big-endian
   * counters (NIST SP 800-38A CTR with a whole-block increment, as OpenSSL's `sm4-ctr`).
   */
  #ctr(iv: Uint8Array, input: Uint8Array, out: Uint8Array): void {
    if (input.length === 0) return;
    const blocks = Math.ceil(input.length / SM4_IV_BYTES);
    const counters = this.#scratch("counters", blocks * SM4_IV_BYTES);
    const low = ((iv[12]! << 24) | (iv[13]! << 16) | (iv[14]! << 8) | iv[15]!) >>> 0;
    for (let b = 0; b < blocks; b++) {
      const at = b * SM4_IV_BYTES;
      counters.set(iv, at);
      const sum = low + b;
      counters[at + 12] = (sum >>> 24) & 0xff;
      counters[at + 13] = (sum >>> 16) & 0xff;
      counters[at + 14] = (sum >>> 8) & 0xff;
      counters[at + 15] = sum & 0xff;
      // Past 2^32 the carry goes into the upper 96 bits (b < 2^32, so it is at most one).
      if (sum > 0xffffffff) {
        for (let j = at + 11; j >= at; j--) {
          counters[j] = (counters[j]! + 1) & 0xff;
          if (counters[j] !== 0) break;
        }
      }
    }
    const keystream = this.#ecb.update(counters.subarray(0, blocks * SM4_IV_BYTES));
    for (let i = 0; i < input.length; i++) out[i] = input[i]! ^ keystream[i]!;
  }

  /** HMAC-SM3(macKey, format ‖ len(key) as u16 ‖ key ‖ iv ‖ ciphertext), first 16 bytes. */
  #tag(key: Uint8Array, ivAndCiphertext: Uint8Array): Uint8Array {
    const length = HMAC_BLOCK_BYTES + 3 + key.length + ivAndCiphertext.length;
    const inner = this.#scratch("macInput", length);
    inner.set(this.#ipad, 0);
    inner[HMAC_BLOCK_BYTES] = AtRestFormat.sm4CtrHmacSm3;
    // Store keys are at most 1,024 bytes (KV_KEY_BYTES_MAX), so two bytes always hold the length.
    inner[HMAC_BLOCK_BYTES + 1] = key.length >>> 8;
    inner[HMAC_BLOCK_BYTES + 2] = key.length & 0xff;
    inner.set(key, HMAC_BLOCK_BYTES + 3);
    inner.set(ivAndCiphertext, HMAC_BLOCK_BYTES + 3 + key.length);
    this.#outer.set(hash("sm3", inner.subarray(0, length), "buffer"), HMAC_BLOCK_BYTES);
    return hash("sm3", this.#outer, "buffer").subarray(0, SM_TAG_BYTES);
  }

  /** A reusable buffer of at least `length` bytes; a fresh one when `length` is above `SCRATCH_BYTES_MAX`. */
  #scratch(which: "counters" | "macInput", length: number): Uint8Array {
    const current = which === "counters" ? this.#counters : this.#macInput;
    if (current.length >= length) return current;
    const next = new Uint8Array(length);
    if (length <= SCRATCH_BYTES_MAX) {
      if (which === "counters") this.#counters = next;
      else this.#macInput = next;
    }
    return next;
  }
}

class GcmCipher implements AtRestCipher {
  readonly algorithm = AtRestAlgorithm.ecdsa;
  readonly overheadBytes = 1 + GCM_NONCE_BYTES + GCM_TAG_BYTES;
  readonly #key: Uint8Array;
  readonly #nonces = new GcmNonces();
  /** The format byte, the first part of every GCM additional data. */
  readonly #format = Uint8Array.of(AtRestFormat.aes256Gcm);

  constructor(masterKey: Uint8Array) {
    // Raw bytes, not a KeyObject: `createCipheriv` is about 15% faster with them (measured), and the cipher keeps
    // its own copy of the key for its lifetime either way.
    this.#key = deriveBytes("sha256", masterKey, INFO_AES_GCM, AES_KEY_BYTES);
  }

  seal(key: Uint8Array, value: Uint8Array): Uint8Array {
    const nonceEnd = 1 + GCM_NONCE_BYTES;
    const out = new Uint8Array(nonceEnd + value.length + GCM_TAG_BYTES);
    out[0] = AtRestFormat.aes256Gcm;
    this.#nonces.fill(out, 1);
    const cipher: CipherGCM = createCipheriv("aes-256-gcm", this.#key, out.subarray(1, nonceEnd), {
      authTagLength: GCM_TAG_BYTES,
    });
    // Additional data `format ‖ key`; GCM authenticates its length separately, so no length prefix is needed.
    cipher.setAAD(this.#format);
    cipher.setAAD(key);
    out.set(cipher.update(value), nonceEnd);
    cipher.final();
    out.set(cipher.getAuthTag(), nonceEnd + value.length);
    return out;
  }

  open(key: Uint8Array, sealed: Uint8Array): Uint8Array {
    const nonceEnd = 1 + GCM_NONCE_BYTES;
    if (sealed.length < this.overheadBytes || sealed[0] !== AtRestFormat.aes256Gcm)
      throw authenticationFailed();
    const tagStart = sealed.length - GCM_TAG_BYTES;
    const decipher: DecipherGCM = createDecipheriv("aes-256-gcm", this.#key, sealed.subarray(1, nonceEnd), {
      authTagLength: GCM_TAG_BYTES,
    });
    decipher.setAAD(this.#format);
    decipher.setAAD(key);
    decipher.setAuthTag(sealed.subarray(tagStart));
    const plain = decipher.update(sealed.subarray(nonceEnd, tagStart));
    try {
      decipher.final();
    } catch {
      // The plaintext is discarded unread: nothing that failed authentication leaves this function.
      throw authenticationFailed();
    }
    return view(plain);
  }
}
