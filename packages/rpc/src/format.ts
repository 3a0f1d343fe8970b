import type { Log, Receipt, SignedTx } from "@charter/types";
import { logsBloom } from "@charter/types";
import { assert, bytesToHex } from "@charter/utils";
import type { IndexedBlock } from "./backend.js";

/**
 * The JSON shapes of blocks, transactions, receipts and logs, field for field as geth returns them
 * (anchors-ecosystem §1.4), so that ethers, viem, Hardhat Ignition and explorers parse them unchanged.
 * Quantities are hex without leading zeros; byte data is even-length lower-case hex.
 */

/** `0x`-prefixed hex text. */
export type Hex = `0x${string}`;

export function hex(bytes: Uint8Array): Hex {
  return bytesToHex(bytes) as Hex;
}

export function quantity(value: bigint | number): Hex {
  return `0x${value.toString(16)}`;
}

/** `keccak256(rlp([]))`: the uncle hash of a block without uncles, which every Charter block is. */
export const emptyUnclesHash: Hex = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";
const zeroHash: Hex = `0x${"00".repeat(32)}`;
const zeroNonce: Hex = "0x0000000000000000";

export interface RPCBlockHeader {
  readonly number: Hex;
  readonly hash: Hex;
  readonly parentHash: Hex;
  readonly nonce: Hex;
  readonly sha3Uncles: Hex;
  readonly logsBloom: Hex;
  readonly transactionsRoot: Hex;
  readonly stateRoot: Hex;
  readonly receiptsRoot: Hex;
  readonly miner: Hex;
  readonly difficulty: Hex;
  readonly extraData: Hex;
  readonly gasLimit: Hex;
  readonly gasUsed: Hex;
  readonly timestamp: Hex;
  readonly baseFeePerGas: Hex;
  readonly mixHash: Hex;
}

export interface RPCBlock extends RPCBlockHeader {
  readonly totalDifficulty: Hex;
  readonly size: Hex;
  readonly transactions: readonly Hex[] | readonly RPCTransaction[];
  readonly uncles: readonly Hex[];
}

export interface RPCAccessListItem {
  readonly address: Hex;
  readonly storageKeys: readonly Hex[];
}

export interface RPCTransaction {
  readonly hash: Hex;
  readonly nonce: Hex;
  readonly blockHash: Hex | null;
  readonly blockNumber: Hex | null;
  readonly transactionIndex: Hex | null;
  readonly from: Hex;
  readonly to: Hex | null;
  readonly value: Hex;
  readonly gas: Hex;
  readonly gasPrice: Hex;
  readonly maxFeePerGas?: Hex;
  readonly maxPriorityFeePerGas?: Hex;
  readonly input: Hex;
  readonly type: Hex;
  readonly chainId: Hex;
  readonly accessList?: readonly RPCAccessListItem[];
  readonly v: Hex;
  readonly r: Hex;
  readonly s: Hex;
  readonly yParity?: Hex;
  /** Type 0x53 (SM2) only: the signer's public key, 64 bytes `x ‖ y`. */
  readonly publicKey?: Hex;
}

export interface RPCLog {
  readonly address: Hex;
  readonly topics: readonly Hex[];
  readonly data: Hex;
  readonly blockNumber: Hex;
  readonly blockHash: Hex;
  readonly transactionHash: Hex;
  readonly transactionIndex: Hex;
  readonly logIndex: Hex;
  readonly removed: false;
}

export interface RPCReceipt {
  readonly transactionHash: Hex;
  readonly transactionIndex: Hex;
  readonly blockHash: Hex;
  readonly blockNumber: Hex;
  readonly from: Hex;
  readonly to: Hex | null;
  readonly cumulativeGasUsed: Hex;
  readonly gasUsed: Hex;
  readonly effectiveGasPrice: Hex;
  readonly contractAddress: Hex | null;
  readonly logs: readonly RPCLog[];
  readonly logsBloom: Hex;
  readonly type: Hex;
  readonly status: Hex;
}

/** Where a committed transaction sits. */
export interface TxPosition {
  readonly blockHash: Uint8Array;
  readonly blockNumber: number;
  readonly index: number;
  /** The block's base fee, for the effective gas price. */
  readonly baseFeePerGas: bigint;
}

/** The header fields of a block: the `newHeads` notification, and the start of every block object. */
export function formatHeader(indexed: IndexedBlock): RPCBlockHeader {
  const header = indexed.block.header;
  return {
    number: quantity(header.height),
    hash: hex(indexed.hash),
    parentHash: hex(header.parentHash),
    nonce: zeroNonce,
    sha3Uncles: emptyUnclesHash,
    logsBloom: hex(header.logsBloom),
    transactionsRoot: hex(header.transactionsRoot),
    stateRoot: hex(header.stateRoot),
    receiptsRoot: hex(header.receiptsRoot),
    miner: hex(header.proposer),
    difficulty: "0x0",
    extraData: hex(header.extraData),
    gasLimit: quantity(header.gasLimit),
    gasUsed: quantity(header.gasUsed),
    timestamp: quantity(Math.floor(header.timestampMs / 1000)),
    baseFeePerGas: quantity(header.baseFeePerGas),
    mixHash: zeroHash,
  };
}

/** A block with transaction hashes, or with full transaction objects when `fullTransactions` is set. */
export function formatBlock(indexed: IndexedBlock, fullTransactions: boolean): RPCBlock {
  const { block } = indexed;
  const transactions = fullTransactions
    ? block.transactions.map((tx, index) =>
        formatTransaction(tx, senderAt(indexed, index), positionIn(indexed, index)),
      )
    : block.transactions.map((tx) => hex(tx.hash));
  return {
    ...formatHeader(indexed),
    totalDifficulty: "0x0",
    size: quantity(indexed.size),
    transactions,
    uncles: [],
  };
}

