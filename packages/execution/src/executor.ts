import type { CryptoSuiteName } from "@charter/crypto";
import type { Log, Receipt, VerifiedTx } from "@charter/types";
import { assert, bytesToHex, equalBytes } from "@charter/utils";
import { type Common, createCustomCommon, Hardfork, Mainnet } from "@ethereumjs/common";
import { type CustomPrecompile, createEVM, type EVM, type EVMMockBlockchainInterface } from "@ethereumjs/evm";
import { Address, createZeroAddress, KECCAK256_NULL, type KZG } from "@ethereumjs/util";
import { ExecutionError } from "./errors.js";
import {
  type EVMBlock,
  intrinsicGas as intrinsicGasOf,
  processTransaction,
  type TxOutcome,
} from "./processTransaction.js";
import { precompilesFor } from "./smPrecompiles.js";
import { StateOverlay } from "./stateOverlay.js";
import type { StateDiff, StateReader } from "./stateReader.js";

/** The block-level facts execution depends on. */
export interface BlockEnv {
  readonly height: number;
  readonly timestampMs: number;
  /** Becomes COINBASE. */
  readonly proposer: Uint8Array;
  readonly gasLimit: bigint;
}

export interface ExecutorOptions {
  readonly chainId: bigint;
  /** Hash of a committed block, for BLOCKHASH (the last 256 blocks). */
  readonly blockHash: (height: number) => Promise<Uint8Array | undefined>;
  /** Replaces the EVM's ECRECOVER implementation (the pure-JS default is ~24x slower than libsecp256k1). */
  readonly ecrecover?: (
    msgHash: Uint8Array,
    v: bigint,
    r: Uint8Array,
    s: Uint8Array,
    chainId?: bigint,
  ) => Uint8Array;
  /** The chain's crypto suite; `sm` adds the SM3 and SM2-verify precompiles (smPrecompiles.ts). Default `ecdsa`. */
  readonly suite?: CryptoSuiteName;
}

export interface BlockExecution {
  /** Transactions included, in order (in build mode, those that were valid). */
  readonly transactions: readonly VerifiedTx[];
  readonly receipts: readonly Receipt[];
  readonly outcomes: readonly TxOutcome[];
  readonly gasUsed: bigint;
  readonly diff: StateDiff;
  /** Build mode only: transactions left out because they were not valid at their position, with the reason. */
  readonly rejected: readonly { readonly tx: VerifiedTx; readonly error: ExecutionError }[];
}

export type ExecutionMode =
  /** Proposer: skip transactions that are not valid at their position and stop when the block is full. */
  | "build"
  /** Validator: every transaction must be valid, or the whole block is. */
  | "validate";

/**
 * Runs blocks and calls on the EVM (Prague rules) over any `StateReader`. Pure with respect to the outside
 * world: it reads the base state and returns a diff; committing it is the chain's job.
 */
export class Executor {
  readonly #common: Common;
  readonly #options: ExecutorOptions;
  readonly #precompiles: CustomPrecompile[];

