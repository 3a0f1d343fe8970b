import { createRequire } from "node:module";
import { bytesToBigint, bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@charter/utils";
import { secp256k1 as nobleSecp256k1 } from "@noble/curves/secp256k1.js";
import { computeAddress, SigningKey } from "ethers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEcdsaSuite, SECP256K1_ORDER } from "./ecdsa.js";
import { ecrecover } from "./ecrecover.js";
import { CryptoError } from "./errors.js";

const suite = createEcdsaSuite();
const N = SECP256K1_ORDER;

function scalar(value: bigint): Uint8Array {
  return hexToBytes(`0x${value.toString(16).padStart(64, "0")}`);
}

function withParts(signature: Uint8Array, parts: { r?: bigint; s?: bigint; yParity?: number }): Uint8Array {
  const out = signature.slice();
  if (parts.r !== undefined) out.set(scalar(parts.r), 0);
  if (parts.s !== undefined) out.set(scalar(parts.s), 32);
  if (parts.yParity !== undefined) out[64] = parts.yParity;
  return out;
}

/** The EIP-155 worked example: key 0x46…46 signs the hash of its sample transaction. */
const EIP155 = {
  privateKey: hexToBytes(`0x${"46".repeat(32)}`),
  address: "0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f",
  signingHash: hexToBytes("0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53"),
  r: 18515461264373351373200002665853028612451056578545711640558177340181847433846n,
  s: 46948507304638947509940763649030358759909902576025900602547168820602576006531n,
  yParity: 0,
};

const privateKeyArb = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((key) => bytesToBigint(key) > 0n && bytesToBigint(key) < N);
const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe("createEcdsaSuite", () => {
  it("describes itself", () => {
    expect(suite.name).toBe("ecdsa");
    expect(suite.signatureLength).toBe(65);
    expect(Object.isFrozen(suite)).toBe(true);
  });

  it("runs on the native libsecp256k1 addon, not the pure-JS fallback", () => {
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.some((path) => /secp256k1.*\.node$/.test(path))).toBe(true);
    expect(loaded.some((path) => /secp256k1[/\\]lib[/\\]elliptic\.js$/.test(path))).toBe(false);
  });

  it("derives the published addresses of known keys", () => {
    const address = (key: Uint8Array) =>
      bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(key)));
    expect(address(EIP155.privateKey)).toBe(EIP155.address);
    expect(address(scalar(1n))).toBe("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf");
    expect(address(scalar(2n))).toBe("0x2b5ad5c4795c026514f8317c7a215e218dccd6cf");
  });

  it("reproduces the RFC 6979 signature of the EIP-155 example", () => {
    const signature = suite.sign(EIP155.signingHash, EIP155.privateKey);
    expect(bytesToBigint(signature.subarray(0, 32))).toBe(EIP155.r);
    expect(bytesToBigint(signature.subarray(32, 64))).toBe(EIP155.s);
    expect(signature[64]).toBe(EIP155.yParity);
    const recovered = suite.recoverPublicKey(EIP155.signingHash, signature);
    expect(recovered).not.toBeNull();
    expect(bytesToHex(suite.addressFromPublicKey(recovered!))).toBe(EIP155.address);
  });

  it("signs, recovers and derives addresses exactly like ethers' SigningKey", () => {
    fc.assert(
      fc.property(privateKeyArb, digestArb, (privateKey, digest) => {
        const ours = suite.sign(digest, privateKey);
        const signingKey = new SigningKey(bytesToHex(privateKey));
        const theirs = signingKey.sign(bytesToHex(digest));
        expect(bytesToHex(ours.subarray(0, 32))).toBe(theirs.r);
        expect(bytesToHex(ours.subarray(32, 64))).toBe(theirs.s);
        expect(ours[64]).toBe(theirs.yParity);

        const publicKey = suite.publicKeyFromPrivateKey(privateKey);
        expect(bytesToHex(publicKey)).toBe(signingKey.publicKey);
        expect(bytesToHex(suite.recoverPublicKey(digest, ours)!)).toBe(
          SigningKey.recoverPublicKey(bytesToHex(digest), theirs),
        );
        expect(bytesToHex(suite.addressFromPublicKey(publicKey))).toBe(
          computeAddress(signingKey).toLowerCase(),
        );
        expect(suite.verify(digest, ours, publicKey)).toBe(true);
        expect(suite.isCanonicalSignature(ours)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("recovers signatures made by @noble/curves", () => {
    fc.assert(
      fc.property(privateKeyArb, digestArb, (privateKey, digest) => {
        // noble's "recovered" format is yParity ‖ r ‖ s.
        const noble = nobleSecp256k1.sign(digest, privateKey, { prehash: false, format: "recovered" });
        const signature = concatBytes(noble.subarray(1, 65), noble.subarray(0, 1));
        const publicKey = suite.publicKeyFromPrivateKey(privateKey);
        expect(suite.recoverPublicKey(digest, signature)).toEqual(publicKey);
        expect(suite.verify(digest, signature, publicKey)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("rejects a tampered digest, a wrong key and a flipped yParity", () => {
    const digest = suite.hash(utf8ToBytes("vote"));
    const key = suite.generatePrivateKey();
    const publicKey = suite.publicKeyFromPrivateKey(key);
    const signature = suite.sign(digest, key);
    const otherDigest = suite.hash(utf8ToBytes("other vote"));
    expect(suite.verify(otherDigest, signature, publicKey)).toBe(false);
    expect(suite.verify(digest, signature, suite.publicKeyFromPrivateKey(suite.generatePrivateKey()))).toBe(
      false,
    );
    const flipped = withParts(signature, { yParity: signature[64]! ^ 1 });
    expect(suite.verify(digest, flipped, publicKey)).toBe(false);
    expect(suite.recoverPublicKey(digest, flipped)).not.toEqual(publicKey);
  });

  it("rejects the high-s twin of a valid signature, which the ECRECOVER precompile still accepts", () => {
    fc.assert(
      fc.property(privateKeyArb, digestArb, (privateKey, digest) => {
        const signature = suite.sign(digest, privateKey);
        const s = bytesToBigint(signature.subarray(32, 64));
        const twin = withParts(signature, { s: N - s, yParity: signature[64]! ^ 1 });
        const publicKey = suite.publicKeyFromPrivateKey(privateKey);
        expect(suite.isCanonicalSignature(twin)).toBe(false);
        expect(suite.recoverPublicKey(digest, twin)).toBeNull();
        expect(suite.verify(digest, twin, publicKey)).toBe(false);
        expect(ecrecover(digest, twin)).toEqual(publicKey);
        expect(ecrecover(digest, signature)).toEqual(publicKey);
      }),
      { numRuns: 100 },
    );
  });

  it("draws the low-s boundary at floor(n/2)", () => {
    const digest = suite.hash(utf8ToBytes("boundary"));
    const signature = suite.sign(digest, suite.generatePrivateKey());
    expect(suite.isCanonicalSignature(withParts(signature, { s: N / 2n }))).toBe(true);
    expect(suite.isCanonicalSignature(withParts(signature, { s: N / 2n + 1n }))).toBe(false);
  });

  it("rejects out-of-range and malformed signatures without throwing", () => {
    const digest = suite.hash(utf8ToBytes("range"));
    const key = suite.generatePrivateKey();
    const publicKey = suite.publicKeyFromPrivateKey(key);
    const signature = suite.sign(digest, key);
    const bad = [
      withParts(signature, { r: 0n }),
      withParts(signature, { s: 0n }),
      withParts(signature, { r: N }),
      withParts(signature, { r: 2n ** 256n - 1n }),
      withParts(signature, { yParity: 2 }),
      withParts(signature, { yParity: 27 }),
      signature.subarray(0, 64),
      concatBytes(signature, new Uint8Array(1)),
      new Uint8Array(0),
    ];
    for (const candidate of bad) {
      expect(suite.isCanonicalSignature(candidate)).toBe(false);
      expect(suite.recoverPublicKey(digest, candidate)).toBeNull();
      expect(suite.verify(digest, candidate, publicKey)).toBe(false);
    }
    expect(ecrecover(digest, withParts(signature, { r: N }))).toBeNull();
    expect(ecrecover(digest, withParts(signature, { s: N }))).toBeNull();
    expect(ecrecover(digest, withParts(signature, { yParity: 2 }))).toBeNull();
    expect(suite.recoverPublicKey(digest.subarray(0, 31), signature)).toBeNull();
    expect(suite.verify(digest, signature, publicKey.subarray(1))).toBe(false);
    expect(suite.verify(digest, signature, new Uint8Array(65))).toBe(false);
  });

  it("returns null when r is in range but no curve point has x = r", () => {
    // x = 5 is not on secp256k1 (5^3 + 7 = 132 is a non-residue mod p), so no key recovers from r = 5.
    const signature = withParts(new Uint8Array(65), { r: 5n, s: 1n, yParity: 0 });
    expect(suite.isCanonicalSignature(signature)).toBe(true);
    expect(suite.recoverPublicKey(new Uint8Array(32).fill(1), signature)).toBeNull();
  });

  it("throws typed errors for invalid private keys, public keys and digests", () => {
    const invalidKeys = [
      scalar(0n),
      scalar(N),
      scalar(2n ** 256n - 1n),
      new Uint8Array(31),
      new Uint8Array(33),
    ];
    for (const key of invalidKeys) {
      expect(() => suite.publicKeyFromPrivateKey(key)).toThrow(CryptoError);
      expect(() => suite.sign(new Uint8Array(32), key)).toThrow(
        expect.objectContaining({ code: "invalid-private-key" }),
      );
    }
    const key = suite.generatePrivateKey();
    expect(() => suite.sign(new Uint8Array(31), key)).toThrow(
      expect.objectContaining({ code: "invalid-digest" }),
    );
    const publicKey = suite.publicKeyFromPrivateKey(key);
    for (const bad of [publicKey.subarray(1), concatBytes(Uint8Array.of(2), publicKey.subarray(1, 33))]) {
      expect(() => suite.addressFromPublicKey(bad)).toThrow(
        expect.objectContaining({ code: "invalid-public-key" }),
      );
    }
  });

  it("generates distinct valid private keys", () => {
    const keys = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const key = suite.generatePrivateKey();
      expect(key.length).toBe(32);
      expect(() => suite.publicKeyFromPrivateKey(key)).not.toThrow();
      keys.add(bytesToHex(key));
    }
    expect(keys.size).toBe(20);
  });
});
