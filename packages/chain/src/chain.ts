import { type CryptoSuite, keccak256 } from "@charter/crypto";
import {
  type BlockExecution,
  ExecutionError,
  type Executor,
  type GenesisAccount,
  genesisStateDiff,
  type StateDiff,
  type StateReader,
} from "@charter/execution";
import {
  createGovernanceView,
  type GovernanceGenesis,
  governanceGenesisFields,
  type PermissionRefusal,
  type PermissionSubject,
  permissionRefusal,
} from "@charter/governance";
import type { KvStore } from "@charter/kv";
import {
  type Block,
  type CommitCertificate,
  type Header,
  hashHeader,
  logsBloom,
  type Receipt,
  receiptsRoot,
  recoverTxSender,
  type SignedTx,
  transactionsRoot,
  type VerifiedTx,
} from "@charter/types";
import { assert, BoundedCache, bigintToBytes, bytesToHex, equalBytes, hexToBytes } from "@charter/utils";
import { RLP } from "@ethereumjs/rlp";
import { type ChainMeta, ChainStore, type StoredBlock } from "./chainStore.js";
import { ChainError } from "./errors.js";
import {
  DEFAULT_BLOCK_INTERVAL_MS,
  genesisAllocWithSystemContracts,
  resolveGovernance,
} from "./systemContracts.js";
import {
  type ChainValidator,
  type ChainValidatorSet,
  createChainValidatorSet,
  decodeValidatorRegistry,
  genesisAllocWithRegistry,
  VALIDATOR_REGISTRY_ADDRESS,
  validatorSetHash,
} from "./validatorRegistry.js";
import type { PreparedState, WorldState } from "./worldState.js";

/** A block that has been executed against the head and can be committed as is. */
export interface ExecutedBlock {
  readonly block: Block;
  readonly hash: Uint8Array;
  readonly senders: readonly Uint8Array[];
  readonly receipts: readonly Receipt[];
  readonly execution: BlockExecution;
  readonly state: PreparedState;
  readonly size: number;
}

export interface ChainGenesis {
  readonly chainId: bigint;
  readonly timestampMs: number;
  readonly gasLimit: bigint;
  readonly alloc: ReadonlyMap<string, GenesisAccount>;
  /** The set of heights 0 to 2, written into the validator registry's storage in the genesis state. */
  readonly validators: readonly ChainValidator[];
  readonly extraData: Uint8Array;
  /**
   * The governance the system contracts are created with (docs/spec/governance.md section 2). Left out: the
   * default derived from the validators (`defaultGovernanceGenesis`). `null`: no system contracts; the validator
   * registry then holds only the validators, with the code the allocation gives it or code that always reverts
   * (for tests that place their own registry contract).
   */
  readonly governance?: GovernanceGenesis | null;
  /** The block interval `ChainParams` starts with; `DEFAULT_BLOCK_INTERVAL_MS` when left out. */
  readonly blockIntervalMs?: number;
}

export interface ChainOptions {
  readonly kv: KvStore;
  readonly suite: CryptoSuite;
  readonly state: WorldState;
  readonly executor: Executor;
  readonly genesis: ChainGenesis;
  /**
   * Rule 1b for chains run by the BFT engine: throws when `header.lastCommit` does not certify `parent` (the head)
   * under the validator set of the parent's height (`validatorsAt(parent.height)`). Injected so the chain stays
   * free of consensus internals; the node passes `createLastCommitVerifier` from the consensus package over
   * `validatorsAt`. Left out on a single-validator chain, whose blocks carry no certificates.
   */
  readonly verifyLastCommit?: (
    header: Header,
    parent: { readonly hash: Uint8Array; readonly height: number },
  ) => void;
}

export type BlockListener = (stored: StoredBlock, receipts: readonly Receipt[]) => void;

