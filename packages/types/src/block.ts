import type { SignedTx } from "./transaction.js";

/**
 * A block header, designed for BFT finality. The header commits to the previous block's commit certificate
 * (`lastCommit`), so a holder of the validator set can check the whole chain without trusting any node.
 */
export interface Header {
  readonly parentHash: Uint8Array;
  readonly height: number;
  /** Milliseconds since the Unix epoch; JSON-RPC and the EVM see `floor(timestampMs / 1000)`. */
  readonly timestampMs: number;
  /** Address of the validator that proposed the block (JSON-RPC `miner`). */
  readonly proposer: Uint8Array;
  readonly transactionsRoot: Uint8Array;
  readonly receiptsRoot: Uint8Array;
  /** Root of the world-state trie after executing this block's transactions. */
  readonly stateRoot: Uint8Array;
  readonly logsBloom: Uint8Array;
  readonly gasUsed: bigint;
  readonly gasLimit: bigint;
  /** Always 0: gas is free on Charter (product decision 2), but the field is present so tools pick EIP-1559. */
  readonly baseFeePerGas: bigint;
  /** Hash of the validator set that must sign this block. */
  readonly validatorsHash: Uint8Array;
  /** The certificate that committed the parent block; `null` at heights 0 and 1. */
  readonly lastCommit: CommitCertificate | null;
  /** At most 32 bytes of free data. */
  readonly extraData: Uint8Array;
}

/** 2f+1 validator signatures over the same (height, round, block hash). The consensus issue defines the vote bytes. */
export interface CommitCertificate {
  readonly height: number;
  readonly round: number;
  readonly blockHash: Uint8Array;
  readonly signatures: readonly CommitSignature[];
}

export interface CommitSignature {
  /** Address of the validator. */
  readonly validator: Uint8Array;
  readonly signature: Uint8Array;
}

export interface Block {
  readonly header: Header;
  readonly transactions: readonly SignedTx[];
}

export interface Log {
  readonly address: Uint8Array;
  readonly topics: readonly Uint8Array[];
  readonly data: Uint8Array;
}

/** What executing one transaction produced; stored per block, in transaction order. */
export interface Receipt {
  /** 1 success, 0 failure (revert, out of gas, invalid opcode...). */
  readonly status: 0 | 1;
  readonly gasUsed: bigint;
  readonly cumulativeGasUsed: bigint;
  readonly logs: readonly Log[];
  /** Address of the created contract, for a successful creation. */
  readonly contractAddress: Uint8Array | null;
}
