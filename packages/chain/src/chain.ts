import type { CryptoSuite } from "@charter/crypto";
import {
  type BlockExecution,
  type Executor,
  type GenesisAccount,
  genesisStateDiff,
} from "@charter/execution";
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
import { assert, bigintToBytes, bytesToHex, equalBytes, hexToBytes } from "@charter/utils";
import { RLP } from "@ethereumjs/rlp";
import { type ChainMeta, ChainStore, type StoredBlock } from "./chainStore.js";
import { ChainError } from "./errors.js";
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
  readonly validatorsHash: Uint8Array;
  readonly extraData: Uint8Array;
}

export interface ChainOptions {
  readonly kv: KvStore;
  readonly suite: CryptoSuite;
  readonly state: WorldState;
  readonly executor: Executor;
  readonly genesis: ChainGenesis;
  /**
   * Rule 1b for chains run by the BFT engine: throws when `header.lastCommit` does not certify `parent` (the head)
   * under the validator set of the parent's height. Injected so the chain stays free of consensus internals; the
   * node passes `createLastCommitVerifier` from the consensus package. Left out on a single-validator chain,
   * whose blocks carry no certificates.
   */
  readonly verifyLastCommit?: (
    header: Header,
    parent: { readonly hash: Uint8Array; readonly height: number },
  ) => void;
}

export type BlockListener = (stored: StoredBlock, receipts: readonly Receipt[]) => void;

const ZERO_ADDRESS = new Uint8Array(20);
const ZERO_HASH = new Uint8Array(32);

/**
 * The replicated application: it builds blocks from transactions, checks blocks proposed by others by executing
 * them, and commits blocks (block, receipts, indexes, state, head) in one atomic batch. It knows nothing of
 * consensus: a producer, and later the BFT engine, decides what to propose and when a block is final.
 */
export class Chain {
  readonly store: ChainStore;
  readonly #options: ChainOptions;
  #head!: StoredBlock;
  #headCertificate: CommitCertificate | null = null;
  readonly #listeners = new Set<BlockListener>();

  private constructor(options: ChainOptions) {
    this.#options = options;
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

  get gasLimit(): bigint {
    return this.#options.genesis.gasLimit;
  }

  get worldState(): WorldState {
    return this.#options.state;
  }

  onBlock(listener: BlockListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Builds the next block on the head from candidate transactions (already verified, in the order to try them).
   * Transactions that are not valid at their position are left out and reported in `execution.rejected`.
   */
  async propose(input: {
    readonly timestampMs: number;
    readonly proposer: Uint8Array;
    readonly transactions: Iterable<VerifiedTx>;
    readonly lastCommit: CommitCertificate | null;
    readonly validatorsHash: Uint8Array;
  }): Promise<ExecutedBlock> {
    const parent = this.#head.block.header;
    const height = parent.height + 1;
    const timestampMs = Math.max(input.timestampMs, parent.timestampMs);
    const execution = await this.#options.executor.executeBlock({
      base: this.#options.state.latest(),
      env: { height, timestampMs, proposer: input.proposer, gasLimit: this.gasLimit },
      transactions: input.transactions,
      mode: "build",
    });
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
      gasLimit: this.gasLimit,
      baseFeePerGas: 0n,
      validatorsHash: input.validatorsHash,
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
    if (header.timestampMs < parent.timestampMs) throw invalid("timestamp is before the parent's");
    if (options.nowMs !== undefined && header.timestampMs > options.nowMs + MAX_CLOCK_DRIFT_MS) {
      throw invalid("timestamp is too far in the future");
    }
    if (header.gasLimit !== this.gasLimit) throw invalid(`gas limit must be ${this.gasLimit}`);
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
    let execution: BlockExecution;
    try {
      execution = await this.#options.executor.executeBlock({
        base: this.#options.state.latest(),
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

  /** Recovers and attaches a transaction's sender, or throws what `onInvalid` returns. */
  verifySender(tx: SignedTx, onInvalid: () => Error): VerifiedTx {
    const sender = recoverTxSender(tx, this.suite);
    if (sender === null) throw onInvalid();
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
    const genesisBlock = this.#genesisBlockWithoutState();
    const meta = await this.store.readMeta();
    if (meta === undefined) {
      const state = await this.#options.state.commit(genesisStateDiff(genesis.alloc));
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
  }

  #genesisBlockWithoutState(): Block {
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
      validatorsHash: genesis.validatorsHash,
      lastCommit: null,
      extraData: genesis.extraData,
    };
    return { header, transactions: [] };
  }
}

/**
 * A digest of every genesis input: chain id, time, gas limit, validators, extra data and each allocation (in
 * address order). Two genesis files give the same chain exactly when their digests are equal.
 */
export function genesisDigest(genesis: ChainGenesis, suite: CryptoSuite): Uint8Array {
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
      genesis.validatorsHash,
      genesis.extraData,
      alloc,
    ]),
  );
}

/** How far ahead of the local clock a block's timestamp may be. */
const MAX_CLOCK_DRIFT_MS = 15_000;