const ZERO_ADDRESS = new Uint8Array(20);
const ZERO_HASH = new Uint8Array(32);
const EMPTY_CODE_HASH = keccak256(new Uint8Array(0));
/** Verified senders remembered: a full pool (see mempool limits) and a few blocks more. 20-byte values, ~10 MiB. */
const VERIFIED_SENDERS_MAX = 65_536;
/** Validator sets kept by height; the engine, lastCommit checks and p2p ask for the same few heights. */
const VALIDATOR_SETS_BY_HEIGHT_MAX = 64;
/** Decoded registries kept by the registry's storage root, so an unchanged set is not decoded per height. */
const VALIDATOR_SETS_BY_ROOT_MAX = 16;

/**
 * The replicated application: it builds blocks from transactions, checks blocks proposed by others by executing
 * them, and commits blocks (block, receipts, indexes, state, head) in one atomic batch. It knows nothing of
 * consensus: a producer, and later the BFT engine, decides what to propose and when a block is final.
 */
export class Chain {
  readonly store: ChainStore;
  readonly #options: ChainOptions;
  /** Senders of transactions whose signature this node has checked, by transaction hash (`verifySender`). */
  readonly #verifiedSenders = new BoundedCache<Uint8Array>(VERIFIED_SENDERS_MAX);
  #head!: StoredBlock;
  #headCertificate: CommitCertificate | null = null;
  readonly #listeners = new Set<BlockListener>();
  readonly #setsByHeight = new BoundedCache<ChainValidatorSet>(VALIDATOR_SETS_BY_HEIGHT_MAX);
  readonly #setsByRoot = new BoundedCache<ChainValidatorSet>(VALIDATOR_SETS_BY_ROOT_MAX);
  /** Whether the chain has system contracts, hence enforces governance (a chain test's genesis may have none). */
  readonly #governed: boolean;

  private constructor(options: ChainOptions) {
    this.#options = options;
    this.#governed = resolveGovernance(options.genesis) !== null;
    this.store = new ChainStore({ kv: options.kv, suite: options.suite, chainId: options.genesis.chainId });
  }

  /**
   * Opens the chain in a store: writes genesis into an empty store, otherwise checks that the store belongs to
   * this genesis and resumes from its head.
   */
  static async open(options: ChainOptions): Promise<Chain> {
    const chain = new Chain(options);
    await chain.#init();
    return chain;
  }

  get head(): StoredBlock {
    return this.#head;
  }

  /**
   * The certificate that committed the head block, or `null` (genesis, or a chain without consensus
   * certificates): the `lastCommit` the next block must carry.
   */
  get headCertificate(): CommitCertificate | null {
    return this.#headCertificate;
  }

  get suite(): CryptoSuite {
    return this.#options.suite;
  }

  get chainId(): bigint {
    return this.#options.genesis.chainId;
  }

  /** The gas limit of the next block: `ChainParams.blockGasLimit` in the head's state (rule 3). */
  get gasLimit(): bigint {
    return this.#gasLimitAt(this.#options.state.latest());
  }

  /**
   * The gas limit of a block whose parent's state is `reader`: the committee's `ChainParams.blockGasLimit` there,
   * so a change executed in block h applies from block h + 1; the genesis gas limit on a chain without governance.
   */
  #gasLimitAt(reader: StateReader): bigint {
    if (!this.#governed) return this.#options.genesis.gasLimit;
    const view = createGovernanceView((address, slot) => reader.getStorage(address, slot));
    const limit = view.chainParam("blockGasLimit");
    return limit > 0n ? limit : this.#options.genesis.gasLimit;
  }

  get worldState(): WorldState {
    return this.#options.state;
  }

