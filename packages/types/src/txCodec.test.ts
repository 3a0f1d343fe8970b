import { createEcdsaSuite, keccak256, SECP256K1_ORDER } from "@charter/crypto";
import {
  bigintToBytes,
  bigintToFixedBytes,
  bytesToBigint,
  bytesToHex,
  concatBytes,
  hexToBytes,
} from "@charter/utils";
import { type NestedUint8Array, RLP } from "@ethereumjs/rlp";
import { SigningKey, Transaction } from "ethers";
import fc from "fast-check";
import {
  type Hex,
  parseTransaction,
  recoverTransactionAddress,
  serializeTransaction,
  type TransactionSerializable,
} from "viem";
import { describe, expect, it } from "vitest";
import { createUnsignedTx } from "./createUnsignedTx.js";
import { TxDecodeError, type TxDecodeErrorCode, TxDecodeMessage } from "./errors.js";
import { TX_LIMITS_DEFAULT } from "./limits.js";
import { type SignedTx, TxType, type UnsignedTx } from "./transaction.js";
import { decodeTx, encodeTx, txSigningHash, txSigningPayload } from "./txCodec.js";
import { recoverTxSender, signTx } from "./txSigner.js";

const suite = createEcdsaSuite();
const N = SECP256K1_ORDER;
const CHAIN_ID = 1337n;
const KEY = hexToBytes(`0x${"46".repeat(32)}`);
const SENDER = "0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f";

function decode(raw: Uint8Array, chainId = CHAIN_ID): SignedTx {
  return decodeTx(raw, { suite, chainId });
}