export function senderAt(indexed: IndexedBlock, index: number): Uint8Array {
  const sender = indexed.senders[index];
  assert(sender !== undefined, `block ${indexed.block.header.height} has no sender for transaction ${index}`);
  return sender;
}

export function positionIn(indexed: IndexedBlock, index: number): TxPosition {
  return {
    blockHash: indexed.hash,
    blockNumber: indexed.block.header.height,
    index,
    baseFeePerGas: indexed.block.header.baseFeePerGas,
  };
}

/** What a mined transaction paid per gas: `baseFee + min(tip, maxFee - baseFee)`; with free gas, `min(maxFee, tip)`. */
export function effectiveGasPrice(tx: SignedTx, baseFeePerGas: bigint): bigint {
  // bigint, so Math.min does not apply.
  const tipCap = tx.maxFeePerGas - baseFeePerGas;
  if (tx.maxPriorityFeePerGas < tipCap) return baseFeePerGas + tx.maxPriorityFeePerGas;
  return baseFeePerGas + tipCap;
}

/**
 * A transaction object. `position` is absent for a pool transaction, whose block fields are `null` and whose
 * `gasPrice` is its fee cap (it has not paid anything yet), as geth reports it.
 */
export function formatTransaction(tx: SignedTx, from: Uint8Array, position?: TxPosition): RPCTransaction {
  const typed = tx.type !== 0;
  const feeMarket = tx.type === 2 || tx.type === 0x53;
  let gasPrice = tx.gasPrice;
  if (feeMarket) gasPrice = position ? effectiveGasPrice(tx, position.baseFeePerGas) : tx.maxFeePerGas;
  return {
    hash: hex(tx.hash),
    nonce: quantity(tx.nonce),
    blockHash: position ? hex(position.blockHash) : null,
    blockNumber: position ? quantity(position.blockNumber) : null,
    transactionIndex: position ? quantity(position.index) : null,
    from: hex(from),
    to: tx.to === null ? null : hex(tx.to),
    value: quantity(tx.value),
    gas: quantity(tx.gasLimit),
    gasPrice: quantity(gasPrice),
    ...(feeMarket
      ? { maxFeePerGas: quantity(tx.maxFeePerGas), maxPriorityFeePerGas: quantity(tx.maxPriorityFeePerGas) }
      : {}),
    input: hex(tx.data),
    type: quantity(tx.type),
    chainId: quantity(tx.chainId),
    ...(typed
      ? {
          accessList: tx.accessList.map((item) => ({
            address: hex(item.address),
            storageKeys: item.storageKeys.map(hex),
          })),
        }
      : {}),
    v: quantity(tx.v),
    r: quantity(tx.r),
    s: quantity(tx.s),
    ...(typed ? { yParity: quantity(tx.yParity) } : {}),
    ...(tx.publicKey === undefined ? {} : { publicKey: hex(tx.publicKey) }),
  };
}

/** Where a log sits: its transaction and its index among all logs of the block. */
export interface LogPosition {
  readonly blockHash: Uint8Array;
  readonly blockNumber: number;
  readonly transactionHash: Uint8Array;
  readonly transactionIndex: number;
  readonly logIndex: number;
}

export function formatLog(log: Log, position: LogPosition): RPCLog {
  return {
    address: hex(log.address),
    topics: log.topics.map(hex),
    data: hex(log.data),
    blockNumber: quantity(position.blockNumber),
    blockHash: hex(position.blockHash),
    transactionHash: hex(position.transactionHash),
    transactionIndex: quantity(position.transactionIndex),
    logIndex: quantity(position.logIndex),
    removed: false,
  };
}

/** Index in the block of the first log of transaction `index`: the logs of all earlier receipts come first. */
export function firstLogIndex(receipts: readonly Receipt[], index: number): number {
  let count = 0;
  for (let i = 0; i < index; i++) count += receipts[i]?.logs.length ?? 0;
  return count;
}

/** The receipt of the `index`-th transaction of a committed block. */
export function formatReceipt(
  indexed: IndexedBlock,
  receipts: readonly Receipt[],
  index: number,
): RPCReceipt {
  const tx = indexed.block.transactions[index];
  const receipt = receipts[index];
  assert(
    tx !== undefined && receipt !== undefined,
    `block ${indexed.block.header.height} has no transaction or receipt ${index}`,
  );
  const blockNumber = indexed.block.header.height;
  const logStart = firstLogIndex(receipts, index);
  return {
    transactionHash: hex(tx.hash),
    transactionIndex: quantity(index),
    blockHash: hex(indexed.hash),
    blockNumber: quantity(blockNumber),
    from: hex(senderAt(indexed, index)),
    to: tx.to === null ? null : hex(tx.to),
    cumulativeGasUsed: quantity(receipt.cumulativeGasUsed),
    gasUsed: quantity(receipt.gasUsed),
    effectiveGasPrice: quantity(effectiveGasPrice(tx, indexed.block.header.baseFeePerGas)),
    contractAddress: receipt.contractAddress === null ? null : hex(receipt.contractAddress),
    logs: receipt.logs.map((log, i) =>
      formatLog(log, {
        blockHash: indexed.hash,
        blockNumber,
        transactionHash: tx.hash,
        transactionIndex: index,
        logIndex: logStart + i,
      }),
    ),
    logsBloom: hex(logsBloom(receipt.logs)),
    type: quantity(tx.type),
    status: quantity(receipt.status),
  };
}