  onBlock(listener: BlockListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * The validator set of `height` (consensus.md section 9): the validator registry as the state after block
   * `max(0, height − 2)` holds it, so a change made by block h is in force from h + 2. Known up to head + 2, and
   * answered synchronously for every height whose state block is among the recent blocks kept in memory (always
   * heights head to head + 2); `loadValidatorsAt` reads older ones from the store. Throws
   * `ChainError("unavailable")` otherwise.
   */
  validatorsAt(height: number): ChainValidatorSet {
    const basis = this.#validatorsBasis(height);
    const cached = this.#setsByHeight.get(String(height));
    if (cached !== undefined) return cached;
    const stored = this.store.recentByHeight(basis);
    if (stored === undefined)
      throw new ChainError(
        "unavailable",
        `the validator set of height ${height} needs block ${basis}, which is not in memory; use loadValidatorsAt`,
      );
    return this.#validatorsFromState(height, stored.block.header.stateRoot);
  }

  /** `validatorsAt` for any height up to head + 2, reading the block it depends on from the store if needed. */
  async loadValidatorsAt(height: number): Promise<ChainValidatorSet> {
    const basis = this.#validatorsBasis(height);
    const cached = this.#setsByHeight.get(String(height));
    if (cached !== undefined) return cached;
    const stored = await this.store.blockByHeight(basis);
    if (stored === undefined) throw new ChainError("corrupt", `block ${basis} is missing from the store`);
    return this.#validatorsFromState(height, stored.block.header.stateRoot);
  }

  #validatorsBasis(height: number): number {
    const head = this.#head.block.header.height;
    if (!Number.isSafeInteger(height) || height < 0)
      throw new ChainError("unavailable", `there is no validator set for height ${height}`);
    if (height > head + 2)
      throw new ChainError(
        "unavailable",
        `the validator set of height ${height} is not fixed yet: the head is ${head}, and sets are known up to head + 2`,
      );
    return Math.max(0, height - 2);
  }

