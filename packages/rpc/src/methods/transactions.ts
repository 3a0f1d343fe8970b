import type { IndexedBlock } from "../backend.js";
import { parseBlockNumber, resolveBlock } from "../blockTag.js";
import { checkChainId, parseCallRequest } from "../callRequest.js";
import { methodNotFoundError, RPCError, RPCErrorCode } from "../errors.js";
import {
  formatReceipt,
  formatTransaction,
  type Hex,
  hex,
  positionIn,
  type RPCReceipt,
  type RPCTransaction,
  senderAt,
} from "../format.js";
import { defineMethod, type MethodContext } from "../method.js";
import { parseData, parseHash, parseUint64, required } from "../params.js";

/**
 * Transactions: lookups (committed, then the pool), receipts, and submission. Unknown transactions and receipts
 * not yet committed are `null`, which every client's wait loop relies on.
 */

function transactionAt(indexed: IndexedBlock | undefined, index: bigint): RPCTransaction | null {
  if (indexed === undefined || index >= BigInt(indexed.block.transactions.length)) return null;
  const i = Number(index);
  const tx = indexed.block.transactions[i];
  return tx === undefined ? null : formatTransaction(tx, senderAt(indexed, i), positionIn(indexed, i));
}

export const eth_getTransactionByHash = defineMethod({
  name: "eth_getTransactionByHash",
  description:
    "A committed or pool transaction; a pool transaction has null blockHash, blockNumber and transactionIndex.",
  params: [required("transactionHash", parseHash)],
  handler: async ({ backend }, [hash]): Promise<RPCTransaction | null> => {
    // Look in the pool before the (asynchronous) chain lookup: a transaction leaves the pool only after its block
    // is durable, so looking the other way round could miss one committed between the two lookups.
    const pending = backend.pendingTx(hash);
    const location = await backend.txLocation(hash);
    if (location !== undefined)
      return transactionAt(await backend.blockByHeight(location.height), BigInt(location.index));
    return pending === undefined ? null : formatTransaction(pending, pending.sender);
  },
});

export const eth_getTransactionByBlockNumberAndIndex = defineMethod({
  name: "eth_getTransactionByBlockNumberAndIndex",
  description: "The transaction at an index of the block at a height or tag.",
  params: [required("block", parseBlockNumber), required("index", parseUint64)],
  handler: async ({ backend }, [selector, index]): Promise<RPCTransaction | null> =>
    transactionAt(await resolveBlock(backend, selector), index),
});

export const eth_getTransactionByBlockHashAndIndex = defineMethod({
  name: "eth_getTransactionByBlockHashAndIndex",
  description: "The transaction at an index of the block with a hash.",
  params: [required("blockHash", parseHash), required("index", parseUint64)],
  handler: async ({ backend }, [hash, index]): Promise<RPCTransaction | null> =>
    transactionAt(await backend.blockByHash(hash), index),
});

export const eth_getTransactionReceipt = defineMethod({
  name: "eth_getTransactionReceipt",
  description: "The receipt of a committed transaction; null while it is pending or unknown.",
  params: [required("transactionHash", parseHash)],
  handler: async ({ backend }, [hash]): Promise<RPCReceipt | null> => {
    const location = await backend.txLocation(hash);
    if (location === undefined) return null;
    const indexed = await backend.blockByHeight(location.height);
    const receipts = await backend.receiptsByHeight(location.height);
    if (indexed === undefined || receipts === undefined) return null;
    return formatReceipt(indexed, receipts, location.index);
  },
});

export const eth_sendRawTransaction = defineMethod({
  name: "eth_sendRawTransaction",
  description:
    "Submits a signed EIP-2718 transaction (types 0 with EIP-155, 1 and 2) to the pool; returns its hash.",
  params: [required("transaction", parseData)],
  handler: async ({ backend }, [raw]): Promise<Hex> => hex(await backend.sendRawTransaction(raw)),
});

function requireDevSigner({ backend }: MethodContext, method: string) {
  // Without node-held keys the method does not exist, which ethers and Hardhat understand as "sign locally".
  if (backend.devSigner === undefined) throw methodNotFoundError(method);
  return backend.devSigner;
}

export const eth_sendTransaction = defineMethod({
  name: "eth_sendTransaction",
  description:
    "Devnet only: fills in, signs with a dev account's key, and submits a transaction; returns its hash.",
  params: [required("transaction", parseCallRequest)],
  handler: async (context, [call]): Promise<Hex> => {
    const signer = requireDevSigner(context, "eth_sendTransaction");
    checkChainId(call, context.backend.chainId);
    const from = call.request.from;
    if (from === undefined)
      throw new RPCError(RPCErrorCode.invalidParams, 'invalid argument 0: field "from" is required');
    return oneAtATime(context.backend, hex(from), async () => {
      const tx = await signer.signTransaction(from, call.request);
      return hex(await context.backend.sendRawTransaction(tx.raw));
    });
  },
});

/**
 * Calls queued per backend and dev account. Filling in the nonce (from the `pending` count) and admitting the signed
 * transaction to the pool must not interleave between two calls for one account, or both take the same nonce and the
 * second is refused as an underpriced replacement; geth holds a per-account nonce lock for the same reason. Entries
 * are removed when their queue drains, so the map holds at most the accounts with a call in flight.
 */
const sendQueues = new WeakMap<object, Map<string, Promise<unknown>>>();

function oneAtATime<T>(owner: object, account: string, run: () => Promise<T>): Promise<T> {
  let queues = sendQueues.get(owner);
  if (queues === undefined) {
    queues = new Map();
    sendQueues.set(owner, queues);
  }
  const result = (queues.get(account) ?? Promise.resolve()).then(run);
  const tail = result.then(
    () => {},
    () => {},
  );
  queues.set(account, tail);
  void tail.then(() => {
    if (queues.get(account) === tail) queues.delete(account);
  });
  return result;
}

export const eth_accounts = defineMethod({
  name: "eth_accounts",
  description: "The dev accounts the node signs for on a devnet; empty everywhere else.",
  params: [],
  handler: ({ backend }): Hex[] => backend.devSigner?.accounts().map(hex) ?? [],
});
