import { parseBlockNumber, parseBlockNumberOrHash, resolveBlock } from "../blockTag.js";
import { formatBlock, formatReceipt, type Hex, quantity, type RPCBlock, type RPCReceipt } from "../format.js";
import { defineMethod } from "../method.js";
import { parseBool, parseHash, parseUint64, required } from "../params.js";

/** Blocks and uncles. Unknown blocks, and numbers above the head, are answered with `null`, never an error. */

export const eth_blockNumber = defineMethod({
  name: "eth_blockNumber",
  description: "Height of the latest committed (final) block.",
  params: [],
  handler: ({ backend }): Hex => quantity(backend.headHeight()),
});

export const eth_getBlockByNumber = defineMethod({
  name: "eth_getBlockByNumber",
  description:
    "The block at a height or tag, with transaction hashes or (when the flag is true) full transactions.",
  params: [required("block", parseBlockNumber), required("fullTransactions", parseBool)],
  handler: async ({ backend }, [selector, full]): Promise<RPCBlock | null> => {
    const indexed = await resolveBlock(backend, selector);
    return indexed === undefined ? null : formatBlock(indexed, full);
  },
});

export const eth_getBlockByHash = defineMethod({
  name: "eth_getBlockByHash",
  description: "The block with a hash, with transaction hashes or (when the flag is true) full transactions.",
  params: [required("blockHash", parseHash), required("fullTransactions", parseBool)],
  handler: async ({ backend }, [hash, full]): Promise<RPCBlock | null> => {
    const indexed = await backend.blockByHash(hash);
    return indexed === undefined ? null : formatBlock(indexed, full);
  },
});

export const eth_getBlockTransactionCountByNumber = defineMethod({
  name: "eth_getBlockTransactionCountByNumber",
  description: "Number of transactions in the block at a height or tag.",
  params: [required("block", parseBlockNumber)],
  handler: async ({ backend }, [selector]): Promise<Hex | null> => {
    const indexed = await resolveBlock(backend, selector);
    return indexed === undefined ? null : quantity(indexed.block.transactions.length);
  },
});

export const eth_getBlockTransactionCountByHash = defineMethod({
  name: "eth_getBlockTransactionCountByHash",
  description: "Number of transactions in the block with a hash.",
  params: [required("blockHash", parseHash)],
  handler: async ({ backend }, [hash]): Promise<Hex | null> => {
    const indexed = await backend.blockByHash(hash);
    return indexed === undefined ? null : quantity(indexed.block.transactions.length);
  },
});

export const eth_getBlockReceipts = defineMethod({
  name: "eth_getBlockReceipts",
  description: "All receipts of a block, in transaction order.",
  params: [required("block", parseBlockNumberOrHash)],
  handler: async ({ backend }, [selector]): Promise<RPCReceipt[] | null> => {
    const indexed = await resolveBlock(backend, selector);
    if (indexed === undefined) return null;
    const receipts = await backend.receiptsByHeight(indexed.block.header.height);
    if (receipts === undefined) return null;
    return indexed.block.transactions.map((_, index) => formatReceipt(indexed, receipts, index));
  },
});

// BFT blocks have no uncles: the uncle lookups exist because explorers call them.

export const eth_getUncleByBlockNumberAndIndex = defineMethod({
  name: "eth_getUncleByBlockNumberAndIndex",
  description: "Always null: Charter blocks have no uncles.",
  params: [required("block", parseBlockNumber), required("index", parseUint64)],
  handler: (): null => null,
});

export const eth_getUncleByBlockHashAndIndex = defineMethod({
  name: "eth_getUncleByBlockHashAndIndex",
  description: "Always null: Charter blocks have no uncles.",
  params: [required("blockHash", parseHash), required("index", parseUint64)],
  handler: (): null => null,
});

export const eth_getUncleCountByBlockNumber = defineMethod({
  name: "eth_getUncleCountByBlockNumber",
  description: "0x0 for an existing block (null for an unknown one): Charter blocks have no uncles.",
  params: [required("block", parseBlockNumber)],
  handler: async ({ backend }, [selector]): Promise<Hex | null> =>
    (await resolveBlock(backend, selector)) === undefined ? null : "0x0",
});

export const eth_getUncleCountByBlockHash = defineMethod({
  name: "eth_getUncleCountByBlockHash",
  description: "0x0 for an existing block (null for an unknown one): Charter blocks have no uncles.",
  params: [required("blockHash", parseHash)],
  handler: async ({ backend }, [hash]): Promise<Hex | null> =>
    (await backend.blockByHash(hash)) === undefined ? null : "0x0",
});
