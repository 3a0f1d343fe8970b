import { execFileSync, spawnSync } from "node:child_process";
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { SM2_ORDER, sm2PublicKeyFromPrivateKey } from "@charter/crypto";
import { bytesToHex, type Hex, hexToBytes, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { DERTag, derEncode, derObjectIdentifier, derSmallInteger } from "./der.js";
import { isCharterSDKError } from "./errors.js";
import { SM2_CURVE_OID, sm2PrivateKeyFromPEM, sm2PrivateKeyToPEM } from "./sm2PEM.js";
import { generateSM2PrivateKey, isSM2PrivateKey, sm2PrivateKeyToBytes } from "./sm2PrivateKey.js";

const hasOpenSSL = spawnSync("openssl", ["version"]).status === 0;

const KEYS: readonly Hex[] = [
  "0x3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8",
  toHex(1n, { size: 32 }),
  toHex(SM2_ORDER - 2n, { size: 32 }),
  // Leading zero bytes stay: the key is always 32 bytes.
  "0x0000000000000000000000000000000000000000000000000000000000abcdef",
];

function openssl(args: readonly string[], input?: string): string {
  return execFileSync("openssl", args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

/** The `priv:` of `openssl pkey -text`, as 32-byte hex. */
function opensslPrivateKey(pem: string): Hex {
  const text = openssl(["pkey", "-text", "-noout"], pem);
  expect(text).toMatch(/ASN1 OID: SM2/);
  const match = /priv:\s*([0-9a-f:\s]+?)\s*pub:/.exec(text);
  if (match === null) throw new Error(`no priv: in\n${text}`);
  return toHex(BigInt(`0x${match[1]!.replace(/[:\s]/g, "")}`), { size: 32 });
}

function expectInvalid(pem: string, message: RegExp): void {
  let caught: unknown;
  try {
    sm2PrivateKeyFromPEM(pem);
  } catch (error) {
    caught = error;
  }
  expect(isCharterSDKError(caught, "invalid-private-key"), String(caught)).toBe(true);
  expect(String(caught)).toMatch(message);
}

describe("SM2 private keys as hex", () => {
  it("generates keys in range and reads them back", () => {
    for (let i = 0; i < 20; i++) {
      const key = generateSM2PrivateKey();
      expect(isSM2PrivateKey(key)).toBe(true);
      expect(bytesToHex(sm2PrivateKeyToBytes(key))).toBe(key);
    }
  });

  it("refuses keys outside [1, n − 2] and malformed hex", () => {
    for (const key of [
      toHex(0n, { size: 32 }),
      toHex(SM2_ORDER - 1n, { size: 32 }),
      `0x${"ff".repeat(32)}`,
    ]) {
      expect(isSM2PrivateKey(key)).toBe(false);
      expect(() => sm2PrivateKeyToBytes(key as Hex)).toThrow(/out of range/);
    }
    for (const key of ["", "0x1234", `0x${"1".repeat(63)}`, `${"11".repeat(32)}`, `0x${"g".repeat(64)}`]) {
      expect(isSM2PrivateKey(key)).toBe(false);
      expect(() => sm2PrivateKeyToBytes(key as Hex)).toThrow(/0x followed by 64 hex digits/);
    }
  });
});

describe("SM2 private keys as PEM", () => {
  it.each(["pkcs8", "sec1"] as const)("round-trips %s", (format) => {
    for (const key of KEYS) {
      const pem = sm2PrivateKeyToPEM(key, { format });
      expect(pem).toMatch(
        format === "pkcs8" ? /^-----BEGIN PRIVATE KEY-----\n/ : /^-----BEGIN EC PRIVATE KEY-----\n/,
      );
      expect(sm2PrivateKeyFromPEM(pem)).toBe(key);
      // With other blocks and text around it, and CRLF line ends.
      expect(sm2PrivateKeyFromPEM(`comment\r\n${pem.replace(/\n/g, "\r\n")}trailer`)).toBe(key);
    }
  });

  it("writes what node:crypto reads, byte for byte as it re-encodes PKCS#8", () => {
    for (const key of KEYS) {
      const pkcs8 = sm2PrivateKeyToPEM(key);
      const parsed = createPrivateKey(pkcs8);
      const der = parsed.export({ type: "pkcs8", format: "der" });
      expect(bytesToHex(der)).toBe(bytesToHex(pemBody(pkcs8)));
      // node:crypto reads the SEC1 form too (it must not be asked to export SEC1: Node 20 aborts on SM2 keys).
      const fromSec1 = createPrivateKey(sm2PrivateKeyToPEM(key, { format: "sec1" }));
      expect(bytesToHex(fromSec1.export({ type: "pkcs8", format: "der" }))).toBe(bytesToHex(der));
    }
  });

  it.skipIf(!hasOpenSSL)("writes what openssl reads as an SM2 key with the same private scalar", () => {
    for (const key of KEYS) {
      for (const format of ["pkcs8", "sec1"] as const) {
        expect(opensslPrivateKey(sm2PrivateKeyToPEM(key, { format }))).toBe(key);
      }
      // openssl writes the same PKCS#8 bytes back.
      const pkcs8 = sm2PrivateKeyToPEM(key);
      expect(openssl(["pkey"], pkcs8)).toBe(pkcs8);
    }
  });

  it.skipIf(!hasOpenSSL)("reads keys openssl generates, in each of its layouts", () => {
    const pkcs8 = openssl(["genpkey", "-algorithm", "SM2"]);
    const key = opensslPrivateKey(pkcs8);
    expect(sm2PrivateKeyFromPEM(pkcs8)).toBe(key);
    // OpenSSL 3 labels a SEC1 SM2 key "SM2 PRIVATE KEY"; OpenSSL 1.1 "EC PRIVATE KEY".
    const sec1 = openssl(["ec"], pkcs8);
    expect(sec1).toMatch(/-----BEGIN (SM2|EC) PRIVATE KEY-----/);
    expect(sm2PrivateKeyFromPEM(sec1)).toBe(key);
    expect(sm2PrivateKeyFromPEM(sec1.replace(/SM2 PRIVATE KEY/g, "EC PRIVATE KEY"))).toBe(key);
    // `ecparam -genkey` puts a parameters block first.
    const withParameters = openssl(["ecparam", "-name", "SM2", "-genkey"]);
    expect(withParameters).toMatch(/PARAMETERS-----[\s\S]*PRIVATE KEY-----/);
    expect(sm2PrivateKeyFromPEM(withParameters)).toBe(opensslPrivateKey(withParameters));
  });

  it("refuses keys of other curves and algorithms, naming them", () => {
    const secp256k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey;
    expectInvalid(secp256k1.export({ type: "pkcs8", format: "pem" }) as string, /secp256k1.*not SM2/);
    expectInvalid(
      secp256k1.export({ type: "sec1", format: "pem" }) as string,
      /secp256k1.*not the SM2 curve/,
    );
    const p256 = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
    expectInvalid(p256.export({ type: "pkcs8", format: "pem" }) as string, /P-256/);
    const ed25519 = generateKeyPairSync("ed25519").privateKey;
    expectInvalid(ed25519.export({ type: "pkcs8", format: "pem" }) as string, /Ed25519/);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
    expectInvalid(rsa.export({ type: "pkcs1", format: "pem" }) as string, /RSA PRIVATE KEY/);
  });

  it("refuses encrypted, corrupt and out-of-range files", () => {
    const key = KEYS[0]!;
    const encrypted = createPrivateKey(sm2PrivateKeyToPEM(key)).export({
      type: "pkcs8",
      format: "pem",
      cipher: "aes-256-cbc",
      passphrase: "secret",
    }) as string;
    expectInvalid(encrypted, /encrypted/);
    expectInvalid("", /No PEM block/);
    expectInvalid("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", /base64/);
    // Truncated DER.
    const der = pemBody(sm2PrivateKeyToPEM(key));
    expectInvalid(
      toPEMText("PRIVATE KEY", der.subarray(0, der.length - 10)),
      /not a well-formed key.*truncated/,
    );
    // A public key that belongs to another private key.
    const other = sm2PublicKeyFromPrivateKey(hexToBytes(KEYS[1]!));
    const swapped = sec1(hexToBytes(key), other);
    expectInvalid(toPEMText("EC PRIVATE KEY", swapped), /does not belong/);
    // d = n − 1 and d = 0 in an otherwise well-formed file.
    for (const d of [SM2_ORDER - 1n, 0n]) {
      expectInvalid(toPEMText("EC PRIVATE KEY", sec1(hexToBytes(toHex(d, { size: 32 })))), /out of range/);
    }
    // Not refused: a SEC1 key without the optional public key.
    expect(sm2PrivateKeyFromPEM(toPEMText("EC PRIVATE KEY", sec1(hexToBytes(key))))).toBe(key);
    expectInvalid("x".repeat(70_000), /well under/);
  });
});

/** A SEC1 ECPrivateKey on the SM2 curve, with `publicKey` if given. */
function sec1(d: Uint8Array, publicKey?: Uint8Array): Uint8Array {
  return derEncode(
    DERTag.sequence,
    derSmallInteger(1),
    derEncode(DERTag.octetString, d),
    derEncode(DERTag.context0, derObjectIdentifier(SM2_CURVE_OID)),
    ...(publicKey === undefined
      ? []
      : [derEncode(DERTag.context1, derEncode(DERTag.bitString, Uint8Array.of(0), publicKey))]),
  );
}

function pemBody(pem: string): Uint8Array {
  const base64 = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  return new Uint8Array(Buffer.from(base64, "base64"));
}

function toPEMText(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64")}\n-----END ${label}-----\n`;
}
