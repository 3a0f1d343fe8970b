import { createEcdsaSuite, createSmSuite, SM2_ORDER, sm2Verify, sm3 } from "@charter/crypto";
import { bigintToFixedBytes, bytesToHex, concatBytes, hexToBytes } from "@charter/utils";
import { type NestedUint8Array, RLP } from "@ethereumjs/rlp";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createUnsignedTx } from "./createUnsignedTx.js";
import { CodecError, TxDecodeError, type TxDecodeErrorCode } from "./errors.js";
import { type SignedTx, TxType } from "./transaction.js";
import { decodeTx, encodeTx, txSigningPayload } from "./txCodec.js";
import { recoverTxSender, signTx, toVerifiedTx } from "./txSigner.js";

/** Type 0x53: SM2-signed transactions on an `sm` chain (docs/spec/encoding.md section on SM2 transactions). */

const sm = createSmSuite();
const ecdsa = createEcdsaSuite();
const CHAIN_ID = 7345n;
const KEY = hexToBytes(`0x${"46".repeat(32)}`);
const OTHER_KEY = hexToBytes(`0x${"47".repeat(32)}`);
const TO = hexToBytes("0x3535353535353535353535353535353535353535");

const unsigned = createUnsignedTx({
  type: TxType.sm2,
  chainId: CHAIN_ID,
  nonce: 9n,
  gasLimit: 100_000n,
  maxFeePerGas: 7n,
  maxPriorityFeePerGas: 2n,
  to: TO,
  value: 10n ** 18n,
  data: hexToBytes("0xa9059cbb"),
  accessList: [{ address: TO, storageKeys: [new Uint8Array(32)] }],
});

function decodeSm(raw: Uint8Array): SignedTx {
  return decodeTx(raw, { suite: sm, chainId: CHAIN_ID });
}

function expectRejected(run: () => unknown, code: TxDecodeErrorCode, message?: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(TxDecodeError);
  expect((caught as TxDecodeError).code, (caught as Error).message).toBe(code);
  if (message) expect((caught as Error).message).toMatch(message);
}

/** Re-encodes a signed transaction with its last three fields (publicKey, r, s) replaced. */
function withSignature(tx: SignedTx, publicKey: Uint8Array, r: Uint8Array, s: Uint8Array): Uint8Array {
  const fields = RLP.decode(tx.raw.subarray(1)) as NestedUint8Array;
  return concatBytes(Uint8Array.of(TxType.sm2), RLP.encode([...fields.slice(0, 9), publicKey, r, s]));
}