/** Asserts that decoding fails with exactly this code and, where given, this message. */
function expectRejected(
  raw: Uint8Array,
  code: TxDecodeErrorCode,
  message?: string | RegExp,
  chainId = CHAIN_ID,
): void {
  let caught: unknown;
  try {
    decode(raw, chainId);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(TxDecodeError);
  const error = caught as TxDecodeError;
  expect(error.code, error.message).toBe(code);
  if (typeof message === "string") expect(error.message).toBe(message);
  else if (message) expect(error.message).toMatch(message);
}

const sample = {
  legacy: createUnsignedTx({
    type: TxType.legacy,
    chainId: CHAIN_ID,
    nonce: 5n,
    gasPrice: 7n,
    gasLimit: 50_000n,
    to: hexToBytes(`0x${"35".repeat(20)}`),
    value: 1000n,
    data: hexToBytes("0xdeadbeef"),
  }),
  accessList: createUnsignedTx({
    type: TxType.accessList,
    chainId: CHAIN_ID,
    nonce: 1n,
    gasPrice: 3n,
    gasLimit: 60_000n,
    to: hexToBytes(`0x${"11".repeat(20)}`),
    accessList: [{ address: hexToBytes(`0x${"22".repeat(20)}`), storageKeys: [new Uint8Array(32).fill(3)] }],
  }),
  feeMarket: createUnsignedTx({
    type: TxType.feeMarket,
    chainId: CHAIN_ID,
    nonce: 2n,
    maxFeePerGas: 10n,
    maxPriorityFeePerGas: 4n,
    gasLimit: 70_000n,
    to: null,
    data: hexToBytes("0x6080"),
    accessList: [{ address: hexToBytes(`0x${"22".repeat(20)}`), storageKeys: [] }],
  }),
};

/** RLP fields of a signed transaction, for building hostile variants of a valid one. */
function fieldsOf(raw: Uint8Array): NestedUint8Array {
  const body = raw[0]! >= 0xc0 ? raw : raw.subarray(1);
  return RLP.decode(body) as NestedUint8Array;
}

function withFields(raw: Uint8Array, edit: (fields: NestedUint8Array) => unknown[]): Uint8Array {
  const encoded = RLP.encode(edit(fieldsOf(raw)) as NestedUint8Array);
  return raw[0]! >= 0xc0 ? encoded : concatBytes(raw.subarray(0, 1), encoded);
}

function replaced(raw: Uint8Array, index: number, value: unknown): Uint8Array {
  return withFields(raw, (fields) => fields.map((field, i) => (i === index ? value : field)));
}

describe("the EIP-155 worked example", () => {
  const unsigned = createUnsignedTx({
    type: TxType.legacy,
    chainId: 1n,
    nonce: 9n,
    gasPrice: 20_000_000_000n,
    gasLimit: 21_000n,
    to: hexToBytes(`0x${"35".repeat(20)}`),
    value: 10n ** 18n,
  });
  const signingData =
    "0xec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080";
  const signingHash = "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53";
  const signedRaw =
    "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc21" +
    "95fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";

  it("reproduces the signing data, signing hash and signed transaction", () => {
    expect(bytesToHex(txSigningPayload(unsigned))).toBe(signingData);
    expect(bytesToHex(txSigningHash(unsigned, suite))).toBe(signingHash);
    const signed = signTx(unsigned, KEY, suite);
    expect(bytesToHex(signed.raw)).toBe(signedRaw);
    expect(signed.v).toBe(37n);
    expect(signed.r).toBe(18515461264373351373200002665853028612451056578545711640558177340181847433846n);
    expect(signed.s).toBe(46948507304638947509940763649030358759909902576025900602547168820602576006531n);
  });

  it("decodes the signed transaction back to the same fields and sender", () => {
    const decoded = decode(hexToBytes(signedRaw), 1n);
    expect(decoded).toEqual(signTx(unsigned, KEY, suite));
    expect(bytesToHex(decoded.signingHash)).toBe(signingHash);
    expect(decoded.hash).toEqual(keccak256(hexToBytes(signedRaw)));
    expect(bytesToHex(recoverTxSender(decoded, suite)!)).toBe(SENDER);
  });
});

describe("signTx / decodeTx / encodeTx", () => {
  it("round-trips each type and normalises fees", () => {
    for (const unsigned of Object.values(sample)) {
      const signed = signTx(unsigned, KEY, suite);
      const decoded = decode(signed.raw);
      expect(decoded).toEqual(signed);
      expect(encodeTx(decoded)).toEqual(signed.raw);
      expect(bytesToHex(recoverTxSender(decoded, suite)!)).toBe(SENDER);
    }
    const feeMarket = decode(signTx(sample.feeMarket, KEY, suite).raw);
    expect([feeMarket.gasPrice, feeMarket.maxFeePerGas, feeMarket.maxPriorityFeePerGas]).toEqual([
      10n,
      10n,
      4n,
    ]);
    const legacy = decode(signTx(sample.legacy, KEY, suite).raw);
    expect([legacy.gasPrice, legacy.maxFeePerGas, legacy.maxPriorityFeePerGas]).toEqual([7n, 7n, 7n]);
    expect(legacy.v).toBe(CHAIN_ID * 2n + 35n + BigInt(legacy.yParity));
  });

  it("copies the caller's buffer, so later writes to it do not change the transaction", () => {
    const raw = signTx(sample.feeMarket, KEY, suite).raw.slice();
    const decoded = decode(raw);
    raw.fill(0);
    expect(decoded.raw).toEqual(signTx(sample.feeMarket, KEY, suite).raw);
  });

  it("refuses to encode values that do not fit the format", () => {
    const bad: UnsignedTx[] = [
      { ...sample.legacy, nonce: 2n ** 64n },
      { ...sample.legacy, gasLimit: -1n },
      { ...sample.legacy, value: 2n ** 256n },
      { ...sample.legacy, to: new Uint8Array(19) },
      { ...sample.legacy, maxFeePerGas: 8n },
      { ...sample.legacy, accessList: sample.accessList.accessList },
      { ...sample.feeMarket, gasPrice: 1n },
      { ...sample.feeMarket, maxPriorityFeePerGas: 11n },
      {
        ...sample.accessList,
        accessList: [{ address: new Uint8Array(20), storageKeys: [new Uint8Array(31)] }],
      },
      { ...sample.legacy, type: 3 as TxType },
    ];
    for (const tx of bad) {
      expect(() => signTx(tx, KEY, suite)).toThrow(expect.objectContaining({ code: "invalid-value" }));
    }
    const signed = signTx(sample.feeMarket, KEY, suite);
    expect(() => encodeTx({ ...signed, yParity: 2 })).toThrow(
      expect.objectContaining({ code: "invalid-value" }),
    );
    expect(() => encodeTx({ ...signed, s: 2n ** 256n })).toThrow(
      expect.objectContaining({ code: "invalid-value" }),
    );
  });

  it("createUnsignedTx refuses fee fields of the other kind", () => {
    const base = { chainId: 1n, nonce: 0n, gasLimit: 21_000n };
    expect(() => createUnsignedTx({ ...base, type: TxType.feeMarket, gasPrice: 1n })).toThrow(
      expect.objectContaining({ code: "invalid-value" }),
    );
    expect(() => createUnsignedTx({ ...base, type: TxType.legacy, maxFeePerGas: 1n })).toThrow(
      expect.objectContaining({ code: "invalid-value" }),
    );
    expect(() =>
      createUnsignedTx({ ...base, type: TxType.legacy, accessList: sample.accessList.accessList }),
    ).toThrow(expect.objectContaining({ code: "invalid-value" }));
  });
});

const bytesArb = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const accessListArb = fc.array(
  fc.record({ address: bytesArb(20), storageKeys: fc.array(bytesArb(32), { maxLength: 3 }) }),
  { maxLength: 3 },
);
const uint256Arb = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
const unsignedTxArb = fc
  .record({
    type: fc.constantFrom(TxType.legacy, TxType.accessList, TxType.feeMarket),
    chainId: fc.bigInt({ min: 1n, max: 2n ** 32n }),
    // ethers and viem hold nonces in JavaScript numbers.
    nonce: fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }),
    gasLimit: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    feeA: uint256Arb,
    feeB: uint256Arb,
    to: fc.option(bytesArb(20), { nil: null }),
    value: uint256Arb,
    data: fc.uint8Array({ maxLength: 200 }),
    accessList: accessListArb,
  })
  .map(({ type, feeA, feeB, accessList, ...rest }): UnsignedTx => {
    if (type === TxType.feeMarket) {
      const [tip, cap] = feeA <= feeB ? [feeA, feeB] : [feeB, feeA];
      return createUnsignedTx({ ...rest, type, maxFeePerGas: cap, maxPriorityFeePerGas: tip, accessList });
    }
    return createUnsignedTx({
      ...rest,
      type,
      gasPrice: feeA,
      ...(type === TxType.accessList ? { accessList } : {}),
    });
  });
