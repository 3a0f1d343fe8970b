import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSmSuite, sm2Verify, sm3 } from "@charter/crypto";
import { decodeTx } from "@charter/types";
import {
  bytesToHex,
  concatBytes,
  type Hex,
  hashTypedData,
  hexToBytes,
  stringToBytes,
  toHex,
  toPrefixedMessage,
} from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { isCharterSDKError } from "./errors.js";
import { privateKeyToSM2Account } from "./privateKeyToSM2Account.js";
import {
  hashSM2Message,
  parseSM2MessageSignature,
  recoverSM2MessageAddress,
  SM2_MESSAGE_SIGNATURE_BYTES,
  verifySM2Message,
  verifySM2TypedData,
} from "./sm2Message.js";
import { sm2PrivateKeyToPEM } from "./sm2PEM.js";

const KEY: Hex = "0x3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8";
const account = privateKeyToSM2Account(KEY);
const other = privateKeyToSM2Account(toHex(2n, { size: 32 }));
const hasOpenSSL = spawnSync("openssl", ["version"]).status === 0;

const typedData = {
  domain: { name: "Ether Mail", version: "1", chainId: 7345, verifyingContract: `0x${"cc".repeat(20)}` },
  types: {
    Person: [
      { name: "name", type: "string" },
      { name: "wallet", type: "address" },
    ],
    Mail: [
      { name: "from", type: "Person" },
      { name: "to", type: "Person" },
      { name: "contents", type: "string" },
    ],
  },
  primaryType: "Mail",
  message: {
    from: { name: "Cow", wallet: `0x${"cd".repeat(20)}` },
    to: { name: "Bob", wallet: `0x${"bb".repeat(20)}` },
    contents: "Hello, Bob!",
  },
} as const;

describe("SM2 message signatures", () => {
  it("signs SM3 of the EIP-191 prefixed message and lays out r ‖ s ‖ x ‖ y", async () => {
    const signature = await account.signMessage({ message: "hello world" });
    const bytes = hexToBytes(signature);
    expect(bytes).toHaveLength(SM2_MESSAGE_SIGNATURE_BYTES);
    expect(bytesToHex(bytes.subarray(64))).toBe(`0x${account.publicKey.slice(4)}`);
    const digest = sm3(
      concatBytes([stringToBytes("\x19Ethereum Signed Message:\n11"), stringToBytes("hello world")]),
    );
    expect(hashSM2Message("hello world")).toBe(bytesToHex(digest));
    expect(hashSM2Message("hello world")).toBe(bytesToHex(sm3(hexToBytes(toPrefixedMessage("hello world")))));
    expect(sm2Verify(digest, bytes.subarray(0, 64), hexToBytes(account.publicKey))).toBe(true);
    const parsed = parseSM2MessageSignature(signature);
    expect(parsed?.address).toBe(account.address);
    expect(parsed?.publicKey).toBe(account.publicKey);
  });

  it("verifies its own signatures and nothing else", async () => {
    const message = "court order 17";
    const signature = await account.signMessage({ message });
    expect(verifySM2Message({ address: account.address, message, signature })).toBe(true);
    expect(verifySM2Message({ address: account.address.toLowerCase() as Hex, message, signature })).toBe(
      true,
    );
    expect(recoverSM2MessageAddress({ message, signature })).toBe(account.address);
    expect(verifySM2Message({ address: account.address, message: "court order 18", signature })).toBe(false);
    expect(verifySM2Message({ address: other.address, message, signature })).toBe(false);
    // The other key in the signature: it names the other address, but (r, s) does not verify under it.
    const swapped = `${signature.slice(0, 130)}${other.publicKey.slice(4)}` as Hex;
    expect(verifySM2Message({ address: other.address, message, signature: swapped })).toBe(false);
    const flipped =
      `${signature.slice(0, 10)}${signature[10] === "0" ? "1" : "0"}${signature.slice(11)}` as Hex;
    expect(verifySM2Message({ address: account.address, message, signature: flipped })).toBe(false);
    // Malformed signatures are false, not exceptions.
    for (const bad of ["0x", signature.slice(0, 130), `${signature}00`, "0xzz", `0x${"00".repeat(128)}`]) {
      expect(verifySM2Message({ address: account.address, message, signature: bad as Hex })).toBe(false);
    }
    const notAnAddress = (() => {
      try {
        verifySM2Message({ address: "0x12" as Hex, message, signature });
      } catch (error) {
        return error;
      }
    })();
    expect(isCharterSDKError(notAnAddress, "invalid-argument")).toBe(true);
  });

  it("signs raw bytes messages the way viem prefixes them", async () => {
    const raw = hexToBytes("0x00ff10");
    const signature = await account.signMessage({ message: { raw } });
    expect(verifySM2Message({ address: account.address, message: { raw: "0x00ff10" }, signature })).toBe(
      true,
    );
    expect(verifySM2Message({ address: account.address, message: "0x00ff10", signature })).toBe(false);
  });

  it("signs EIP-712 typed data over viem's Keccak-based digest", async () => {
    const signature = await account.signTypedData(typedData);
    expect(hexToBytes(signature)).toHaveLength(SM2_MESSAGE_SIGNATURE_BYTES);
    const digest = hexToBytes(hashTypedData(typedData));
    expect(sm2Verify(digest, hexToBytes(signature).subarray(0, 64), hexToBytes(account.publicKey))).toBe(
      true,
    );
    expect(verifySM2TypedData({ ...typedData, address: account.address, signature })).toBe(true);
    const changed = { ...typedData, message: { ...typedData.message, contents: "Hello, Eve!" } };
    expect(verifySM2TypedData({ ...changed, address: account.address, signature })).toBe(false);
  });

  it("sign({ hash }) is the bare r ‖ s over the 32 bytes", async () => {
    const hash = bytesToHex(sm3(stringToBytes("x")));
    const signature = await account.sign({ hash });
    expect(hexToBytes(signature)).toHaveLength(64);
    expect(sm2Verify(hexToBytes(hash), hexToBytes(signature), hexToBytes(account.publicKey))).toBe(true);
    await expect(account.sign({ hash: "0x1234" })).rejects.toThrow(/32 bytes/);
  });
});