describe("SM2 transactions (type 0x53)", () => {
  const signed = signTx(unsigned, KEY, sm);

  it("round-trips through the codec and names its sender by its public key", () => {
    expect(signed.raw[0]).toBe(0x53);
    const decoded = decodeSm(signed.raw);
    expect(bytesToHex(decoded.raw)).toBe(bytesToHex(signed.raw));
    expect(bytesToHex(encodeTx(decoded))).toBe(bytesToHex(signed.raw));
    expect(decoded).toMatchObject({ nonce: 9n, maxFeePerGas: 7n, maxPriorityFeePerGas: 2n, gasPrice: 7n });
    expect(decoded.yParity).toBe(0);
    expect(decoded.v).toBe(0n);
    expect(bytesToHex(decoded.publicKey!)).toBe(bytesToHex(sm.publicKeyFromPrivateKey(KEY).subarray(1)));
    // Every chain hash is SM3: the transaction hash and the signing hash.
    expect(bytesToHex(decoded.hash)).toBe(bytesToHex(sm3(signed.raw)));
    expect(bytesToHex(decoded.signingHash)).toBe(bytesToHex(sm3(txSigningPayload(unsigned))));
    const sender = toVerifiedTx(decoded, sm).sender;
    expect(bytesToHex(sender)).toBe(bytesToHex(sm.addressFromPublicKey(sm.publicKeyFromPrivateKey(KEY))));
  });

  it("carries a genuine SM2 signature over the signing hash", () => {
    const signature = concatBytes(bigintToFixedBytes(signed.r, 32), bigintToFixedBytes(signed.s, 32));
    expect(sm2Verify(signed.signingHash, signature, sm.publicKeyFromPrivateKey(KEY))).toBe(true);
  });

  it("has the EIP-1559 fields' signing payload behind the type byte", () => {
    const payload = txSigningPayload(unsigned);
    expect(payload[0]).toBe(0x53);
    expect((RLP.decode(payload.subarray(1)) as NestedUint8Array).length).toBe(9);
  });

  it("is refused by an ecdsa chain, and secp256k1 transactions by an sm chain, with a clear message", () => {
    expectRejected(
      () => decodeTx(signed.raw, { suite: ecdsa, chainId: CHAIN_ID }),
      "invalid-type",
      /^transaction type not valid: type 0x53 \(SM2\) transactions are for chains on the sm suite/,
    );
    const secp = signTx(
      createUnsignedTx({ type: TxType.feeMarket, chainId: CHAIN_ID, nonce: 0n, gasLimit: 21_000n, to: TO }),
      KEY,
      ecdsa,
    );
    expectRejected(
      () => decodeSm(secp.raw),
      "invalid-type",
      /^transaction type not valid: this chain uses the sm suite and accepts only type 0x53/,
    );
    const legacy = signTx(
      createUnsignedTx({ type: TxType.legacy, chainId: CHAIN_ID, nonce: 0n, gasLimit: 21_000n, to: TO }),
      KEY,
      ecdsa,
    );
    expectRejected(() => decodeSm(legacy.raw), "invalid-type", /accepts only type 0x53/);
  });

  it("signs only the type its suite can sign", () => {
    expect(() => signTx(unsigned, KEY, ecdsa)).toThrow(CodecError);
    const feeMarket = createUnsignedTx({
      type: TxType.feeMarket,
      chainId: CHAIN_ID,
      nonce: 0n,
      gasLimit: 1n,
    });
    expect(() => signTx(feeMarket, KEY, sm)).toThrow(/signs only type-0x53/);
  });

  it("names no sender when the public key is someone else's", () => {
    const other = sm.publicKeyFromPrivateKey(OTHER_KEY).subarray(1);
    const raw = withSignature(
      signed,
      other,
      bigintToFixedBytes(signed.r, 32),
      bigintToFixedBytes(signed.s, 32),
    );
    const decoded = decodeSm(raw);
    expect(recoverTxSender(decoded, sm)).toBeNull();
    expectRejected(() => toVerifiedTx(decoded, sm), "invalid-sender", /SM2 signature does not verify/);
  });

  it("rejects a malleated signature: (r, n - s) and a flipped bit do not verify", () => {
    const publicKey = signed.publicKey!;
    const r = bigintToFixedBytes(signed.r, 32);
    for (const s of [SM2_ORDER - signed.s, signed.s ^ 1n]) {
      const decoded = decodeSm(withSignature(signed, publicKey, r, trim(s)));
      expect(recoverTxSender(decoded, sm)).toBeNull();
    }
  });

  it("rejects out-of-range signature values and malformed public keys at the door", () => {
    const publicKey = signed.publicKey!;
    const r = trim(signed.r);
    for (const s of [0n, SM2_ORDER, SM2_ORDER + 1n]) {
      expectRejected(() => decodeSm(withSignature(signed, publicKey, r, trim(s))), "invalid-signature");
    }
    expectRejected(
      () => decodeSm(withSignature(signed, publicKey.subarray(1), r, trim(signed.s))),
      "malformed",
      /publicKey/,
    );
    // A point that is not on the curve decodes (the check is the verification's) but names no sender.
    const offCurve = new Uint8Array(64).fill(7);
    const decoded = decodeSm(withSignature(signed, offCurve, r, trim(signed.s)));
    expect(recoverTxSender(decoded, sm)).toBeNull();
  });

  it("round-trips any fields, and every signature verifies (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
        fc.uint8Array({ maxLength: 200 }),
        (nonce, value, data) => {
          const tx = createUnsignedTx({
            type: TxType.sm2,
            chainId: CHAIN_ID,
            nonce,
            gasLimit: 21_000n,
            value,
            data,
          });
          const signedTx = signTx(tx, KEY, sm);
          const decoded = decodeSm(signedTx.raw);
          expect(decoded.nonce).toBe(nonce);
          expect(decoded.value).toBe(value);
          expect(toVerifiedTx(decoded, sm).sender).toEqual(
            sm.addressFromPublicKey(sm.publicKeyFromPrivateKey(KEY)),
          );
        },
      ),
      { numRuns: 30 },
    );
  });
});

function trim(value: bigint): Uint8Array {
  const bytes = bigintToFixedBytes(value, 33);
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return bytes.subarray(i);
}