  #validatorsFromState(height: number, stateRoot: Uint8Array): ChainValidatorSet {
    const reader = this.#options.state.at(stateRoot);
    const storageRoot = reader.getAccount(VALIDATOR_REGISTRY_ADDRESS)?.storageRoot;
    const rootKey = storageRoot === undefined ? undefined : bytesToHex(storageRoot);
    let set = rootKey === undefined ? undefined : this.#setsByRoot.get(rootKey);
    if (set === undefined) {
      try {
        set = decodeValidatorRegistry(
          (slot) => reader.getStorage(VALIDATOR_REGISTRY_ADDRESS, slot),
          this.suite,
        );
      } catch (error) {
        // Every committed block left a valid registry (rule 8), so this is a store from before the registry or a
        // damaged one.
        throw new ChainError(
          "corrupt",
          `the validator registry in the state of block ${Math.max(0, height - 2)} is invalid: ${(error as Error).message}`,
          { cause: error },
        );
      }
      if (rootKey !== undefined) this.#setsByRoot.set(rootKey, set);
    }
    this.#setsByHeight.set(String(height), set);
    return set;
  }

  /**
   * Why the validator registry after a block (the set of height h + 2, for block h) would not be a valid set, or
   * `undefined` when it is. A block that leaves the registry's storage untouched keeps the set of h + 1, which is
   * valid, so only blocks that change it pay for decoding it.
   */
  #registryProblem(base: StateReader, diff: StateDiff): string | undefined {
    const change = diff.accounts.find((a) => equalBytes(a.address, VALIDATOR_REGISTRY_ADDRESS));
    if (change === undefined) return undefined;
    const zero = new Uint8Array(32);
    const readSlot = (slot: Uint8Array): Uint8Array => {
      if (change.account === null) return zero;
      const written = change.storage.get(bytesToHex(slot));
      if (written !== undefined) return written;
      return change.storageCleared ? zero : base.getStorage(VALIDATOR_REGISTRY_ADDRESS, slot);
    };
    return registryError(() => decodeValidatorRegistry(readSlot, this.suite));
  }

  /**
   * The governance rule (governance.md section 6) `tx` breaks if the next block included it, read from the head's
   * state (the next block's parent), or `undefined` when it may be included. The pool and the RPC refuse such a
   * transaction; `propose` leaves it out and `validate` refuses a block with it (rule 5b). A chain without system
   * contracts enforces nothing.
   */
  permissionRefusal(tx: PermissionSubject): PermissionRefusal | undefined {
    return this.#permissionChecker(this.#options.state.latest())?.(tx);
  }

  /** The enforcement rules over the state `reader`, or `undefined` on a chain without governance. */
  #permissionChecker(
    reader: StateReader,
  ): ((tx: PermissionSubject) => PermissionRefusal | undefined) | undefined {
    if (!this.#governed) return undefined;
    const view = createGovernanceView((address, slot) => reader.getStorage(address, slot));
    const hasCode = (address: Uint8Array) => {
      const codeHash = reader.getAccount(address)?.codeHash;
      return codeHash !== undefined && !equalBytes(codeHash, EMPTY_CODE_HASH);
    };
    return (tx) => permissionRefusal(view, tx, hasCode);
  }

  /**
   * Builds the next block on the head from candidate transactions (already verified, in the order to try them).
   * Transactions that are not valid at their position, or that a governance rule forbids in the head's state
   * (rule 5b, error `not-permitted`), are left out and reported in `execution.rejected`.
   */
  async propose(input: {
    readonly timestampMs: number;
    readonly proposer: Uint8Array;
    readonly transactions: Iterable<VerifiedTx>;
    readonly lastCommit: CommitCertificate | null;
  }): Promise<ExecutedBlock> {
    const parent = this.#head.block.header;
    const height = parent.height + 1;
    const validators = this.validatorsAt(height);
    if (!validators.validators.some((v) => equalBytes(v.address, input.proposer)))
      throw new ChainError(
        "invalid-block",
        `${bytesToHex(input.proposer)} cannot propose block ${height}: it is not a validator at that height`,
      );
    const timestampMs = Math.max(input.timestampMs, parent.timestampMs);
    const base = this.#options.state.latest();
    const env = { height, timestampMs, proposer: input.proposer, gasLimit: this.#gasLimitAt(base) };
    // Rule 5b: the governance rules in the parent's state. Checked as the executor draws each candidate, so
    // candidates past a full block are not read.
    const check = this.#permissionChecker(base);
    const refused: { tx: VerifiedTx; error: ExecutionError }[] = [];
    const permitted =
      check === undefined
        ? input.transactions
        : (function* (candidates: Iterable<VerifiedTx>) {
            for (const tx of candidates) {
              const refusal = check(tx);
              if (refusal === undefined) yield tx;
              else
                refused.push({
                  tx,
                  error: new ExecutionError(
                    "not-permitted",
                    `governance rule ${refusal.rule}: ${refusal.message}`,
                  ),
                });
            }
          })(input.transactions);
    let execution = await this.#options.executor.executeBlock({
      base,
      env,
      transactions: permitted,
      mode: "build",
    });
    if (refused.length > 0) execution = { ...execution, rejected: [...refused, ...execution.rejected] };
    if (this.#registryProblem(base, execution.diff) !== undefined) {
      // Rare: a transaction left the validator registry malformed, which would make the block invalid (rule 8).
      // Build again from the transactions just included, checking the registry after each one and leaving out
      // those that break it; the block then ends with a valid registry.
      const first = execution;
      const suite = this.suite;
      const again = await this.#options.executor.executeBlock({
        base,
        env,
        transactions: first.transactions,
        mode: "build",
        checkState: (state) =>
          registryError(() =>
            decodeValidatorRegistry((slot) => state.getStorage(VALIDATOR_REGISTRY_ADDRESS, slot), suite),
          ),
      });
      assert(
        this.#registryProblem(base, again.diff) === undefined,
        "a block built with the registry check leaves the registry malformed",
      );
      execution = { ...again, rejected: [...first.rejected, ...again.rejected] };
    }
    const state = await this.#options.state.commit(execution.diff);
    const header: Header = {
      parentHash: this.#head.hash,
      height,
      timestampMs,
      proposer: input.proposer,
      transactionsRoot: transactionsRoot(execution.transactions, this.suite),
      receiptsRoot: receiptsRoot(execution.receipts, this.suite),
      stateRoot: state.root,
      logsBloom: logsBloom(execution.receipts.flatMap((r) => r.logs)),
      gasUsed: execution.gasUsed,
      gasLimit: env.gasLimit,
      baseFeePerGas: 0n,
      validatorsHash: validators.hash,
      lastCommit: input.lastCommit,
      extraData: new Uint8Array(0),
    };
    return this.#executed({ header, transactions: execution.transactions }, execution, state);
  }

  /**
   * Checks a block built elsewhere: its place on the head, its header fields, every transaction's signature and
   * validity, and the roots it claims, by executing it. Throws `ChainError("invalid-block")` naming the rule
   * broken; on success returns the execution to commit without running it twice.
   */
  async validate(block: Block, options: { readonly nowMs?: number } = {}): Promise<ExecutedBlock> {
    const header = block.header;
    const parent = this.#head.block.header;
    const invalid = (why: string) =>
      new ChainError("invalid-block", `block ${header.height} is invalid: ${why}`);
    if (header.height !== parent.height + 1) throw invalid(`height must be ${parent.height + 1}`);
    if (!equalBytes(header.parentHash, this.#head.hash)) throw invalid("parent hash is not the head's hash");
    this.#checkLastCommit(header, invalid);
    // Rule 1c: the header names the set of its height, and its proposer is a member of it.
    const validators = this.validatorsAt(header.height);
    if (!equalBytes(header.validatorsHash, validators.hash))
      throw invalid(
        `validatorsHash ${bytesToHex(header.validatorsHash)} is not the hash of the validator set of height ${header.height} (${bytesToHex(validators.hash)})`,
      );
    if (!validators.validators.some((v) => equalBytes(v.address, header.proposer)))
      throw invalid(`proposer ${bytesToHex(header.proposer)} is not a validator at height ${header.height}`);
    if (header.timestampMs < parent.timestampMs) throw invalid("timestamp is before the parent's");
    if (options.nowMs !== undefined && header.timestampMs > options.nowMs + MAX_CLOCK_DRIFT_MS) {
      throw invalid("timestamp is too far in the future");
    }
    const gasLimit = this.gasLimit;
    if (header.gasLimit !== gasLimit) throw invalid(`gas limit must be ${gasLimit}`);
    if (header.baseFeePerGas !== 0n) throw invalid("base fee must be 0");
    if (header.gasUsed > header.gasLimit) throw invalid("gas used exceeds the gas limit");
    const transactions: VerifiedTx[] = [];
    const seen = new Set<string>();
    for (const [index, tx] of block.transactions.entries()) {
      const key = bytesToHex(tx.hash);
      if (seen.has(key)) throw invalid(`transaction ${index} appears twice`);
      seen.add(key);
      transactions.push(
        this.verifySender(tx, () => invalid(`transaction ${index} has an invalid signature`)),
      );
    }
    if (!equalBytes(header.transactionsRoot, transactionsRoot(transactions, this.suite))) {
      throw invalid("transactions root does not match the transactions");
    }
    const base = this.#options.state.latest();
    // Rule 5b: every transaction is permitted by the governance rules in the parent's state.
    const check = this.#permissionChecker(base);
    if (check !== undefined)
      for (const [index, tx] of transactions.entries()) {
        const refusal = check(tx);
        if (refusal !== undefined)
          throw invalid(
            `transaction ${index} breaks governance rule ${refusal.rule} (governance.md section 6): ${refusal.message}`,
          );
      }
    let execution: BlockExecution;
    try {
      execution = await this.#options.executor.executeBlock({
        base,
        env: {
          height: header.height,
          timestampMs: header.timestampMs,
          proposer: header.proposer,
          gasLimit: header.gasLimit,
        },
        transactions,
        mode: "validate",
      });
    } catch (error) {
      if (error instanceof Error && "code" in error && error.code === "invalid-block")
        throw invalid(error.message);
      throw error;
    }
    if (execution.gasUsed !== header.gasUsed)
      throw invalid(`gas used is ${execution.gasUsed}, header says ${header.gasUsed}`);
    if (!equalBytes(header.receiptsRoot, receiptsRoot(execution.receipts, this.suite))) {
      throw invalid("receipts root does not match the execution");
    }
    if (!equalBytes(header.logsBloom, logsBloom(execution.receipts.flatMap((r) => r.logs)))) {
      throw invalid("logs bloom does not match the execution");
    }
    const state = await this.#options.state.commit(execution.diff);
    if (!equalBytes(header.stateRoot, state.root)) throw invalid("state root does not match the execution");
    // Rule 8: the registry this block leaves is the set of height h + 2, which every node must be able to use.
    const problem = this.#registryProblem(base, execution.diff);
    if (problem !== undefined)
      throw invalid(
        `it leaves the validator registry malformed (the set of height ${header.height + 2}): ${problem}`,
      );
    return this.#executed(block, execution, state);
  }

  /**
   * Rule 1b: block 1 has no parent to certify, so it must carry no certificate; from height 2 a BFT chain's block
   * must carry the certificate that committed its parent, so every block proves the finality of the one before.
   */
  #checkLastCommit(header: Header, invalid: (why: string) => ChainError): void {
    const verify = this.#options.verifyLastCommit;
    if (header.height === 1) {
      if (header.lastCommit !== null) throw invalid("lastCommit must be null at height 1");
      return;
    }
    if (verify === undefined) return;
    if (header.lastCommit === null) throw invalid("lastCommit is missing; it must certify the parent");
    try {
      verify(header, { hash: this.#head.hash, height: this.#head.block.header.height });
    } catch (error) {
      throw invalid(
        `lastCommit does not certify the parent: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /**
   * Recovers and attaches a transaction's sender, or throws what `onInvalid` returns. Each node checks a
   * transaction's signature once: the senders of transactions it verified (at the RPC, from gossip, in a block)
   * are remembered by transaction hash, so validating a block of transactions already in the pool costs no
   * signature work. A hash names the exact bytes, signature included, so the cached sender is the one the
   * signature gives. This matters most on `sm` chains, where an SM2 verification costs about 30 ECDSA recoveries.
   */
  verifySender(tx: SignedTx, onInvalid: () => Error): VerifiedTx {
    const key = bytesToHex(tx.hash);
    const sender = this.#verifiedSenders.get(key) ?? recoverTxSender(tx, this.suite);
    if (sender === null) throw onInvalid();
    this.#verifiedSenders.set(key, sender);
    return { ...tx, sender };
  }

  /**
   * Makes an executed block the head: one atomic, durable batch with the block, its receipts, senders, the
   * transaction index, the state changes and the head pointer. A crash leaves the store at the old head or the
   * new one. `certificate` (from consensus) is stored in the same batch as the head's certificate, so the next
   * proposal can carry it as `lastCommit` even after a restart.
   */
  async commit(executed: ExecutedBlock, certificate: CommitCertificate | null = null): Promise<void> {
    assert(
      equalBytes(executed.block.header.parentHash, this.#head.hash),
      "commit of a block that is not on the head",
    );
    const stored: StoredBlock = {
      block: executed.block,
      hash: executed.hash,
      senders: executed.senders,
      size: executed.size,
    };
    assert(
      certificate === null ||
        (certificate.height === executed.block.header.height &&
          equalBytes(certificate.blockHash, executed.hash)),
      "commit with a certificate of another block",
    );
    const ops = [
      ...executed.state.ops,
      ...this.store.commitOps(stored, executed.receipts),
      ...this.store.headCertificateOps(certificate),
    ];
    await this.#options.kv.write(ops);
    this.#options.state.applyCommitted(executed.state);
    this.store.remember(stored, executed.receipts);
    this.#head = stored;
    this.#headCertificate = certificate;
    for (const listener of this.#listeners) listener(stored, executed.receipts);
  }

  #executed(block: Block, execution: BlockExecution, state: PreparedState): ExecutedBlock {
    const hash = hashHeader(block.header, this.suite);
    const size = block.transactions.reduce((sum, tx) => sum + tx.raw.length, 600);
    return {
      block,
      hash,
      senders: execution.transactions.map((tx) => tx.sender),
      receipts: execution.receipts,
      execution,
      state,
      size,
    };
  }

  async #init(): Promise<void> {
    const { genesis } = this.#options;
    let genesisValidators: ChainValidatorSet;
    try {
      genesisValidators = createChainValidatorSet(genesis.validators, this.suite);
    } catch (error) {
      throw new ChainError(
        "invalid-genesis",
        `the genesis validators are invalid: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const genesisBlock = this.#genesisBlockWithoutState(genesisValidators.hash);
    const meta = await this.store.readMeta();
    if (meta === undefined) {
      const governance = resolveGovernance(genesis);
      const alloc =
        governance === null
          ? genesisAllocWithRegistry(genesis.alloc, genesis.validators)
          : await genesisAllocWithSystemContracts(this.#options.executor, this.suite, {
              alloc: genesis.alloc,
              validators: genesis.validators,
              governance,
              timestampMs: genesis.timestampMs,
              gasLimit: genesis.gasLimit,
              ...(genesis.blockIntervalMs === undefined ? {} : { blockIntervalMs: genesis.blockIntervalMs }),
            });
      const state = await this.#options.state.commit(genesisStateDiff(alloc));
      const block: Block = { header: { ...genesisBlock.header, stateRoot: state.root }, transactions: [] };
      const hash = hashHeader(block.header, this.suite);
      const stored: StoredBlock = { block, hash, senders: [], size: 600 };
      const chainMeta: ChainMeta = {
        genesisHash: hash,
        genesisDigest: genesisDigest(genesis, this.suite),
        chainId: genesis.chainId,
        suite: this.suite.name,
      };
      await this.#options.kv.write([
        ...state.ops,
        ...this.store.commitOps(stored, []),
        ...this.store.metaOps(chainMeta),
      ]);
      this.#options.state.applyCommitted(state);
      this.store.remember(stored, []);
      this.#head = stored;
      // The registry just written must read back as the genesis set.
      assert(
        equalBytes(this.validatorsAt(1).hash, genesisValidators.hash),
        "the genesis registry reads back",
      );
      return;
    }
    if (meta.chainId !== genesis.chainId || meta.suite !== this.suite.name) {
      throw new ChainError(
        "genesis-mismatch",
        `the data directory holds chain ${meta.chainId} (${meta.suite}) but the genesis is for chain ${genesis.chainId} (${this.suite.name}); point the node at the right data directory or genesis`,
      );
    }
    const storedGenesis = await this.store.blockByHeight(0);
    if (!storedGenesis || !equalBytes(storedGenesis.hash, meta.genesisHash)) {
      throw new ChainError(
        "corrupt",
        "the stored genesis block is missing or does not match the chain metadata",
      );
    }
    if (!equalBytes(meta.genesisDigest, genesisDigest(genesis, this.suite))) {
      throw new ChainError(
        "genesis-mismatch",
        `the data directory was initialised with a different genesis (genesis block ${bytesToHex(meta.genesisHash)}); point the node at the right genesis or data directory`,
      );
    }
    const head = await this.store.readHead();
    assert(head !== undefined, "a store with chain metadata has a head");
    const stored = await this.store.blockByHash(head.hash);
    if (!stored) throw new ChainError("corrupt", `the head block ${bytesToHex(head.hash)} is missing`);
    assert(
      equalBytes(stored.block.header.stateRoot, this.#options.state.root),
      "the state root on disk is not the head's state root",
    );
    // The two blocks before the head too: their states hold the validator sets of the head and the next height.
    for (let height = Math.max(0, head.height - 2); height < head.height; height++) {
      const before = await this.store.blockByHeight(height);
      if (!before) throw new ChainError("corrupt", `block ${height} is missing`);
      this.store.remember(before, (await this.store.receiptsByHeight(height)) ?? []);
    }
    this.store.remember(stored, (await this.store.receiptsByHeight(stored.block.header.height)) ?? []);
    this.#head = stored;
    const certificate = await this.store.readHeadCertificate();
    // The record is written in the head's own batch, so one for another block means the store is damaged.
    if (
      certificate !== null &&
      (certificate.height !== head.height || !equalBytes(certificate.blockHash, head.hash))
    )
      throw new ChainError(
        "corrupt",
        `the stored head certificate is for block ${certificate.height}, not the head`,
      );
    this.#headCertificate = certificate;
    // Fails now, with the reason, on a store whose state holds no valid registry.
    this.validatorsAt(head.height + 1);
    this.validatorsAt(head.height + 2);
  }

  #genesisBlockWithoutState(validatorsHash: Uint8Array): Block {
    const { genesis } = this.#options;
    const header: Header = {
      parentHash: ZERO_HASH,
      height: 0,
      timestampMs: genesis.timestampMs,
      proposer: ZERO_ADDRESS,
      transactionsRoot: transactionsRoot([], this.suite),
      receiptsRoot: receiptsRoot([], this.suite),
      stateRoot: ZERO_HASH,
      logsBloom: new Uint8Array(256),
      gasUsed: 0n,
      gasLimit: genesis.gasLimit,
      baseFeePerGas: 0n,
      validatorsHash,
      lastCommit: null,
      extraData: genesis.extraData,
    };
    return { header, transactions: [] };
  }
}