  constructor(options: ExecutorOptions) {
    this.#options = options;
    this.#precompiles = precompilesFor(options.suite ?? "ecdsa");
    const customCrypto = { kzg: NO_KZG, ...(options.ecrecover ? { ecrecover: options.ecrecover } : {}) };
    this.#common = createCustomCommon({ chainId: Number(options.chainId), name: "charter" }, Mainnet, {
      hardfork: Hardfork.Prague,
      customCrypto,
    });
  }

  get chainId(): bigint {
    return this.#options.chainId;
  }

  async executeBlock(options: {
    readonly base: StateReader;
    readonly env: BlockEnv;
    readonly transactions: Iterable<VerifiedTx>;
    readonly mode: ExecutionMode;
    /**
     * Build mode only: asked after each transaction with the state the block has reached. A returned reason reverts
     * the transaction and leaves it out, reported in `rejected` with code `system-state`. The chain uses it to keep
     * out a transaction that would leave the validator registry malformed.
     */
    readonly checkState?: (state: StateReader) => string | undefined;
  }): Promise<BlockExecution> {
    const { env, mode } = options;
    const state = new StateOverlay(options.base);
    const evm = await this.#createEVM(state);
    const checkState = mode === "build" ? options.checkState : undefined;
    const view: StateReader = {
      getAccount: (address) => state.readAccount(address),
      getStorage: (address, slot) => state.readStorage(address, slot),
      getCode: (codeHash) => state.codeByHash(codeHash),
    };
    const block = this.#evmBlock(env);
    const included: VerifiedTx[] = [];
    const receipts: Receipt[] = [];
    const outcomes: TxOutcome[] = [];
    const rejected: { tx: VerifiedTx; error: ExecutionError }[] = [];
    let gasUsed = 0n;
    for (const tx of options.transactions) {
      const remaining = env.gasLimit - gasUsed;
      if (mode === "build" && remaining < 21_000n) break;
      await state.checkpoint();
      let outcome: TxOutcome;
      try {
        outcome = await processTransaction({ evm, state, block, blockGasRemaining: remaining }, tx);
      } catch (caught) {
        let error: ExecutionError;
        await state.revert();
        if (caught instanceof ExecutionError) {
          error = caught;
        } else {
          // An exception from inside the EVM library (not a revert or an EVM halt, which are results) is a bug
          // there or here. Every node runs the same code, so it is deterministic: a proposer leaves the
          // transaction out rather than stop producing blocks, and a validator refuses a block containing it.
          error = new ExecutionError(
            "internal",
            `execution failed unexpectedly: ${(caught as Error).message}`,
            { cause: caught },
          );
        }
        if (mode === "validate") {
          throw new ExecutionError(
            "invalid-block",
            `transaction ${included.length} is invalid: ${error.message}`,
            {
              cause: error,
            },
          );
        }
        rejected.push({ tx, error });
        continue;
      }
      const refusal = checkState?.(view);
      if (refusal !== undefined) {
        await state.revert();
        rejected.push({ tx, error: new ExecutionError("system-state", refusal) });
        continue;
      }
      await state.commit();
      gasUsed += outcome.gasUsed;
      included.push(tx);
      outcomes.push(outcome);
      receipts.push({
        status: outcome.status,
        gasUsed: outcome.gasUsed,
        cumulativeGasUsed: gasUsed,
        logs: outcome.logs,
        contractAddress: outcome.contractAddress,
      });
    }
    assert(state.depth === 0, "block execution left a checkpoint open");
    return { transactions: included, receipts, outcomes, gasUsed, diff: state.toDiff(), rejected };
  }

  /**
   * Executes a call without committing anything (eth_call). Nonce and balance are not checked and the
   * sender's balance is topped up to cover `value`, as geth does for calls.
   */
  async call(options: {
    readonly base: StateReader;
    readonly env: BlockEnv;
    readonly request: CallParams;
  }): Promise<CallOutcome> {
    const { request } = options;
    const state = new StateOverlay(options.base);
    const evm = await this.#createEVM(state);
    const caller = request.from ? new Address(request.from) : createZeroAddress();
    await evm.journal.cleanup();
    for (const precompile of evm.precompiles.keys()) evm.journal.addAlwaysWarmAddress(precompile);
    evm.journal.addAlwaysWarmAddress(caller.toString());
    if (request.to) evm.journal.addAlwaysWarmAddress(new Address(request.to).toString());
    evm.journal.addAlwaysWarmAddress(new Address(options.env.proposer).toString());
    for (const item of request.accessList ?? []) {
      const address = new Address(item.address).toString();
      evm.journal.addAlwaysWarmAddress(address);
      for (const key of item.storageKeys) {
        evm.journal.addAlwaysWarmSlot(address, bytesToHex(key).slice(2));
      }
    }
    const { intrinsic, floor } = intrinsicFor(request);
    const gasLimit = request.gas ?? options.env.gasLimit;
    // The same minimum as for a transaction (EIP-7623 included), so that no gas limit passes here, or comes out
    // of `estimateGas`, that would make the transaction invalid.
    const gasRequired = intrinsic > floor ? intrinsic : floor;
    if (gasLimit < gasRequired) {
      return {
        kind: "error",
        message: `intrinsic gas too low: have ${gasLimit}, want ${gasRequired}`,
        gasUsed: gasLimit,
      };
    }
    // Contract creation derives the new address from the sender's nonce minus one, as for a real transaction.
    if (!request.to) {
      const account = state.readAccount(caller.bytes);
      state.writeAccount(caller.bytes, {
        nonce: (account?.nonce ?? 0n) + 1n,
        balance: account?.balance ?? 0n,
        codeHash: account?.codeHash ?? KECCAK256_NULL,
      });
    }
    const result = await evm.runCall({
      block: this.#evmBlock(options.env) as never,
      gasPrice: 0n,
      origin: caller,
      caller,
      gasLimit: gasLimit - intrinsic,
      ...(request.to ? { to: new Address(request.to) } : {}),
      value: request.value ?? 0n,
      data: request.data ?? new Uint8Array(0),
      skipBalance: true,
      skipNonceIncrement: true,
    });
    const exec = result.execResult;
    const gasUsed = intrinsic + exec.executionGasUsed;
    if (exec.exceptionError === undefined) {
      return {
        kind: "success",
        returnData: exec.returnValue,
        gasUsed,
        logs: (exec.logs ?? []).map(([address, topics, data]) => ({ address, topics, data })),
      };
    }
    if (exec.exceptionError.error === "revert") {
      return { kind: "revert", returnData: exec.returnValue, gasUsed };
    }
    return { kind: "error", message: exec.exceptionError.error, gasUsed };
  }

  /**
   * Runs contract creation code outside any transaction, in a scratch state over `base` (which is not changed),
   * and returns the runtime code it deploys and the storage its constructor leaves. This is how the genesis
   * creates the system contracts before placing them at their fixed addresses (the governance package), so the
   * constructor must not depend on its own address. The creator is the zero address with no balance and the
   * value is zero; the init code may exceed the EIP-3860 limit (constructor arguments can list hundreds of
   * nodes), but the deployed code must fit EIP-170 like any other.
   */
  async construct(options: {
    readonly base: StateReader;
    readonly env: BlockEnv;
    readonly initCode: Uint8Array;
    readonly gasLimit: bigint;
  }): Promise<ConstructOutcome> {
    const state = new StateOverlay(options.base);
    const evm = await this.#createEVM(state, { allowUnlimitedInitCodeSize: true });
    const creator = createZeroAddress();
    await evm.journal.cleanup();
    for (const precompile of evm.precompiles.keys()) evm.journal.addAlwaysWarmAddress(precompile);
    evm.journal.addAlwaysWarmAddress(creator.toString());
    await evm.journal.checkpoint();
    const result = await evm.runCall({
      block: this.#evmBlock(options.env) as never,
      gasPrice: 0n,
      origin: creator,
      caller: creator,
      gasLimit: options.gasLimit,
      value: 0n,
      data: options.initCode,
      skipBalance: true,
    });
    await evm.journal.commit();
    const exec = result.execResult;
    if (exec.exceptionError !== undefined) {
      if (exec.exceptionError.error === "revert")
        return { kind: "revert", returnData: exec.returnValue, gasUsed: exec.executionGasUsed };
      return { kind: "error", message: exec.exceptionError.error, gasUsed: exec.executionGasUsed };
    }
    const created = result.createdAddress;
    assert(created !== undefined, "a successful creation names the created account");
    const diff = state.toDiff();
    const account = diff.accounts.find((a) => equalBytes(a.address, created.bytes));
    assert(account?.account != null, "the created account is in the scratch state");
    const code = state.codeByHash(account.account.codeHash);
    const storage = new Map<string, Uint8Array>();
    for (const [slot, value] of account.storage) {
      const word = new Uint8Array(32);
      word.set(value.subarray(Math.max(0, value.length - 32)), 32 - Math.min(32, value.length));
      if (word.some((b) => b !== 0)) storage.set(slot, word);
    }
    return {
      kind: "success",
      code,
      storage,
      gasUsed: exec.executionGasUsed,
      logs: (exec.logs ?? []).map(([address, topics, data]) => ({ address, topics, data })),
    };
  }

  /**
   * Smallest gas limit with which the call succeeds, found by binary search between the gas the call used and
   * the cap (the block gas limit, or `request.gas`), as geth does. A call that fails at the cap is reported as
   * the failure.
   */
  async estimateGas(options: {
    readonly base: StateReader;
    readonly env: BlockEnv;
    readonly request: CallParams;
  }): Promise<EstimateOutcome> {
    const cap = options.request.gas ?? options.env.gasLimit;
    const first = await this.call({ ...options, request: { ...options.request, gas: cap } });
    if (first.kind !== "success") {
      if (first.kind === "error" && first.message === "out of gas") {
        return { kind: "error", message: `gas required exceeds allowance (${cap})`, gasUsed: cap };
      }
      return first;
    }
    const { intrinsic, floor } = intrinsicFor(options.request);
    const atLeast = intrinsic > floor ? intrinsic : floor;
    // Most calls succeed with what they used plus the 1/64 retained by each CALL (EIP-150); try that first.
    let low = (first.gasUsed > atLeast ? first.gasUsed : atLeast) - 1n;
    let high = cap;
    const guess = ((low + 1n) * 64n) / 63n + 2_300n;
    if (guess < high) {
      const attempt = await this.call({ ...options, request: { ...options.request, gas: guess } });
      if (attempt.kind === "success") high = guess;
      else low = guess;
    }
    while (high - low > 1n) {
      const mid = (low + high) / 2n;
      const attempt = await this.call({ ...options, request: { ...options.request, gas: mid } });
      if (attempt.kind === "success") high = mid;
      else low = mid;
    }
    return { kind: "success", gas: high };
  }

  async #createEVM(
    state: StateOverlay,
    limits: { readonly allowUnlimitedInitCodeSize?: boolean } = {},
  ): Promise<EVM> {
    const blockHash = this.#options.blockHash;
    const blockchain: EVMMockBlockchainInterface = {
      async getBlock(height: number) {
        const hash = (await blockHash(height)) ?? new Uint8Array(32);
        return { hash: () => hash };
      },
      async putBlock() {},
      shallowCopy() {
        return blockchain;
      },
    };
    // A Common per EVM: the EVM subscribes to hardfork changes on the Common it gets, so sharing one would
    // keep every EVM ever created alive.
    return createEVM({
      common: this.#common.copy(),
      stateManager: state,
      blockchain,
      customPrecompiles: this.#precompiles,
      ...limits,
    });
  }

  #evmBlock(env: BlockEnv): EVMBlock {
    return {
      header: {
        number: BigInt(env.height),
        coinbase: new Address(env.proposer),
        timestamp: BigInt(Math.floor(env.timestampMs / 1000)),
        difficulty: 0n,
        // Charter has no randomness beacon; PREVRANDAO is zero rather than something that looks random.
        prevRandao: new Uint8Array(32),
        gasLimit: env.gasLimit,
        baseFeePerGas: 0n,
        getBlobGasPrice: () => 1n,
      },
    };
  }
}

