import {
  type Block,
  type BlockTag,
  type ChainFormatters,
  defineBlock,
  defineTransaction,
  defineTransactionReceipt,
  formatTransaction,
  type Hex,
  type Index,
  type OneOf,
  type Quantity,
  type RpcBlock,
  type RpcTransaction,
  type RpcTransactionReceipt,
  type Transaction,
  type TransactionEIP1559,
  type TransactionReceipt,
} from "viem";
import { SM2_TRANSACTION_TYPE, SM2_TRANSACTION_TYPE_HEX } from "./sm2Transaction.js";

/**
 * A type-0x53 transaction as viem returns it on an `sm` chain: the EIP-1559 fields, `type: "sm2"`,
 * `typeHex: "0x53"`, `yParity` and `v` 0, and the signer's `publicKey` (64 bytes `x ‖ y`, as JSON-RPC sends it).
 */
export type TransactionSM2<
  quantity = bigint,
  index = number,
  isPending extends boolean = boolean,
  type = typeof SM2_TRANSACTION_TYPE,
> = TransactionEIP1559<quantity, index, isPending, type> & {
  /** The signer's SM2 public key, 64 bytes `x ‖ y` (prefix 0x04 for the uncompressed form). */
  publicKey: Hex;
};

/** A type-0x53 transaction as JSON-RPC sends it. */
export type RpcTransactionSM2<isPending extends boolean = boolean> = Omit<
  TransactionSM2<Quantity, Index, isPending, typeof SM2_TRANSACTION_TYPE_HEX>,
  "typeHex"
>;

/** A transaction of an `sm` chain, as JSON-RPC sends it. */
export type CharterSMRpcTransaction<isPending extends boolean = boolean> = OneOf<
  RpcTransaction<isPending> | RpcTransactionSM2<isPending>
>;

/** A transaction of an `sm` chain, as viem returns it (`getTransaction`, blocks with transactions). */
export type CharterSMTransaction<isPending extends boolean = boolean> = OneOf<
  Transaction<bigint, number, isPending> | TransactionSM2<bigint, number, isPending>
>;

export type CharterSMRpcBlock<
  blockTag extends BlockTag = BlockTag,
  includeTransactions extends boolean = boolean,
> = RpcBlock<
  blockTag,
  includeTransactions,
  CharterSMRpcTransaction<blockTag extends "pending" ? true : false>
>;

export type CharterSMBlock<
  includeTransactions extends boolean = boolean,
  blockTag extends BlockTag = BlockTag,
> = Block<
  bigint,
  includeTransactions,
  blockTag,
  CharterSMTransaction<blockTag extends "pending" ? true : false>
>;

/**
 * The part of a transaction viem's own formatter gets wrong for type 0x53: it knows no name for the type (it
 * leaves `type` undefined and `typeHex` "0x53") and keeps every other field, `publicKey` included, as sent.
 */
function sm2Fields(args: CharterSMRpcTransaction): Partial<TransactionSM2> {
  if (args.type !== SM2_TRANSACTION_TYPE_HEX) return {};
  return {
    type: SM2_TRANSACTION_TYPE,
    ...(typeof args.publicKey === "string" ? { publicKey: args.publicKey.toLowerCase() as Hex } : {}),
  };
}

/**
 * The formatters of an `sm` chain (viem's `chain.formatters`, as the OP Stack and Celo chains have theirs):
 * transactions and receipts of type 0x53 get `type: "sm2"`, and transactions keep the signer's `publicKey`.
 * Blocks with full transactions get the same treatment.
 */
export const charterSMFormatters = {
  block: /*#__PURE__*/ defineBlock({
    format(args: CharterSMRpcBlock): CharterSMBlock {
      const transactions = args.transactions?.map((transaction) => {
        if (typeof transaction === "string") return transaction;
        return { ...formatTransaction(transaction as RpcTransaction), ...sm2Fields(transaction) };
      });
      return { transactions } as CharterSMBlock;
    },
  }),
  transaction: /*#__PURE__*/ defineTransaction({
    format(args: CharterSMRpcTransaction): CharterSMTransaction {
      return sm2Fields(args) as CharterSMTransaction;
    },
  }),
  transactionReceipt: /*#__PURE__*/ defineTransactionReceipt({
    format(args: RpcTransactionReceipt): TransactionReceipt {
      return (
        (args.type as string) === SM2_TRANSACTION_TYPE_HEX ? { type: SM2_TRANSACTION_TYPE } : {}
      ) as TransactionReceipt;
    },
  }),
} as const satisfies ChainFormatters;