/**
 * A digest of every genesis input: chain id, time, gas limit, validators, extra data, each allocation (in
 * address order) and the governance the system contracts are created with (the default one when left out, and
 * the block interval `ChainParams` starts with). Two genesis files give the same chain exactly when their
 * digests are equal.
 */
export function genesisDigest(genesis: ChainGenesis, suite: CryptoSuite): Uint8Array {
  const governance = resolveGovernance(genesis);
  const alloc = [...genesis.alloc.entries()]
    .map(([address, account]) => [address.toLowerCase(), account] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([address, account]) => [
      hexToBytes(address),
      bigintToBytes(account.balance),
      bigintToBytes(account.nonce ?? 0n),
      account.code ?? new Uint8Array(0),
      [...(account.storage ?? new Map()).entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([slot, value]) => [hexToBytes(slot), value]),
    ]);
  return suite.hash(
    RLP.encode([
      bigintToBytes(genesis.chainId),
      bigintToBytes(BigInt(genesis.timestampMs)),
      bigintToBytes(genesis.gasLimit),
      validatorSetHash(genesis.validators, suite),
      genesis.extraData,
      alloc,
      governance === null
        ? []
        : [
            governanceGenesisFields(governance),
            bigintToBytes(BigInt(genesis.blockIntervalMs ?? DEFAULT_BLOCK_INTERVAL_MS)),
          ],
    ]),
  );
}

/** How far ahead of the local clock a block's timestamp may be. */
const MAX_CLOCK_DRIFT_MS = 15_000;

/** The message of the `ChainError` `decode` throws, or `undefined` when it returns. */
function registryError(decode: () => unknown): string | undefined {
  try {
    decode();
    return undefined;
  } catch (error) {
    if (error instanceof ChainError) return error.message;
    throw error;
  }
}
