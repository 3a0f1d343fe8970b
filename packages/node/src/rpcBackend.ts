import type { Chain, StoredBlock } from "@charter/chain";
import type { Executor, StateReader } from "@charter/execution";
import { intrinsicGas } from "@charter/execution";
import type { GovernanceLog, GovernanceLogFilter } from "@charter/governance";
import { isMempoolError, type Mempool } from "@charter/mempool";
import {
  type AccountInfo,
  type AccountProof,
  type CallRequest,
  type CallResult,
  type DevSigner,
  type EstimateGasResult,
  type IndexedBlock,
  type RPCBackend,
  RPCError,
  RPCErrorCode,
  type TxLocation,
} from "@charter/rpc";
import { bloomMatches, decodeTx, type Log, type Receipt, type VerifiedTx } from "@charter/types";
import { equalBytes, hexToBytes, isCharterError } from "@charter/utils";
import type { SyncProgress } from "./blockSync.js";

const EMPTY_CODE_HASH = hexToBytes("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
const EMPTY_ROOT = hexToBytes("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");

export interface NodeRPCBackendModules {
  readonly chain: Chain;
  readonly executor: Executor;
  readonly mempool: Mempool;
  /** Merkle proof of an account and slots against a committed state root. */
  readonly getProof: (
    stateRoot: Uint8Array,
    address: Uint8Array,
    slots: readonly Uint8Array[],
  ) => AccountProof;
  /** Called after a transaction is admitted, e.g. to let the producer cut a block early or gossip it. */
  readonly onAdmitted: (tx: VerifiedTx) => void;
  /** Connected peers, for `net_peerCount`. */
  readonly peerCount?: () => number;
  /** Block sync progress while the node is catching up, for `eth_syncing`. */
  readonly syncProgress?: () => SyncProgress | undefined;
  readonly devSigner?: DevSigner;
}

export interface NodeRPCBackendOptions {
  readonly clientVersion: string;
}

/** The node's answers to JSON-RPC: reads from the chain store and state, calls through the executor, writes into the pool. */
export class NodeRPCBackend implements RPCBackend {
  readonly chainId: bigint;
  readonly clientVersion: string;
  readonly devSigner?: DevSigner;
  readonly #m: NodeRPCBackendModules;
  readonly #pendingListeners = new Set<(hash: Uint8Array) => void>();

  constructor(options: NodeRPCBackendOptions, modules: NodeRPCBackendModules) {
    this.#m = modules;
    this.chainId = modules.chain.chainId;
    this.clientVersion = options.clientVersion;
    if (modules.devSigner) this.devSigner = modules.devSigner;
  }

  headHeight(): number {
    return this.#m.chain.head.block.header.height;
  }

  async blockByHeight(height: number): Promise<IndexedBlock | undefined> {
    return this.#m.chain.store.blockByHeight(height);
  }

  async blockByHash(hash: Uint8Array): Promise<IndexedBlock | undefined> {
    return this.#m.chain.store.blockByHash(hash);
  }

  async receiptsByHeight(height: number): Promise<readonly Receipt[] | undefined> {
    return this.#m.chain.store.receiptsByHeight(height);
  }

  /**
   * The logs of `filter.addresses` in blocks `fromHeight..toHeight` (clamped to the head), in chain order, each
   * with its block-wide index and its transaction's hash and sender: what the governance reader reads proposals
   * and the audit trail from (`charter_*` methods). A block whose header bloom rules the filter out is skipped
   * without reading its receipts. More than `filter.logsMax` logs throws the -32005 answer `eth_getLogs` gives.
   */
  async logsWithSenders(filter: GovernanceLogFilter): Promise<GovernanceLog[]> {
    const { store } = this.#m.chain;
    const topics = filter.topics ?? [];
    const matches = (log: Log): boolean =>
      (filter.addresses.length === 0 || filter.addresses.some((a) => equalBytes(a, log.address))) &&
      topics.every((wanted, i) => {
        const topic = log.topics[i];
        return wanted === null || (topic !== undefined && wanted.some((t) => equalBytes(t, topic)));
      });
    const out: GovernanceLog[] = [];
    const to = Math.min(filter.toHeight, this.headHeight());
    for (let height = Math.max(0, filter.fromHeight); height <= to; height++) {
      const stored = await store.blockByHeight(height);
      if (!stored || !bloomMatches(stored.block.header.logsBloom, { address: filter.addresses, topics }))
        continue;
      const receipts = (await store.receiptsByHeight(height)) ?? [];
      let logIndex = 0;
      for (const [index, receipt] of receipts.entries()) {
        const tx = stored.block.transactions[index];
        const sender = stored.senders[index];
        for (const log of receipt.logs) {
          if (tx !== undefined && sender !== undefined && matches(log)) {
            if (filter.logsMax !== undefined && out.length >= filter.logsMax) {
              throw new RPCError(
                RPCErrorCode.limitExceeded,
                `query returned more than ${filter.logsMax} results`,
              );
            }
            out.push({
              address: log.address,
              topics: log.topics,
              data: log.data,
              blockNumber: height,
              transactionHash: tx.hash,
              logIndex,
              sender,
            });
          }
          logIndex++;
        }
      }
    }
    return out;
  }

  async txLocation(hash: Uint8Array): Promise<TxLocation | undefined> {
    const location = await this.#m.chain.store.txLocation(hash);
    if (!location) return undefined;
    const blockHash = await this.#m.chain.store.hashAt(location.height);
    if (!blockHash) return undefined;
    return { ...location, blockHash };
  }

  pendingTx(hash: Uint8Array): VerifiedTx | undefined {
    return this.#m.mempool.get(hash);
  }

  pendingTxs(limit: number): readonly VerifiedTx[] {
    return this.#m.mempool.pendingTxs(limit);
  }

  async getAccount(address: Uint8Array, height: number): Promise<AccountInfo> {
    const account = (await this.#reader(height)).getAccount(address);
    return {
      nonce: account?.nonce ?? 0n,
      balance: account?.balance ?? 0n,
      codeHash: account?.codeHash ?? EMPTY_CODE_HASH,
      storageRoot: account?.storageRoot ?? EMPTY_ROOT,
    };
  }

  async getCode(address: Uint8Array, height: number): Promise<Uint8Array> {
    const reader = await this.#reader(height);
    const account = reader.getAccount(address);
    return account ? reader.getCode(account.codeHash) : new Uint8Array(0);
  }

  async getStorageAt(address: Uint8Array, slot: Uint8Array, height: number): Promise<Uint8Array> {
    return (await this.#reader(height)).getStorage(address, slot);
  }

  async getProof(address: Uint8Array, slots: readonly Uint8Array[], height: number): Promise<AccountProof> {
    const header = await this.#header(height);
    return this.#m.getProof(header.block.header.stateRoot, address, slots);
  }

  async pendingNonce(address: Uint8Array): Promise<bigint> {
    const committed = this.#m.chain.worldState.latest().getAccount(address)?.nonce ?? 0n;
    return this.#m.mempool.pendingNonce(address, committed);
  }

  async call(request: CallRequest, height: number): Promise<CallResult> {
    const { reader, env } = await this.#context(height);
    return this.#m.executor.call({ base: reader, env, request });
  }

  async estimateGas(request: CallRequest, height: number): Promise<EstimateGasResult> {
    const { reader, env } = await this.#context(height);
    return this.#m.executor.estimateGas({ base: reader, env, request });
  }

  async sendRawTransaction(raw: Uint8Array): Promise<Uint8Array> {
    return this.admit(raw).hash;
  }

  /**
   * Decodes, checks and admits a raw transaction into the pool, whether it came from a client or a peer, and
   * returns it; refusals throw `RPCError` with the code and verbatim message clients expect (`-32003` for a
   * transaction the governance rules forbid, e.g. `sender 0x… is frozen`).
   */
  admit(raw: Uint8Array): VerifiedTx {
    const { chain, mempool } = this.#m;
    let tx: VerifiedTx;
    try {
      const decoded = decodeTx(raw, { suite: chain.suite, chainId: chain.chainId });
      // Gossip delivers most transactions more than once; refuse a known one before paying for recovery.
      if (mempool.has(decoded.hash)) throw new RPCError(RPCErrorCode.invalidInput, "already known");
      tx = chain.verifySender(decoded, () => new RPCError(RPCErrorCode.invalidInput, "invalid sender"));
    } catch (error) {
      if (error instanceof RPCError) throw error;
      if (isCharterError(error)) throw new RPCError(RPCErrorCode.invalidInput, error.message);
      throw error;
    }
    const { intrinsic, floor } = intrinsicGas(tx);
    const needed = intrinsic > floor ? intrinsic : floor;
    if (tx.gasLimit < needed) {
      throw new RPCError(
        RPCErrorCode.invalidInput,
        `intrinsic gas too low: have ${tx.gasLimit}, want ${needed}`,
      );
    }
    // The governance rules (governance.md section 6) in the head's state, which the next block executes on.
    const refusal = chain.permissionRefusal(tx);
    if (refusal !== undefined) throw new RPCError(RPCErrorCode.transactionRejected, refusal.message);
    const account = chain.worldState.latest().getAccount(tx.sender);
    try {
      mempool.add(tx, { nonce: account?.nonce ?? 0n, balance: account?.balance ?? 0n });
    } catch (error) {
      if (isMempoolError(error)) {
        const code =
          error.code === "pool-full" || error.code === "sender-full"
            ? RPCErrorCode.transactionRejected
            : RPCErrorCode.invalidInput;
        throw new RPCError(code, error.message);
      }
      throw error;
    }
    for (const listener of this.#pendingListeners) listener(tx.hash);
    this.#m.onAdmitted(tx);
    return tx;
  }

  onBlock(listener: (block: IndexedBlock, receipts: readonly Receipt[]) => void): () => void {
    return this.#m.chain.onBlock((stored: StoredBlock, receipts) => listener(stored, receipts));
  }

  onPendingTx(listener: (hash: Uint8Array) => void): () => void {
    this.#pendingListeners.add(listener);
    return () => this.#pendingListeners.delete(listener);
  }

  peerCount(): number {
    return this.#m.peerCount?.() ?? 0;
  }

  syncing(): false | SyncProgress {
    return this.#m.syncProgress?.() ?? false;
  }

  async #header(height: number): Promise<StoredBlock> {
    const stored = await this.#m.chain.store.blockByHeight(height);
    if (!stored) throw new RPCError(RPCErrorCode.invalidInput, "header not found");
    return stored;
  }

  async #reader(height: number): Promise<StateReader> {
    const chain = this.#m.chain;
    if (height === chain.head.block.header.height) return chain.worldState.latest();
    const stored = await this.#header(height);
    return chain.worldState.at(stored.block.header.stateRoot);
  }

  async #context(height: number) {
    const stored = await this.#header(height);
    const header = stored.block.header;
    const reader =
      height === this.#m.chain.head.block.header.height
        ? this.#m.chain.worldState.latest()
        : this.#m.chain.worldState.at(header.stateRoot);
    return {
      reader,
      env: {
        height: header.height,
        timestampMs: header.timestampMs,
        proposer: header.proposer,
        gasLimit: header.gasLimit,
      },
    };
  }
}
