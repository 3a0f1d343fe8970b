import { createRequire } from "node:module";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@charter/utils";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CryptoError } from "./errors.js";
import { hmacSm3, SM3_KDF_LENGTH_MAX, sm3, sm3Concat, sm3Kdf } from "./sm3.js";

/** sm-crypto, a pure-JS SM2/SM3/SM4 implementation, as an independent reference. */
const smCrypto = createRequire(import.meta.url)("sm-crypto") as {
  sm3(input: number[] | string, options?: { key: number[] | string }): string;
};
const theirSm3 = (data: Uint8Array) => `0x${smCrypto.sm3(Array.from(data))}`;
const theirHmac = (key: Uint8Array, data: Uint8Array) =>
  `0x${smCrypto.sm3(Array.from(data), { key: Array.from(key) })}`;

/** The KDF of GB/T 32918.4 written out from the standard's text, independently of `sm3Kdf`'s loop. */
function referenceKdf(z: Uint8Array, lengthBytes: number): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (let ct = 1; blocks.length * 32 < lengthBytes; ct++) {
    const counter = hexToBytes(`0x${ct.toString(16).padStart(8, "0")}`);
    blocks.push(hexToBytes(theirSm3(concatBytes(z, counter))));
  }
  return concatBytes(...blocks).slice(0, lengthBytes);
}

describe("sm3", () => {
  it("reproduces the GB/T 32905-2016 appendix A examples", () => {
    expect(bytesToHex(sm3(utf8ToBytes("abc")))).toBe(
      "0x66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
    );
    expect(bytesToHex(sm3(utf8ToBytes("abcd".repeat(16))))).toBe(
      "0xdebe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
    );
  });

  it("hashes the empty string to the known SM3 digest", () => {
    expect(bytesToHex(sm3(new Uint8Array()))).toBe(
      "0x1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b",
    );
  });

  it("returns a plain 32-byte Uint8Array, not a Buffer", () => {
    for (const digest of [
      sm3(Uint8Array.of(1)),
      sm3Concat([Uint8Array.of(1)]),
      hmacSm3(Uint8Array.of(1), Uint8Array.of(2)),
    ]) {
      expect(Object.getPrototypeOf(digest)).toBe(Uint8Array.prototype);
      expect(digest.length).toBe(32);
    }
    expect(Object.getPrototypeOf(sm3Kdf(Uint8Array.of(1), 40))).toBe(Uint8Array.prototype);
  });

  it("agrees with sm-crypto on arbitrary inputs, including across block boundaries", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(bytesToHex(sm3(data))).toBe(theirSm3(data));
      }),
      { numRuns: 200 },
    );
    for (const length of [55, 56, 63, 64, 65, 119, 120, 128]) {
      const data = new Uint8Array(length).map((_, i) => i * 7);
      expect(bytesToHex(sm3(data))).toBe(theirSm3(data));
    }
  });

  it("sm3Concat hashes the concatenation of its parts", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 5 }), (parts) => {
        expect(bytesToHex(sm3Concat(parts))).toBe(bytesToHex(sm3(concatBytes(...parts))));
      }),
      { numRuns: 100 },
    );
  });
});

describe("hmacSm3", () => {
  it("agrees with sm-crypto's HMAC-SM3 for short, block-sized and long keys", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 150 }),
        fc.uint8Array({ maxLength: 200 }),
        (key, data) => {
          expect(bytesToHex(hmacSm3(key, data))).toBe(theirHmac(key, data));
        },
      ),
      { numRuns: 150 },
    );
    const data = utf8ToBytes("what do ya want for nothing?");
    for (const keyLength of [1, 32, 63, 64, 65, 128]) {
      const key = new Uint8Array(keyLength).fill(0x0b);
      expect(bytesToHex(hmacSm3(key, data))).toBe(theirHmac(key, data));
    }
  });

  it("is RFC 2104 HMAC over SM3, written out by hand", () => {
    const key = utf8ToBytes("Jefe");
    const data = utf8ToBytes("what do ya want for nothing?");
    const block = new Uint8Array(64);
    block.set(key);
    const inner = sm3(
      concatBytes(
        block.map((b) => b ^ 0x36),
        data,
      ),
    );
    const outer = sm3(
      concatBytes(
        block.map((b) => b ^ 0x5c),
        inner,
      ),
    );
    expect(bytesToHex(hmacSm3(key, data))).toBe(bytesToHex(outer));
  });
});

describe("sm3Kdf", () => {
  it("matches the GB/T 32918.4 construction for lengths around block boundaries", () => {
    const z = utf8ToBytes("shared secret x2 ‖ y2");
    for (const length of [0, 1, 16, 31, 32, 33, 64, 65, 100, 1000]) {
      expect(bytesToHex(sm3Kdf(z, length))).toBe(bytesToHex(referenceKdf(z, length)));
    }
  });

  it("starts its counter at 1, big-endian", () => {
    const z = Uint8Array.of(0xaa, 0xbb);
    expect(bytesToHex(sm3Kdf(z, 32))).toBe(bytesToHex(sm3(Uint8Array.of(0xaa, 0xbb, 0, 0, 0, 1))));
    expect(bytesToHex(sm3Kdf(z, 64).subarray(32))).toBe(
      bytesToHex(sm3(Uint8Array.of(0xaa, 0xbb, 0, 0, 0, 2))),
    );
  });

  it("is a prefix-consistent stream: a shorter output is a prefix of a longer one", () => {
    const z = utf8ToBytes("z");
    expect(bytesToHex(sm3Kdf(z, 100).subarray(0, 45))).toBe(bytesToHex(sm3Kdf(z, 45)));
  });

  it("rejects negative, fractional and oversized lengths", () => {
    for (const length of [-1, 1.5, Number.NaN, SM3_KDF_LENGTH_MAX + 1]) {
      expect(() => sm3Kdf(Uint8Array.of(1), length)).toThrow(CryptoError);
    }
    try {
      sm3Kdf(Uint8Array.of(1), -1);
    } catch (error) {
      expect((error as CryptoError).code).toBe("invalid-length");
    }
  });
});
