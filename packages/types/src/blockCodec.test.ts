import { createEcdsaSuite } from "@charter/crypto";
import { concatBytes } from "@charter/utils";
import { RLP } from "@ethereumjs/rlp";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Block, Header } from "./block.js";
import { decodeBlock, encodeBlock } from "./blockCodec.js";
import { createUnsignedTx } from "./createUnsignedTx.js";
import { CodecError, TxDecodeError } from "./errors.js";
import { encodeHeader } from "./headerCodec.js";
import { BLOCK_LIMITS_DEFAULT } from "./limits.js";
import { transactionsRoot } from "./roots.js";
import { type SignedTx, TxType } from "./transaction.js";
import { signTx } from "./txSigner.js";

const suite = createEcdsaSuite();
const CHAIN_ID = 31337n;
const keys = Array.from({ length: 4 }, () => suite.generatePrivateKey());

function makeTx(index: number, type: TxType = (index % 3) as TxType): SignedTx {
  const unsigned = createUnsignedTx(
    type === TxType.feeMarket
      ? {
          type,
          chainId: CHAIN_ID,
          nonce: BigInt(index),
          gasLimit: 21_000n,
          maxFeePerGas: 5n,
          maxPriorityFeePerGas: 1n,
        }
      : {
          type,
          chainId: CHAIN_ID,
          nonce: BigInt(index),
          gasLimit: 21_000n,
          gasPrice: 5n,
          to: new Uint8Array(20).fill(index),
        },
  );
  return signTx(unsigned, keys[index % keys.length]!, suite);
}

function makeBlock(transactions: readonly SignedTx[]): Block {
  const header: Header = {
    parentHash: new Uint8Array(32).fill(1),
    height: 12,
    timestampMs: 1_700_000_000_000,
    proposer: new Uint8Array(20).fill(2),
    transactionsRoot: transactionsRoot(transactions, suite),
    receiptsRoot: new Uint8Array(32).fill(3),
    stateRoot: new Uint8Array(32).fill(4),
    logsBloom: new Uint8Array(256),
    gasUsed: 21_000n * BigInt(transactions.length),
    gasLimit: 30_000_000n,
    baseFeePerGas: 0n,
    validatorsHash: new Uint8Array(32).fill(5),
    lastCommit: null,
    extraData: Uint8Array.of(1, 2, 3),
  };
  return { header, transactions };
}

const decode = (bytes: Uint8Array, limits = BLOCK_LIMITS_DEFAULT) =>
  decodeBlock(bytes, { suite, chainId: CHAIN_ID, limits });

describe("block codec", () => {
  it("round-trips blocks of every transaction type", () => {
    const pool = Array.from({ length: 12 }, (_, i) => makeTx(i));
    fc.assert(
      fc.property(fc.subarray(pool), (transactions) => {
        const block = makeBlock(transactions);
        const encoded = encodeBlock(block);
        expect(decode(encoded)).toEqual(block);
        expect(encodeBlock(decode(encoded))).toEqual(encoded);
      }),
      { numRuns: 50 },
    );
  });

  it("nests the header fields and stores each transaction's raw bytes as a byte string", () => {
    const block = makeBlock([makeTx(0, TxType.legacy), makeTx(1, TxType.feeMarket)]);
    const [header, txs] = RLP.decode(encodeBlock(block)) as [unknown, Uint8Array[]];
    expect(RLP.encode(header as Uint8Array[])).toEqual(encodeHeader(block.header));
    expect(txs).toEqual(block.transactions.map((tx) => tx.raw));
  });

  it("reports an invalid transaction with its index and the TxDecodeError as cause", () => {
    const block = makeBlock([makeTx(0), makeTx(1)]);
    const [header, txs] = RLP.decode(encodeBlock(block)) as [Uint8Array[], Uint8Array[]];
    const broken = RLP.encode([header, [txs[0]!, Uint8Array.of(0x03, 0xc0)]]);
    let caught: unknown;
    try {
      decode(broken);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CodecError);
    expect((caught as CodecError).code).toBe("invalid-transaction");
    expect((caught as CodecError).message).toMatch(
      /^Transaction 1 of the block is invalid: transaction type not valid/,
    );
    expect((caught as Error).cause).toBeInstanceOf(TxDecodeError);
    // A transaction signed for another chain is refused too.
    expect(() => decodeBlock(encodeBlock(block), { suite, chainId: 1n })).toThrow(
      /invalid chain id for signer/,
    );
  });

  it("enforces the block limits and shape", () => {
    const block = makeBlock([makeTx(0), makeTx(1), makeTx(2)]);
    const encoded = encodeBlock(block);
    expect(() => decode(encoded, { ...BLOCK_LIMITS_DEFAULT, txCountMax: 2 })).toThrow(
      /3 transactions exceed the limit of 2/,
    );
    expect(() => decode(encoded, { ...BLOCK_LIMITS_DEFAULT, blockBytesMax: encoded.length - 1 })).toThrow(
      expect.objectContaining({ code: "oversized" }),
    );
    const tightTx = { ...BLOCK_LIMITS_DEFAULT.tx, txBytesMax: 50 };
    expect(() => decode(encoded, { ...BLOCK_LIMITS_DEFAULT, tx: tightTx })).toThrow(/oversized data/);
    const [header, txs] = RLP.decode(encoded) as [Uint8Array[], Uint8Array[]];
    expect(() => decode(RLP.encode([header]))).toThrow(/expected a list of 2 items/);
    expect(() => decode(RLP.encode([header, txs, []]))).toThrow(/expected a list of 2 items/);
    expect(() => decode(RLP.encode([header, [[txs[0]!]]]))).toThrow(
      /block transaction 0: expected a byte string/,
    );
    expect(() => decode(concatBytes(encoded, Uint8Array.of(0x80)))).toThrow(/trailing bytes/);
    expect(() => decode(RLP.encode([header.slice(1), txs]))).toThrow(/header: expected a list of 14 items/);
  });
});