/**
 * What the KZG point-evaluation precompile (0x0a, EIP-4844) verifies with. Charter has no blobs and ships no KZG
 * trusted setup; without an implementation the EVM throws out of the precompile, and any transaction that reaches
 * 0x0a would abort the whole block. With this one every proof is rejected: a call to 0x0a fails like a call with
 * an invalid proof (all the gas it was given is consumed), deterministically on every node.
 */
const NO_KZG: KZG = {
  verifyProof: () => false,
  verifyBlobProofBatch: () => false,
  verifyCellKzgProofBatch: () => false,
  blobToKzgCommitment: noBlobs,
  computeBlobProof: noBlobs,
  computeCells: noBlobs,
  computeCellsAndProofs: noBlobs,
  recoverCellsAndProofs: noBlobs,
};

function noBlobs(): never {
  throw new Error("Charter has no blob transactions: KZG commitments and proofs are never computed");
}

/** A call as eth_call / eth_estimateGas describe it, already parsed. */
export interface CallParams {
  readonly from?: Uint8Array;
  readonly to?: Uint8Array | null;
  readonly gas?: bigint;
  readonly value?: bigint;
  readonly data?: Uint8Array;
  readonly accessList?: readonly {
    readonly address: Uint8Array;
    readonly storageKeys: readonly Uint8Array[];
  }[];
}

