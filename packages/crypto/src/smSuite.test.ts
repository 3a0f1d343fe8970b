import { createRequire } from "node:module";
import { bytesToBigint, bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@charter/utils";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEcdsaSuite } from "./ecdsa.js";
import { CryptoError } from "./errors.js";
import { SM2_ORDER, sm2Sign, sm2Verify } from "./sm2.js";
import { createSmSuite } from "./smSuite.js";

const smCrypto = createRequire(import.meta.url)("sm-crypto") as {
  sm2: {
    doSignature(message: Uint8Array, privateKeyHex: string, options: { hash: true; der: false }): string;
    doVerifySignature(
      message: Uint8Array,
      signatureHex: string,
      publicKeyHex: string,
      options: { hash: true; der: false },
    ): boolean;
  };
  sm3(input: number[]): string;
};

const suite = createSmSuite();
const N = SM2_ORDER;
const hex = (bytes: Uint8Array) => bytesToHex(bytes).slice(2);
const scalar = (value: bigint) => hexToBytes(`0x${value.toString(16).padStart(64, "0")}`);

function errorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof CryptoError ? error.code : "not a CryptoError";
  }
  return undefined;
}

/** The key of the GB/T 32918.5 annex example. */
const PRIVATE_KEY = hexToBytes("0x3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8");
const PUBLIC_KEY = hexToBytes(
  "0x0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020" +
    "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13",
);

