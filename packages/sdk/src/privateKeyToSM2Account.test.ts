import { createEcdsaSuite, createSmSuite, SM2_ORDER, sm2Verify } from "@charter/crypto";
import { decodeTx, TxDecodeError, TxType, toVerifiedTx, txSigningPayload } from "@charter/types";
import { bytesToHex, concatBytes, type Hex, hexToBytes, serializeTransaction, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { isCharterSDKError } from "./errors.js";
import { privateKeyToSM2Account } from "./privateKeyToSM2Account.js";

const sm = createSmSuite();
const CHAIN_ID = 7345;
const KEY: Hex = "0x3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8";
const TO = "0x00000000000000000000000000000000000000aa";
const account = privateKeyToSM2Account(KEY);

function decode(raw: Hex) {
  return toVerifiedTx(decodeTx(hexToBytes(raw), { suite: sm, chainId: BigInt(CHAIN_ID) }), sm);
}

describe("privateKeyToSM2Account", () => {
  it("derives the address and public key as the sm suite does", () => {
    const publicKey = sm.publicKeyFromPrivateKey(hexToBytes(KEY));
    expect(account.publicKey).toBe(bytesToHex(publicKey));
    expect(hexToBytes(account.publicKey)).toHaveLength(65);
    expect(account.address.toLowerCase()).toBe(bytesToHex(sm.addressFromPublicKey(publicKey)));
    // EIP-55 checksummed, as viem shows addresses.
    expect(account.address).not.toBe(account.address.toLowerCase());
    expect(account.type).toBe("local");
    expect(account.source).toBe("sm2");
    // Not the secp256k1 address of the same 32 bytes.
    expect(account.address).not.toBe(privateKeyToAccount(KEY).address);
  });

  it("signs an eip1559-shaped transaction as type 0x53 that decodes and verifies to the account", async () => {
    const raw = await account.signTransaction({
      type: "eip1559",
      chainId: CHAIN_ID,
      nonce: 7,
      gas: 90_000n,
      maxFeePerGas: 3n * 10n ** 9n,
      maxPriorityFeePerGas: 10n ** 9n,
      to: TO,
      value: 12_345n,
      data: "0xdeadbeef",
      accessList: [{ address: TO, storageKeys: [toHex(1n, { size: 32 })] }],
    });
    expect(raw.slice(0, 4)).toBe("0x53");
    const tx = decode(raw);
    expect(bytesToHex(tx.sender)).toBe(account.address.toLowerCase());
    expect(tx.type).toBe(TxType.sm2);
    expect(tx.chainId).toBe(BigInt(CHAIN_ID));
    expect(tx.nonce).toBe(7n);
    expect(tx.gasLimit).toBe(90_000n);
    expect(tx.maxFeePerGas).toBe(3n * 10n ** 9n);
    expect(tx.maxPriorityFeePerGas).toBe(10n ** 9n);
    expect(bytesToHex(tx.to!)).toBe(TO);
    expect(tx.value).toBe(12_345n);
    expect(bytesToHex(tx.data)).toBe("0xdeadbeef");
    expect(tx.accessList).toHaveLength(1);
    expect(bytesToHex(tx.accessList[0]!.storageKeys[0]!)).toBe(toHex(1n, { size: 32 }));
    expect(bytesToHex(tx.publicKey!)).toBe(`0x${account.publicKey.slice(4)}`);
    // A genuine SM2 signature over the 32-byte signing hash SM3(payload), taken as the message.
    const signature = concatBytes([toBytes32(tx.r), toBytes32(tx.s)]);
    expect(bytesToHex(tx.signingHash)).toBe(bytesToHex(sm.hash(txSigningPayload(tx))));
    expect(sm2Verify(tx.signingHash, signature, hexToBytes(account.publicKey))).toBe(true);
  });

  it("maps a legacy-shaped transaction's gasPrice to both fee caps", async () => {
    const raw = await account.signTransaction({
      type: "legacy",
      chainId: CHAIN_ID,
      nonce: 0,
      gas: 21_000n,
      gasPrice: 5n,
      to: TO,
      value: 1n,
    });
    const tx = decode(raw);
    expect(tx.type).toBe(TxType.sm2);
    expect(tx.maxFeePerGas).toBe(5n);
    expect(tx.maxPriorityFeePerGas).toBe(5n);
    expect(bytesToHex(tx.sender)).toBe(account.address.toLowerCase());
  });

  it("maps an eip2930-shaped transaction with its access list, and a creation without to", async () => {
    const raw = await account.signTransaction({
      type: "eip2930",
      chainId: CHAIN_ID,
      nonce: 1,
      gas: 500_000n,
      gasPrice: 0n,
      data: "0x6000",
      accessList: [{ address: TO, storageKeys: [] }],
    });
    const tx = decode(raw);
    expect(tx.to).toBeNull();
    expect(tx.accessList.map((item) => bytesToHex(item.address))).toEqual([TO]);
    expect(bytesToHex(tx.sender)).toBe(account.address.toLowerCase());
  });

  it("is deterministic and ignores viem's serializer argument", async () => {
    const transaction = { chainId: CHAIN_ID, nonce: 2, gas: 21_000n, to: TO, value: 1n } as const;
    const first = await account.signTransaction(transaction);
    const second = await account.signTransaction(transaction, { serializer: serializeTransaction });
    expect(second).toBe(first);
  });

  it("produces what an ecdsa chain refuses", async () => {
    const raw = await account.signTransaction({ chainId: CHAIN_ID, nonce: 0, gas: 21_000n, to: TO });
    expect(() => decodeTx(hexToBytes(raw), { suite: createEcdsaSuite(), chainId: BigInt(CHAIN_ID) })).toThrow(
      TxDecodeError,
    );
    try {
      decodeTx(hexToBytes(raw), { suite: createEcdsaSuite(), chainId: BigInt(CHAIN_ID) });
    } catch (error) {
      expect((error as TxDecodeError).code).toBe("invalid-type");
    }
  });

  it("refuses a transaction without chainId, with blobs or authorizations, or with mixed fees", async () => {
    const cases: unknown[] = [
      { nonce: 0, gas: 21_000n, to: TO },
      { chainId: CHAIN_ID, type: "eip7702", authorizationList: [{}], to: TO },
      { chainId: CHAIN_ID, type: "eip4844", blobVersionedHashes: [toHex(1n, { size: 32 })], to: TO },
      { chainId: CHAIN_ID, gasPrice: 1n, maxFeePerGas: 1n, to: TO },
      { chainId: CHAIN_ID, type: "legacy", gasPrice: 1n, maxPriorityFeePerGas: 1n, to: TO },
      { chainId: CHAIN_ID, maxFeePerGas: 1n, maxPriorityFeePerGas: 2n, to: TO },
      { chainId: CHAIN_ID, nonce: 2 ** 53, to: TO },
      { chainId: CHAIN_ID, to: "0x1234" },
    ];
    for (const transaction of cases) {
      const error = await account.signTransaction(transaction as never).catch((e: unknown) => e);
      expect(isCharterSDKError(error, "invalid-transaction"), String(error)).toBe(true);
    }
    const missing = await account.signTransaction({ to: TO } as never).catch((e: unknown) => e);
    expect(String(missing)).toMatch(/chainId/);
  });

  it("refuses private keys that are malformed or outside [1, n − 2]", () => {
    const bad = [
      "0x",
      "0x01",
      `0x${"00".repeat(32)}`,
      toHex(SM2_ORDER - 1n, { size: 32 }),
      toHex(SM2_ORDER, { size: 32 }),
      `0x${"ff".repeat(32)}`,
      `0x${"zz".repeat(32)}`,
      KEY.slice(2),
    ];
    for (const key of bad) {
      expect(() => privateKeyToSM2Account(key as Hex), key).toThrow(/SM2 private key/);
      try {
        privateKeyToSM2Account(key as Hex);
      } catch (error) {
        expect(isCharterSDKError(error, "invalid-private-key")).toBe(true);
        // The message never repeats the key (n itself is named as the bound).
        if (key.length >= 20 && key !== toHex(SM2_ORDER, { size: 32 })) {
          expect(String(error)).not.toContain(key.slice(2));
        }
      }
    }
    expect(privateKeyToSM2Account(toHex(SM2_ORDER - 2n, { size: 32 })).address).toMatch(
      /^0x[0-9a-fA-F]{40}$/,
    );
    expect(privateKeyToSM2Account(toHex(1n, { size: 32 })).address).toMatch(/^0x[0-9a-fA-F]{40}$/);
  });
});

function toBytes32(value: bigint): Uint8Array {
  return hexToBytes(toHex(value, { size: 32 }));
}
