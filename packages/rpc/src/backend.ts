import type { Block, Log, Receipt, SignedTx, UnsignedTx, VerifiedTx } from "@charter/types";

/**
 * What the JSON-RPC layer needs from a node. The node package implements it over the chain store, state,
 * execution and mempool; the RPC package owns only JSON-RPC: transports, parameter validation, JSON shapes,
 * filters and subscriptions. Heights are block numbers; `resolve` of tags (`latest`, `safe`, `finalized`,
 * `pending`, `earliest`, EIP-1898 objects) happens in the RPC package using `headHeight()` and `blockByHash()`.
 */
export interface RPCBackend {
  readonly chainId: bigint;
  /** `charter/v<semver>/<os>-<arch>/node<version>` */
  readonly clientVersion: string;
  /** Present only on a devnet: the node signs for the publicly known dev accounts. */
  readonly devSigner?: DevSigner;

  /** Height of the latest committed (final) block. */
  headHeight(): number;
  blockByHeight(height: number): Promise<IndexedBlock | undefined>;
  blockByHash(hash: Uint8Array): Promise<IndexedBlock | undefined>;
  /** Receipts of a committed block, in transaction order. */
  receiptsByHeight(height: number): Promise<readonly Receipt[] | undefined>;
  /** Where a committed transaction is. */
  txLocation(hash: Uint8Array): Promise<TxLocation | undefined>;
  /** A transaction still in the pool. */
  pendingTx(hash: Uint8Array): VerifiedTx | undefined;
  /** Executable pool transactions in the order a proposer would take them (bounded by `limit`). */
  pendingTxs(limit: number): readonly VerifiedTx[];

  getAccount(address: Uint8Array, height: number): Promise<AccountInfo>;
  getCode(address: Uint8Array, height: number): Promise<Uint8Array>;
  /** 32-byte value of a storage slot (zero when unset). */
  getStorageAt(address: Uint8Array, slot: Uint8Array, height: number): Promise<Uint8Array>;
  /** EIP-1186 proof against the state root of `height`. */
  getProof(address: Uint8Array, slots: readonly Uint8Array[], height: number): Promise<AccountProof>;
  /** Nonce including executable and queued pool transactions (the `pending` tag). */
  pendingNonce(address: Uint8Array): Promise<bigint>;

  /** Executes a call against the state after `height`, without committing anything. */
  call(request: CallRequest, height: number): Promise<CallResult>;
  /** Smallest gas limit with which the call succeeds; reverts are reported like `call`. */
  estimateGas(request: CallRequest, height: number): Promise<EstimateGasResult>;

  /**
   * Decodes, validates and admits a raw transaction into the pool and returns its hash. Rejections throw
   * `RPCError` with the code and verbatim message clients expect (see `errors.ts`).
   */
  sendRawTransaction(raw: Uint8Array): Promise<Uint8Array>;

  /** Called once per committed block, in height order. Returns an unsubscribe function. */
  onBlock(listener: (block: IndexedBlock, receipts: readonly Receipt[]) => void): () => void;
  /** Called once per transaction admitted into the pool. */
  onPendingTx(listener: (hash: Uint8Array) => void): () => void;

  peerCount(): number;
  /** `false` when the node is at the head of the network. */
  syncing(): false | { startingBlock: number; currentBlock: number; highestBlock: number };
}

export interface IndexedBlock {
  readonly block: Block;
  readonly hash: Uint8Array;
  /** Recovered senders, parallel to `block.transactions`. */
  readonly senders: readonly Uint8Array[];
  /** Serialized size in bytes. */
  readonly size: number;
}

export interface TxLocation {
  readonly height: number;
  readonly index: number;
  readonly blockHash: Uint8Array;
}

export interface AccountInfo {
  readonly nonce: bigint;
  readonly balance: bigint;
  readonly codeHash: Uint8Array;
  readonly storageRoot: Uint8Array;
}

export interface AccountProof {
  readonly address: Uint8Array;
  readonly nonce: bigint;
  readonly balance: bigint;
  readonly codeHash: Uint8Array;
  readonly storageHash: Uint8Array;
  readonly accountProof: readonly Uint8Array[];
  readonly storageProof: readonly { key: Uint8Array; value: bigint; proof: readonly Uint8Array[] }[];
}

/** A call or gas estimate as given in JSON-RPC, already parsed. Missing fields are left undefined. */
export interface CallRequest {
  readonly from?: Uint8Array;
  readonly to?: Uint8Array | null;
  readonly gas?: bigint;
  readonly gasPrice?: bigint;
  readonly maxFeePerGas?: bigint;
  readonly maxPriorityFeePerGas?: bigint;
  readonly value?: bigint;
  readonly data?: Uint8Array;
  readonly nonce?: bigint;
  readonly accessList?: UnsignedTx["accessList"];
}

export type CallResult =
  | {
      readonly kind: "success";
      readonly returnData: Uint8Array;
      readonly gasUsed: bigint;
      readonly logs: readonly Log[];
    }
  /** The EVM executed REVERT; `returnData` is the revert payload (may be empty). */
  | { readonly kind: "revert"; readonly returnData: Uint8Array; readonly gasUsed: bigint }
  /** Any other failure (out of gas, invalid opcode, stack underflow, ...) with the EVM's own message. */
  | { readonly kind: "error"; readonly message: string; readonly gasUsed: bigint };

export type EstimateGasResult =
  | { readonly kind: "success"; readonly gas: bigint }
  /**
   * The call does not succeed even with the most gas the estimate may use (the request's `gas`, else the block gas
   * limit); answered as geth does, "gas required exceeds allowance (<allowance>)".
   */
  | { readonly kind: "allowanceExceeded"; readonly allowance: bigint }
  | Exclude<CallResult, { kind: "success" }>;

export interface DevSigner {
  /** Addresses of the dev accounts, in derivation order. */
  accounts(): readonly Uint8Array[];
  /**
   * Fills in what `eth_sendTransaction` left out (nonce from `pendingNonce`, gas from `estimateGas`, zero fees,
   * chain id), signs with the dev key of `from`, and returns the signed transaction.
   * Throws `RPCError` if `from` is not a dev account.
   */
  signTransaction(from: Uint8Array, request: CallRequest): Promise<SignedTx>;
}