const privateKeyArb = bytesArb(32).filter((key) => bytesToBigint(key) > 0n && bytesToBigint(key) < N);

function toEthers(tx: UnsignedTx): Transaction {
  return Transaction.from({
    type: tx.type,
    chainId: tx.chainId,
    nonce: Number(tx.nonce),
    gasLimit: tx.gasLimit,
    to: tx.to === null ? null : bytesToHex(tx.to),
    value: tx.value,
    data: bytesToHex(tx.data),
    ...(tx.type === TxType.feeMarket
      ? { maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas }
      : { gasPrice: tx.gasPrice }),
    ...(tx.type === TxType.legacy
      ? {}
      : {
          accessList: tx.accessList.map((item) => ({
            address: bytesToHex(item.address),
            storageKeys: item.storageKeys.map(bytesToHex),
          })),
        }),
  });
}

const hex = (bytes: Uint8Array) => bytesToHex(bytes) as Hex;

function toViem(tx: UnsignedTx): TransactionSerializable {
  const common = {
    chainId: Number(tx.chainId),
    nonce: Number(tx.nonce),
    gas: tx.gasLimit,
    to: tx.to === null ? null : hex(tx.to),
    value: tx.value,
    data: hex(tx.data),
  };
  const accessList = tx.accessList.map((item) => ({
    address: hex(item.address),
    storageKeys: item.storageKeys.map(hex),
  }));
  if (tx.type === TxType.legacy) return { ...common, type: "legacy" as const, gasPrice: tx.gasPrice };
  if (tx.type === TxType.accessList)
    return { ...common, type: "eip2930" as const, gasPrice: tx.gasPrice, accessList };
  return {
    ...common,
    type: "eip1559" as const,
    maxFeePerGas: tx.maxFeePerGas,
    maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
    accessList,
  };
}