export type CallOutcome =
  | {
      readonly kind: "success";
      readonly returnData: Uint8Array;
      readonly gasUsed: bigint;
      readonly logs: readonly Log[];
    }
  | { readonly kind: "revert"; readonly returnData: Uint8Array; readonly gasUsed: bigint }
  | { readonly kind: "error"; readonly message: string; readonly gasUsed: bigint };

/** What `Executor.construct` left: the deployed code and the constructor's storage (non-zero 32-byte words). */
export type ConstructOutcome =
  | {
      readonly kind: "success";
      readonly code: Uint8Array;
      /** 32-byte slot (0x-prefixed hex) → 32-byte value; slots left zero are absent. */
      readonly storage: ReadonlyMap<string, Uint8Array>;
      readonly gasUsed: bigint;
      readonly logs: readonly Log[];
    }
  | Exclude<CallOutcome, { kind: "success" }>;

export type EstimateOutcome =
  | { readonly kind: "success"; readonly gas: bigint }
  | Exclude<CallOutcome, { kind: "success" }>;

function intrinsicFor(request: CallParams): { intrinsic: bigint; floor: bigint } {
  return intrinsicGasOf({
    to: request.to ?? null,
    data: request.data ?? new Uint8Array(0),
    accessList: request.accessList ?? [],
  });
}