const privateKeyArb = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((key) => bytesToBigint(key) >= 1n && bytesToBigint(key) <= N - 2n);
const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe("createSmSuite", () => {
  it("describes itself", () => {
    expect(suite.name).toBe("sm");
    expect(suite.signatureLength).toBe(64);
    expect(suite.recoverable).toBe(false);
    expect(Object.isFrozen(suite)).toBe(true);
    expect(createEcdsaSuite().recoverable).toBe(true);
  });

  it("hashes with SM3", () => {
    expect(hex(suite.hash(utf8ToBytes("abc")))).toBe(
      "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
    );
  });

  it("derives keys and addresses: address = last 20 bytes of SM3(x ‖ y)", () => {
    expect(hex(suite.publicKeyFromPrivateKey(PRIVATE_KEY))).toBe(hex(PUBLIC_KEY));
    const address = suite.addressFromPublicKey(PUBLIC_KEY);
    expect(address.length).toBe(20);
    expect(hex(address)).toBe(smCrypto.sm3(Array.from(PUBLIC_KEY.subarray(1))).slice(24));
    const generated = suite.generatePrivateKey();
    expect(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(generated)).length).toBe(20);
  });

  it("refuses addresses of keys that are not uncompressed curve points", () => {
    const offCurve = PUBLIC_KEY.slice();
    offCurve[64]! ^= 1;
    for (const bad of [PUBLIC_KEY.subarray(1), offCurve, new Uint8Array(65)]) {
      expect(errorCode(() => suite.addressFromPublicKey(bad))).toBe("invalid-public-key");
    }
  });

  it("signs the digest as the SM2 message: e = SM3(Z_A ‖ digest), default ID", () => {
    const digest = suite.hash(utf8ToBytes("a block header"));
    const signature = suite.sign(digest, PRIVATE_KEY);
    expect(signature.length).toBe(64);
    expect(hex(signature)).toBe(hex(sm2Sign(digest, PRIVATE_KEY)));
    expect(sm2Verify(digest, signature, PUBLIC_KEY)).toBe(true);
    expect(
      smCrypto.sm2.doVerifySignature(digest, hex(signature), hex(PUBLIC_KEY), { hash: true, der: false }),
    ).toBe(true);
  });

  it("signs and verifies like sm-crypto over random keys and digests, both directions", () => {
    fc.assert(
      fc.property(privateKeyArb, digestArb, (privateKey, digest) => {
        const publicKey = suite.publicKeyFromPrivateKey(privateKey);
        const ours = suite.sign(digest, privateKey);
        expect(suite.isCanonicalSignature(ours)).toBe(true);
        expect(suite.verify(digest, ours, publicKey)).toBe(true);
        expect(
          smCrypto.sm2.doVerifySignature(digest, hex(ours), hex(publicKey), { hash: true, der: false }),
        ).toBe(true);
        const theirs = hexToBytes(
          `0x${smCrypto.sm2.doSignature(digest, hex(privateKey), { hash: true, der: false })}`,
        );
        expect(suite.verify(digest, theirs, publicKey)).toBe(true);
        expect(suite.recoverPublicKey(digest, ours)).toBeNull();
      }),
      { numRuns: 20 },
    );
  });

  it("requires a 32-byte digest", () => {
    expect(errorCode(() => suite.sign(new Uint8Array(31), PRIVATE_KEY))).toBe("invalid-digest");
    expect(errorCode(() => suite.sign(new Uint8Array(33), PRIVATE_KEY))).toBe("invalid-digest");
    const message = new Uint8Array(33);
    const signature = sm2Sign(message, PRIVATE_KEY);
    expect(sm2Verify(message, signature, PUBLIC_KEY)).toBe(true);
    expect(suite.verify(message, signature, PUBLIC_KEY)).toBe(false);
  });

  it("refuses bad private keys", () => {
    for (const bad of [scalar(0n), scalar(N - 1n), new Uint8Array(16)]) {
      expect(errorCode(() => suite.publicKeyFromPrivateKey(bad))).toBe("invalid-private-key");
      expect(errorCode(() => suite.sign(new Uint8Array(32), bad))).toBe("invalid-private-key");
    }
  });

  it("defines the canonical form as 64 bytes, 1 ≤ r, s ≤ n − 1 and (r + s) mod n ≠ 0", () => {
    const digest = new Uint8Array(32).fill(9);
    const signature = suite.sign(digest, PRIVATE_KEY);
    const r = bytesToBigint(signature.subarray(0, 32));
    const s = bytesToBigint(signature.subarray(32));
    const of = (a: bigint, b: bigint) => concatBytes(scalar(a), scalar(b));
    expect(suite.isCanonicalSignature(signature)).toBe(true);
    expect(suite.isCanonicalSignature(of(1n, 1n))).toBe(true);
    expect(suite.isCanonicalSignature(of(N - 1n, N - 2n))).toBe(true);
    for (const bad of [of(0n, s), of(r, 0n), of(N, s), of(r, N), of(1n, N - 1n), of(N - 1n, 1n)]) {
      expect(suite.isCanonicalSignature(bad)).toBe(false);
    }
    expect(suite.isCanonicalSignature(signature.subarray(0, 63))).toBe(false);
    expect(suite.isCanonicalSignature(concatBytes(signature, Uint8Array.of(0)))).toBe(false);
  });

  it("rejects a valid signature under the wrong key, digest or form", () => {
    const digest = new Uint8Array(32).fill(1);
    const signature = suite.sign(digest, PRIVATE_KEY);
    const otherKey = suite.publicKeyFromPrivateKey(suite.generatePrivateKey());
    expect(suite.verify(digest, signature, otherKey)).toBe(false);
    expect(suite.verify(new Uint8Array(32).fill(2), signature, PUBLIC_KEY)).toBe(false);
    expect(suite.verify(digest, concatBytes(signature, Uint8Array.of(0)), PUBLIC_KEY)).toBe(false);
    expect(suite.verify(digest, signature, PUBLIC_KEY.subarray(1))).toBe(false);
    const highS = concatBytes(signature.subarray(0, 32), scalar(N - bytesToBigint(signature.subarray(32))));
    expect(suite.verify(digest, highS, PUBLIC_KEY)).toBe(false);
  });

  it("never recovers a public key", () => {
    const digest = new Uint8Array(32);
    expect(suite.recoverPublicKey(digest, suite.sign(digest, PRIVATE_KEY))).toBeNull();
    expect(suite.recoverPublicKey(digest, new Uint8Array(65))).toBeNull();
  });
});