describe("differential tests against ethers v6 and viem", () => {
  it("decodes ethers-signed transactions to the same fields, hashes and sender, and encodes identical bytes", () => {
    fc.assert(
      fc.property(unsignedTxArb, privateKeyArb, (unsigned, privateKey) => {
        const theirs = toEthers(unsigned);
        theirs.signature = new SigningKey(bytesToHex(privateKey)).sign(theirs.unsignedHash);
        const decoded = decodeTx(hexToBytes(theirs.serialized), { suite, chainId: unsigned.chainId });

        expect(decoded).toEqual(signTx(unsigned, privateKey, suite));
        expect(bytesToHex(decoded.hash)).toBe(theirs.hash);
        expect(bytesToHex(decoded.signingHash)).toBe(theirs.unsignedHash);
        expect(bytesToHex(txSigningPayload(unsigned))).toBe(theirs.unsignedSerialized);
        expect(bytesToHex(recoverTxSender(decoded, suite)!)).toBe(theirs.from!.toLowerCase());
        expect(bytesToHex(encodeTx(decoded))).toBe(theirs.serialized);
      }),
      { numRuns: 300 },
    );
  });

  it("matches viem's serializer, parser and sender recovery", async () => {
    await fc.assert(
      fc.asyncProperty(unsignedTxArb, privateKeyArb, async (unsigned, privateKey) => {
        const ours = signTx(unsigned, privateKey, suite);
        const signature = { r: hex(bigintToFixedBytes(ours.r, 32)), s: hex(bigintToFixedBytes(ours.s, 32)) };
        const serialized = serializeTransaction(
          toViem(unsigned),
          unsigned.type === TxType.legacy
            ? { ...signature, v: 27n + BigInt(ours.yParity) }
            : { ...signature, yParity: ours.yParity },
        );
        expect(serialized).toBe(bytesToHex(ours.raw));

        const parsed = parseTransaction(hex(ours.raw));
        expect(parsed.nonce ?? 0).toBe(Number(unsigned.nonce));
        expect(parsed.gas ?? 0n).toBe(unsigned.gasLimit);
        expect(parsed.value ?? 0n).toBe(unsigned.value);
        expect(parsed.to ?? null).toBe(unsigned.to === null ? null : bytesToHex(unsigned.to));
        expect(parsed.chainId).toBe(Number(unsigned.chainId));

        const sender = await recoverTransactionAddress({ serializedTransaction: serialized });
        expect(bytesToHex(recoverTxSender(ours, suite)!)).toBe(sender.toLowerCase());
      }),
      { numRuns: 150 },
    );
  });
});

