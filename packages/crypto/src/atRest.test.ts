import { createDecipheriv, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@charter/utils";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AT_REST_MASTER_KEY_BYTES, AtRestError, createAtRestCipher } from "./atRest.js";

/** sm-crypto, an independent pure-JavaScript SM3/SM4, to check the `sm` format as the spec describes it. */
const smCrypto = createRequire(import.meta.url)("sm-crypto") as {
  sm3(input: number[], options: { key: string }): string;
  sm4: { encrypt(input: number[], key: number[], options: { padding: "none"; output: "array" }): number[] };
};

const suites = ["sm", "ecdsa"] as const;
const masterKey = hexToBytes(`0x${"5a".repeat(32)}`);
const storeKey = Uint8Array.of(0x12, ...new Uint8Array(52).fill(7));

function expectAuthFailure(run: () => unknown): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(AtRestError);
  expect((thrown as AtRestError).code).toBe("authentication-failed");
}

describe.each(suites)("at-rest cipher: %s", (suite) => {
  const cipher = createAtRestCipher({ suite, masterKey });

  it("round-trips empty, small, 1 KiB and 1 MiB values and adds exactly overheadBytes", () => {
    expect(cipher.overheadBytes).toBe(suite === "sm" ? 33 : 29);
    for (const length of [0, 1, 32, 1024, 1 << 20]) {
      const value = randomBytes(length);
      const sealed = cipher.seal(storeKey, value);
      expect(sealed.length).toBe(length + cipher.overheadBytes);
      const opened = cipher.open(storeKey, sealed);
      expect(Object.getPrototypeOf(opened)).toBe(Uint8Array.prototype);
      expect(bytesToHex(opened)).toBe(bytesToHex(value));
    }
  });

  it("round-trips random keys and values", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 80 }),
        fc.uint8Array({ maxLength: 300 }),
        (key, value) => {
          expect(cipher.open(key, cipher.seal(key, value))).toEqual(value);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("uses a new IV for every seal and never stores the plaintext", () => {
    const value = randomBytes(64);
    const a = cipher.seal(storeKey, value);
    const b = cipher.seal(storeKey, value);
    expect(bytesToHex(a)).not.toBe(bytesToHex(b));
    expect(bytesToHex(a.subarray(1, suite === "sm" ? 17 : 13))).not.toBe(
      bytesToHex(b.subarray(1, suite === "sm" ? 17 : 13)),
    );
    expect(bytesToHex(a)).not.toContain(bytesToHex(value).slice(2, 34));
    // Thousands of IVs in a row (crossing refills of the random pool) are all distinct.
    const ivs = new Set<string>();
    for (let i = 0; i < 2000; i++) ivs.add(bytesToHex(cipher.seal(storeKey, value).subarray(1, 13)));
    expect(ivs.size).toBe(2000);
  });

  if (suite === "ecdsa")
    it("builds GCM nonces from a random 8-byte field and a counter, never repeating", () => {
      const nonce = (sealed: Uint8Array) => sealed.subarray(1, 13);
      const first = nonce(cipher.seal(storeKey, new Uint8Array(0)));
      const second = nonce(cipher.seal(storeKey, new Uint8Array(0)));
      expect(bytesToHex(second.subarray(0, 8))).toBe(bytesToHex(first.subarray(0, 8)));
      const count = (n: Uint8Array) => new DataView(n.buffer, n.byteOffset + 8, 4).getUint32(0);
      expect(count(second)).toBe(count(first) + 1);
      // Another cipher (another process) draws another fixed field.
      const other = nonce(createAtRestCipher({ suite, masterKey }).seal(storeKey, new Uint8Array(0)));
      expect(bytesToHex(other.subarray(0, 8))).not.toBe(bytesToHex(first.subarray(0, 8)));
      expect(count(other)).toBe(0);
    });

  it("rejects a sealed value with any single byte changed", () => {
    const sealed = cipher.seal(storeKey, utf8ToBytes("balance: 1000"));
    for (let i = 0; i < sealed.length; i++) {
      for (const flip of [0x01, 0x80]) {
        const tampered = sealed.slice();
        tampered[i]! ^= flip;
        expectAuthFailure(() => cipher.open(storeKey, tampered));
      }
    }
  });

  it("rejects truncated, extended and empty sealed values", () => {
    const sealed = cipher.seal(storeKey, utf8ToBytes("value"));
    for (let length = 0; length < sealed.length; length++)
      expectAuthFailure(() => cipher.open(storeKey, sealed.subarray(0, length)));
    expectAuthFailure(() => cipher.open(storeKey, concatBytes(sealed, Uint8Array.of(0))));
  });

  it("rejects a value moved to another key, including two values swapped", () => {
    const keyA = Uint8Array.of(0x11, 1);
    const keyB = Uint8Array.of(0x11, 2);
    const sealedA = cipher.seal(keyA, utf8ToBytes("alice: 5"));
    const sealedB = cipher.seal(keyB, utf8ToBytes("bob: 500"));
    expectAuthFailure(() => cipher.open(keyA, sealedB));
    expectAuthFailure(() => cipher.open(keyB, sealedA));
    // A key that is a prefix of the other, and the same bytes split differently between key and value.
    expectAuthFailure(() => cipher.open(Uint8Array.of(0x11), sealedA));
    expectAuthFailure(() => cipher.open(Uint8Array.of(0x11, 1, 0), sealedA));
    expect(cipher.open(keyA, sealedA)).toEqual(utf8ToBytes("alice: 5"));
  });

  it("rejects values sealed under another master key or by the other algorithm", () => {
    const sealed = cipher.seal(storeKey, utf8ToBytes("secret"));
    const otherKey = masterKey.slice();
    otherKey[31]! ^= 1;
    expectAuthFailure(() => createAtRestCipher({ suite, masterKey: otherKey }).open(storeKey, sealed));
    const other = createAtRestCipher({ suite: suite === "sm" ? "ecdsa" : "sm", masterKey });
    expectAuthFailure(() => other.open(storeKey, sealed));
    expectAuthFailure(() => cipher.open(storeKey, other.seal(storeKey, utf8ToBytes("secret"))));
  });

  it("refuses a master key that is not 32 bytes", () => {
    for (const length of [0, 16, 31, 33, 64]) {
      expect(() => createAtRestCipher({ suite, masterKey: new Uint8Array(length) })).toThrow(
        expect.objectContaining({ code: "invalid-master-key" }),
      );
    }
    expect(AT_REST_MASTER_KEY_BYTES).toBe(32);
  });
});

