import { createRequire } from "node:module";
import { bytesToHex, concatBytes, hexToBytes } from "@charter/utils";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CryptoError } from "./errors.js";
import { createSM4BlockCipher, sm4Ctr, sm4DecryptBlock, sm4EncryptBlock } from "./sm4.js";

/** sm-crypto's pure-JS SM4 (ECB and CBC only), as an independent reference. */
const smCrypto = createRequire(import.meta.url)("sm-crypto") as {
  sm4: {
    encrypt(input: number[], key: number[], options: { padding: "none"; output: "array" }): number[];
  };
};
const theirEcb = (key: Uint8Array, data: Uint8Array) =>
  Uint8Array.from(
    smCrypto.sm4.encrypt(Array.from(data), Array.from(key), { padding: "none", output: "array" }),
  );

/** CTR written out from SP 800-38A with sm-crypto's block cipher: keystream E(iv), E(iv+1), … mod 2^128. */
function referenceCtr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const blocks = Math.ceil(data.length / 16);
  let counter = BigInt(bytesToHex(iv));
  const counters: Uint8Array[] = [];
  for (let i = 0; i < blocks; i++) {
    counters.push(hexToBytes(`0x${counter.toString(16).padStart(32, "0")}`));
    counter = (counter + 1n) % 2n ** 128n;
  }
  const keystream = theirEcb(key, concatBytes(...counters));
  return data.map((byte, i) => byte ^ keystream[i]!);
}

function errorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof CryptoError ? error.code : "not a CryptoError";
  }
  return undefined;
}

const EXAMPLE_KEY = hexToBytes("0x0123456789abcdeffedcba9876543210");
const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

describe("SM4 block cipher", () => {
  it("reproduces GB/T 32907-2016 appendix A example 1", () => {
    const ciphertext = sm4EncryptBlock(EXAMPLE_KEY, EXAMPLE_KEY);
    expect(bytesToHex(ciphertext)).toBe("0x681edf34d206965e86b3e94f536e4246");
    expect(bytesToHex(sm4DecryptBlock(EXAMPLE_KEY, ciphertext))).toBe(bytesToHex(EXAMPLE_KEY));
    expect(Object.getPrototypeOf(ciphertext)).toBe(Uint8Array.prototype);
  });

  it("reproduces GB/T 32907-2016 appendix A example 2: one million encryptions under one key", () => {
    const cipher = createSM4BlockCipher(EXAMPLE_KEY);
    let block = EXAMPLE_KEY;
    for (let i = 0; i < 1_000_000; i++) block = cipher.encryptBlock(block);
    expect(bytesToHex(block)).toBe("0x595298c7c6fd271f0402f804c33d3f66");
  });

  it("agrees with sm-crypto and decrypts what it encrypts", () => {
    fc.assert(
      fc.property(bytes16, bytes16, (key, block) => {
        const cipher = createSM4BlockCipher(key);
        const ciphertext = cipher.encryptBlock(block);
        expect(bytesToHex(ciphertext)).toBe(bytesToHex(theirEcb(key, block)));
        expect(bytesToHex(sm4EncryptBlock(key, block))).toBe(bytesToHex(ciphertext));
        expect(bytesToHex(cipher.decryptBlock(ciphertext))).toBe(bytesToHex(block));
        expect(bytesToHex(sm4DecryptBlock(key, ciphertext))).toBe(bytesToHex(block));
      }),
      { numRuns: 100 },
    );
  });

  it("keeps blocks independent when one cipher is reused", () => {
    const cipher = createSM4BlockCipher(EXAMPLE_KEY);
    const first = cipher.encryptBlock(new Uint8Array(16));
    cipher.encryptBlock(new Uint8Array(16).fill(7));
    expect(bytesToHex(cipher.encryptBlock(new Uint8Array(16)))).toBe(bytesToHex(first));
  });

  it("refuses keys and blocks that are not 16 bytes", () => {
    expect(errorCode(() => sm4EncryptBlock(new Uint8Array(15), new Uint8Array(16)))).toBe("invalid-length");
    expect(errorCode(() => sm4EncryptBlock(new Uint8Array(16), new Uint8Array(17)))).toBe("invalid-length");
    expect(errorCode(() => sm4DecryptBlock(new Uint8Array(16), new Uint8Array(0)))).toBe("invalid-length");
    expect(errorCode(() => createSM4BlockCipher(new Uint8Array(32)))).toBe("invalid-length");
  });
});

describe("sm4Ctr", () => {
  it("matches counter blocks encrypted by sm-crypto, with a partial last block", () => {
    fc.assert(
      fc.property(bytes16, bytes16, fc.uint8Array({ maxLength: 100 }), (key, iv, data) => {
        const ciphertext = sm4Ctr(key, iv, data);
        expect(ciphertext.length).toBe(data.length);
        expect(bytesToHex(ciphertext)).toBe(bytesToHex(referenceCtr(key, iv, data)));
        expect(bytesToHex(sm4Ctr(key, iv, ciphertext))).toBe(bytesToHex(data));
      }),
      { numRuns: 100 },
    );
  });

  it("carries the counter across all 128 bits and wraps at 2^128", () => {
    const data = new Uint8Array(48).fill(0x5a);
    for (const iv of ["0x0000000000000000ffffffffffffffff", "0xfffffffffffffffffffffffffffffffe"]) {
      expect(bytesToHex(sm4Ctr(EXAMPLE_KEY, hexToBytes(iv), data))).toBe(
        bytesToHex(referenceCtr(EXAMPLE_KEY, hexToBytes(iv), data)),
      );
    }
    const zero = new Uint8Array(16);
    const wrapped = sm4Ctr(EXAMPLE_KEY, new Uint8Array(16).fill(0xff), new Uint8Array(32));
    expect(bytesToHex(wrapped.subarray(16))).toBe(bytesToHex(sm4EncryptBlock(EXAMPLE_KEY, zero)));
  });

  it("encrypts the empty message to the empty message", () => {
    expect(sm4Ctr(EXAMPLE_KEY, EXAMPLE_KEY, new Uint8Array()).length).toBe(0);
  });

  it("refuses keys and IVs that are not 16 bytes", () => {
    expect(errorCode(() => sm4Ctr(new Uint8Array(8), new Uint8Array(16), new Uint8Array(4)))).toBe(
      "invalid-length",
    );
    expect(errorCode(() => sm4Ctr(new Uint8Array(16), new Uint8Array(12), new Uint8Array(4)))).toBe(
      "invalid-length",
    );
  });
});