describe("decodeTx rejects hostile and invalid input", () => {
  const legacyRaw = signTx(sample.legacy, KEY, suite).raw;
  const accessListRaw = signTx(sample.accessList, KEY, suite).raw;
  const feeMarketRaw = signTx(sample.feeMarket, KEY, suite).raw;

  it("checks the size before anything else", () => {
    const huge = new Uint8Array(TX_LIMITS_DEFAULT.txBytesMax + 1); // type byte 0x00: would be "type not valid"
    expectRejected(huge, "oversized", /oversized data/);
    const limits = { ...TX_LIMITS_DEFAULT, txBytesMax: feeMarketRaw.length - 1 };
    expect(() => decodeTx(feeMarketRaw, { suite, chainId: CHAIN_ID, limits })).toThrow(
      expect.objectContaining({ code: "oversized" }),
    );
    expect(
      decodeTx(feeMarketRaw, {
        suite,
        chainId: CHAIN_ID,
        limits: { ...limits, txBytesMax: feeMarketRaw.length },
      }),
    ).toBeTruthy();
  });

  it("refuses every type but 0, 1 and 2 with the message viem recognises", () => {
    const body = feeMarketRaw.subarray(1);
    for (const type of [0x00, 0x03, 0x04, 0x05, 0x42, 0x7f]) {
      expectRejected(concatBytes(Uint8Array.of(type), body), "invalid-type", TxDecodeMessage.invalidType);
    }
    // An RLP byte string is not a transaction envelope either.
    for (const raw of [RLP.encode(body), Uint8Array.of(0x80), Uint8Array.of(0xbf, 1), new Uint8Array(0)]) {
      expectRejected(raw, "invalid-type", "transaction type not valid");
    }
  });

  it("refuses unprotected legacy transactions with the message ethers recognises", () => {
    const unprotected = Transaction.from({
      type: 0,
      chainId: 0n,
      nonce: 1,
      gasLimit: 21_000n,
      gasPrice: 1n,
      to: null,
    });
    unprotected.signature = new SigningKey(bytesToHex(KEY)).sign(unprotected.unsignedHash);
    const raw = hexToBytes(unprotected.serialized);
    expect(fieldsOf(raw)[6]).toEqual(Uint8Array.of(unprotected.signature.v));
    expectRejected(raw, "unprotected", "only replay-protected (EIP-155) transactions allowed over RPC");
    expectRejected(replaced(legacyRaw, 6, 28n), "unprotected", TxDecodeMessage.unprotected);
  });

  it("refuses transactions signed for another chain", () => {
    for (const raw of [legacyRaw, accessListRaw, feeMarketRaw]) {
      expectRejected(raw, "invalid-chain-id", "invalid chain id for signer", CHAIN_ID + 1n);
    }
    expectRejected(replaced(legacyRaw, 6, 35n), "invalid-chain-id", TxDecodeMessage.invalidChainId);
  });

  it("refuses malleable and out-of-range signature values", () => {
    const message = "invalid transaction v, r, s values";
    const variants: [Uint8Array, number, number, number][] = [
      [legacyRaw, 6, 7, 8],
      [accessListRaw, 8, 9, 10],
      [feeMarketRaw, 9, 10, 11],
    ];
    for (const [raw, vIndex, rIndex, sIndex] of variants) {
      const decoded = decode(raw);
      const highS = withFields(raw, (fields) =>
        fields.map((field, i) => {
          if (i === sIndex) return N - decoded.s;
          // Flipping yParity moves a legacy v by one, within the pair that encodes the chain id.
          if (i === vIndex)
            return raw[0]! >= 0xc0
              ? decoded.v + (decoded.yParity === 0 ? 1n : -1n)
              : BigInt(decoded.yParity ^ 1);
          return field;
        }),
      );
      expectRejected(highS, "invalid-signature", message);
      expectRejected(replaced(raw, rIndex, 0n), "invalid-signature", message);
      expectRejected(replaced(raw, sIndex, 0n), "invalid-signature", message);
      expectRejected(replaced(raw, rIndex, N), "invalid-signature", message);
      expectRejected(replaced(raw, sIndex, N / 2n + 1n), "invalid-signature", message);
    }
    expectRejected(replaced(feeMarketRaw, 9, 2n), "invalid-signature", message);
    expectRejected(replaced(accessListRaw, 8, 27n), "invalid-signature", message);
    for (const v of [0n, 1n, 29n, 34n])
      expectRejected(replaced(legacyRaw, 6, v), "invalid-signature", message);
  });

  it("accepts s = floor(n/2), the largest low-s value", () => {
    // The signature no longer matches, but decoding checks form only; sender recovery is separate.
    expect(decode(replaced(feeMarketRaw, 11, N / 2n)).s).toBe(N / 2n);
  });

  it("refuses a priority fee above the fee cap with the message viem recognises", () => {
    expectRejected(replaced(feeMarketRaw, 2, 11n), "tip-above-fee-cap", TxDecodeMessage.tipAboveFeeCap);
  });

  it("refuses non-canonical integers", () => {
    expectRejected(replaced(feeMarketRaw, 1, Uint8Array.of(0, 2)), "malformed", /leading zero/);
    expectRejected(
      replaced(feeMarketRaw, 1, Uint8Array.of(0)),
      "malformed",
      /transaction nonce.*leading zero/,
    );
    expectRejected(replaced(legacyRaw, 4, Uint8Array.of(0, 1)), "malformed", /transaction value/);
    expectRejected(
      replaced(legacyRaw, 8, concatBytes(Uint8Array.of(0), fieldsOf(legacyRaw)[8] as Uint8Array)),
      "malformed",
    );
  });

  it("refuses wrong field counts", () => {
    expectRejected(
      withFields(legacyRaw, (f) => [...f, new Uint8Array()]),
      "malformed",
      /expected a list of 9 items, got 10/,
    );
    expectRejected(
      withFields(legacyRaw, (f) => f.slice(0, 6)),
      "malformed",
      /got 6/,
    );
    expectRejected(
      withFields(accessListRaw, (f) => f.slice(1)),
      "malformed",
      /expected a list of 11 items/,
    );
    expectRejected(
      withFields(feeMarketRaw, (f) => [...f.slice(0, 2), ...f.slice(3)]),
      "malformed",
      /12 items/,
    );
    // A type-2 body behind a type-1 byte.
    expectRejected(concatBytes(Uint8Array.of(1), feeMarketRaw.subarray(1)), "malformed", /11 items, got 12/);
  });

  it("refuses fields of the wrong length or kind", () => {
    expectRejected(replaced(legacyRaw, 3, new Uint8Array(19)), "malformed", /transaction to/);
    expectRejected(replaced(feeMarketRaw, 5, new Uint8Array(21)), "malformed", /transaction to/);
    expectRejected(
      replaced(feeMarketRaw, 6, concatBytes(Uint8Array.of(1), new Uint8Array(32))),
      "malformed",
      /33 bytes exceeds 32/,
    );
    expectRejected(replaced(feeMarketRaw, 1, 2n ** 64n), "malformed", /transaction nonce/);
    expectRejected(replaced(feeMarketRaw, 4, 2n ** 64n), "malformed", /transaction gasLimit/);
    expectRejected(
      replaced(feeMarketRaw, 10, concatBytes(Uint8Array.of(1), new Uint8Array(32))),
      "malformed",
      /transaction r/,
    );
    expectRejected(
      replaced(feeMarketRaw, 7, [new Uint8Array(1)]),
      "malformed",
      /transaction data: expected a byte string/,
    );
    expectRejected(replaced(feeMarketRaw, 8, new Uint8Array(1)), "malformed", /accessList: expected a list/);
    const address = new Uint8Array(20);
    expectRejected(
      replaced(feeMarketRaw, 8, [[address]]),
      "malformed",
      /accessList entry: expected a list of 2/,
    );
    expectRejected(replaced(feeMarketRaw, 8, [[new Uint8Array(19), []]]), "malformed", /accessList address/);
    expectRejected(replaced(feeMarketRaw, 8, [[address, [new Uint8Array(31)]]]), "malformed", /storage key/);
    // A list where legacy expects a byte string is deeper than a legacy transaction may nest.
    expectRejected(replaced(legacyRaw, 5, [new Uint8Array(1)]), "malformed", /deeper than 1/);
    // The type byte must be followed by a list.
    expectRejected(Uint8Array.of(2), "malformed", /followed by an RLP list/);
    expectRejected(
      concatBytes(Uint8Array.of(2), RLP.encode(new Uint8Array(3))),
      "malformed",
      /followed by an RLP list/,
    );
  });

  it("enforces the access list limits", () => {
    const limits = { ...TX_LIMITS_DEFAULT, accessListAddressesMax: 2, accessListKeysMax: 3 };
    const key = new Uint8Array(32);
    const entry = (keys: number) => [new Uint8Array(20), Array.from({ length: keys }, () => key)];
    const decodeWith = (raw: Uint8Array) => decodeTx(raw, { suite, chainId: CHAIN_ID, limits });
    expect(decodeWith(replaced(feeMarketRaw, 8, [entry(1), entry(2)])).accessList).toHaveLength(2);
    expect(() => decodeWith(replaced(feeMarketRaw, 8, [entry(0), entry(0), entry(0)]))).toThrow(
      expect.objectContaining({
        code: "malformed",
        message: expect.stringMatching(/3 entries exceed the limit of 2/),
      }),
    );
    expect(() => decodeWith(replaced(feeMarketRaw, 8, [entry(2), entry(2)]))).toThrow(
      expect.objectContaining({
        code: "malformed",
        message: expect.stringMatching(/more than 3 storage keys/),
      }),
    );
  });

  it("refuses trailing bytes, truncation and bad RLP prefixes", () => {
    expectRejected(concatBytes(legacyRaw, Uint8Array.of(0)), "malformed", /1 trailing bytes/);
    expectRejected(concatBytes(feeMarketRaw, Uint8Array.of(0xc0)), "malformed", /trailing bytes/);
    expectRejected(legacyRaw.subarray(0, legacyRaw.length - 1), "malformed", /container ends first/);
    expectRejected(feeMarketRaw.subarray(0, 5), "malformed");
    // A long-form list prefix claiming 2^64 - 1 bytes.
    expectRejected(
      Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc0),
      "malformed",
      /claims more bytes/,
    );
    expectRejected(Uint8Array.of(2, 0xfb, 0xff, 0xff, 0xff, 0xff), "malformed", /claims more bytes/);
    // Non-canonical prefixes: long form for a short list, a prefixed single byte, a zero-led length.
    expectRejected(
      concatBytes(Uint8Array.of(0xf8, 3), RLP.encode([1, 2, 3]).subarray(1)),
      "malformed",
      /long length prefix/,
    );
    expectRejected(Uint8Array.of(2, 0xc2, 0x81, 0x05), "malformed", /single byte below 0x80/);
    expectRejected(Uint8Array.of(2, 0xf9, 0x00, 0x40), "malformed", /leading zero/);
  });

  it("fails fast on deeply nested lists that would exhaust @ethereumjs/rlp", () => {
    let nested: Uint8Array = Uint8Array.of(0xc0);
    for (let i = 0; i < 20_000; i++) {
      const length = bigintToBytes(BigInt(nested.length));
      const prefix =
        nested.length < 56
          ? Uint8Array.of(0xc0 + nested.length)
          : concatBytes(Uint8Array.of(0xf7 + length.length), length);
      nested = concatBytes(prefix, nested);
    }
    expect(nested.length).toBeLessThan(TX_LIMITS_DEFAULT.txBytesMax);
    expectRejected(concatBytes(Uint8Array.of(2), nested), "malformed", /deeper than 4/);
    expectRejected(nested, "malformed", /deeper than 1/);
  });
});