describe.skipIf(!hasOpenSSL)("SM2 signatures checked by OpenSSL (an independent SM2)", () => {
  const dir = mkdtempSync(join(tmpdir(), "charter-sdk-sm2-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `openssl pkeyutl -verify` of SM2 with SM3 and the default ID over `message`. */
  function opensslVerifies(message: Uint8Array, rs: Uint8Array): boolean {
    writeFileSync(join(dir, "key.pem"), sm2PrivateKeyToPEM(KEY));
    writeFileSync(join(dir, "message.bin"), message);
    writeFileSync(join(dir, "signature.der"), signatureToDER(rs));
    const pub = spawnSync("openssl", [
      "pkey",
      "-in",
      join(dir, "key.pem"),
      "-pubout",
      "-out",
      join(dir, "pub.pem"),
    ]);
    expect(pub.status).toBe(0);
    const verify = spawnSync("openssl", [
      "pkeyutl",
      "-verify",
      "-pubin",
      "-inkey",
      join(dir, "pub.pem"),
      "-rawin",
      "-digest",
      "sm3",
      "-pkeyopt",
      "distid:1234567812345678",
      "-in",
      join(dir, "message.bin"),
      "-sigfile",
      join(dir, "signature.der"),
    ]);
    return verify.status === 0 && verify.stdout.toString().includes("Signature Verified Successfully");
  }

  it("verifies a message signature over the SM3 digest", async () => {
    const signature = hexToBytes(await account.signMessage({ message: "hello" }));
    const digest = hexToBytes(hashSM2Message("hello"));
    expect(opensslVerifies(digest, signature.subarray(0, 64))).toBe(true);
    expect(opensslVerifies(hexToBytes(hashSM2Message("hellO")), signature.subarray(0, 64))).toBe(false);
  });

  it("verifies a transaction signature over its signing hash", async () => {
    const raw = await account.signTransaction({ chainId: 7345, nonce: 3, gas: 21_000n, to: other.address });
    const tx = decodeTx(hexToBytes(raw), { suite: createSmSuite(), chainId: 7345n });
    const rs = concatBytes([hexToBytes(toHex(tx.r, { size: 32 })), hexToBytes(toHex(tx.s, { size: 32 }))]);
    expect(opensslVerifies(tx.signingHash, rs)).toBe(true);
  });
});

/** `SEQUENCE { INTEGER r, INTEGER s }`, the signature form OpenSSL takes. */
function signatureToDER(rs: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0 && bytes[start + 1]! < 0x80) start++;
    const body =
      bytes[start]! >= 0x80 ? concatBytes([Uint8Array.of(0), bytes.subarray(start)]) : bytes.subarray(start);
    return concatBytes([Uint8Array.of(0x02, body.length), body]);
  };
  const body = concatBytes([integer(rs.subarray(0, 32)), integer(rs.subarray(32))]);
  return concatBytes([Uint8Array.of(0x30, body.length), body]);
}
