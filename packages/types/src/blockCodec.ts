import type { CryptoSuite } from "@charter/crypto";
import { RLP } from "@ethereumjs/rlp";
import type { Block } from "./block.js";
import { CodecError, TxDecodeError } from "./errors.js";
import { HEADER_RLP_DEPTH, headerFields, headerFromFields } from "./headerCodec.js";
import { BLOCK_LIMITS_DEFAULT, type BlockLimits } from "./limits.js";
import { decodeRlp, type RlpItem } from "./rlp.js";
import { readBytes, readList } from "./rlpFields.js";
import type { SignedTx } from "./transaction.js";
import { decodeTx } from "./txCodec.js";

/** The block list holds the header list, whose own nesting is `HEADER_RLP_DEPTH`. */
const BLOCK_RLP_DEPTH = HEADER_RLP_DEPTH + 1;

export interface DecodeBlockOptions {
  readonly suite: CryptoSuite;
  /** The chain's id; every transaction must be signed for it. */
  readonly chainId: bigint;
  readonly limits?: BlockLimits;
}

/**
 * Encodes a block as `[headerFields, [txRaw…]]`: the header's field list (as in `encodeHeader`) and each
 * transaction's canonical serialisation as an RLP byte string, typed or legacy alike.
 */
export function encodeBlock(block: Block): Uint8Array {
  return RLP.encode([headerFields(block.header), block.transactions.map((tx) => tx.raw)]);
}

/**
 * Decodes an untrusted encoded block: checks its size before decoding, the header as `decodeHeader` does, the
 * transaction count, and every transaction with `decodeTx`. It does not check that the header's roots match the
 * body; block validation does that. Throws `CodecError`, with code `invalid-transaction` and the `TxDecodeError`
 * as `cause` when a transaction is refused.
 */
export function decodeBlock(bytes: Uint8Array, options: DecodeBlockOptions): Block {
  const limits = options.limits ?? BLOCK_LIMITS_DEFAULT;
  if (bytes.length > limits.blockBytesMax) {
    throw new CodecError(
      "oversized",
      `The block is ${bytes.length} bytes, over the limit of ${limits.blockBytesMax} bytes.`,
    );
  }
  const [headerItem, txsItem] = readList(
    decodeRlp(bytes, { depthMax: BLOCK_RLP_DEPTH, label: "block" }),
    "block",
    2,
  ) as [RlpItem, RlpItem];
  const header = headerFromFields(headerItem, limits.header);
  const txItems = readList(txsItem, "block transactions");
  if (txItems.length > limits.txCountMax) {
    throw new CodecError(
      "malformed",
      `Malformed block: ${txItems.length} transactions exceed the limit of ${limits.txCountMax}.`,
    );
  }
  const transactions: SignedTx[] = [];
  for (let i = 0; i < txItems.length; i++) {
    const raw = readBytes(txItems[i]!, `block transaction ${i}`);
    try {
      transactions.push(decodeTx(raw, { suite: options.suite, chainId: options.chainId, limits: limits.tx }));
    } catch (error) {
      if (!(error instanceof TxDecodeError)) throw error;
      throw new CodecError(
        "invalid-transaction",
        `Transaction ${i} of the block is invalid: ${error.message}`,
        {
          cause: error,
        },
      );
    }
  }
  return { header, transactions };
}