describe("at-rest cipher formats, rebuilt from docs/spec/storage.md", () => {
  it("sm: SM4-CTR and a truncated HMAC-SM3 under HKDF-SM3 keys, checked with sm-crypto", () => {
    const hmacSm3 = (key: Uint8Array, data: Uint8Array) =>
      hexToBytes(`0x${smCrypto.sm3([...data], { key: bytesToHex(key).slice(2) })}`);
    // RFC 5869 with HMAC-SM3: no salt means a salt of 32 zero bytes (the hash length).
    const hkdfSm3 = (info: string, length: number) => {
      const prk = hmacSm3(new Uint8Array(32), masterKey);
      const t1 = hmacSm3(prk, concatBytes(utf8ToBytes(info), Uint8Array.of(1)));
      return t1.slice(0, length);
    };
    const encKey = hkdfSm3("charter/kv-at-rest/v1/sm4-ctr", 16);
    const macKey = hkdfSm3("charter/kv-at-rest/v1/hmac-sm3", 32);

    const value = randomBytes(100);
    const sealed = createAtRestCipher({ suite: "sm", masterKey }).seal(storeKey, value);
    expect(sealed[0]).toBe(0x01);
    const iv = sealed.subarray(1, 17);
    const ciphertext = sealed.subarray(17, 17 + value.length);
    // CTR: the keystream is SM4 of the IV read as a 128-bit big-endian counter, incremented per block.
    const counter = BigInt(bytesToHex(iv));
    const keystream: number[] = [];
    for (let block = 0n; keystream.length < value.length; block++) {
      const input = hexToBytes(`0x${((counter + block) % (1n << 128n)).toString(16).padStart(32, "0")}`);
      keystream.push(...smCrypto.sm4.encrypt([...input], [...encKey], { padding: "none", output: "array" }));
    }
    expect(ciphertext).toEqual(Uint8Array.from(value, (byte, i) => byte ^ keystream[i]!));
    const macInput = concatBytes(Uint8Array.of(0x01, 0, storeKey.length), storeKey, iv, ciphertext);
    expect(sealed.subarray(17 + value.length)).toEqual(hmacSm3(macKey, macInput).subarray(0, 16));
  });

  it("ecdsa: AES-256-GCM with format ‖ key as additional data under an HKDF-SHA256 key", () => {
    const key = hkdf(sha256, masterKey, undefined, utf8ToBytes("charter/kv-at-rest/v1/aes-256-gcm"), 32);
    const value = randomBytes(100);
    const sealed = createAtRestCipher({ suite: "ecdsa", masterKey }).seal(storeKey, value);
    expect(sealed[0]).toBe(0x02);
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(1, 13), { authTagLength: 16 });
    decipher.setAAD(concatBytes(Uint8Array.of(0x02), storeKey));
    decipher.setAuthTag(sealed.subarray(13 + value.length));
    const plain = concatBytes(decipher.update(sealed.subarray(13, 13 + value.length)), decipher.final());
    expect(plain).toEqual(new Uint8Array(value));
  });
});
