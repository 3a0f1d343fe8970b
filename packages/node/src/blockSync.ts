import type { Clock } from "@charter/consensus";
import {
  type Block,
  type CommitCertificate,
  decodeCommitCertificate,
  decodeRlp,
  encodeBlock,
  encodeCommitCertificate,
} from "@charter/types";
import { bytesToBigint } from "@charter/utils";
import { RLP } from "@ethereumjs/rlp";
import { PeerMessageType } from "./txGossip.js";

/**
 * Block sync: how a node that was down, or is new, catches up with its peers (docs/spec/sync.md). Every node
 * tells its peers its head height; a node that finds itself `lagToStart` or more blocks behind the highest peer
 * leaves consensus, fetches the missing blocks in ranges from peers that have them, checks each block's commit
 * certificate against the validator set of its height, executes and commits it, and rejoins consensus once it is
 * within `lagToStop` blocks. A node that is not a validator stays in sync mode: it follows the chain this way. A node
 * that joins or leaves the validator set while running tells sync so (`setConsensus`), and sync hands the chain to
 * the consensus engine, or takes it back, at the next safe point.
 */
export interface BlockSyncOptions {
  /** How often this node tells its peers its head height. */
  readonly statusIntervalMs: number;
  /**
   * A validator leaves consensus for sync when the network is this many blocks ahead; a node outside consensus
   * always starts at 1 (`FOLLOWER_LAG_TO_START`).
   */
  readonly lagToStart: number;
  /** A validator rejoins consensus once it is at most this many blocks behind. */
  readonly lagToStop: number;
  /** Most blocks asked for, or sent, in one response. */
  readonly blocksPerResponseMax: number;
  /** Most bytes of blocks and certificates in one response; one block is sent alone if it is larger. */
  readonly responseBytesMax: number;
  /** A request unanswered for this long is abandoned and the range is asked of another peer. */
  readonly requestTimeoutMs: number;
  /**
   * A peer that sent a bad, empty or no response is not asked, and its height not believed, for this long; the
   * time doubles with each further failure in a row (up to `peerBackoffMsMax`) and resets when it serves a block.
   */
  readonly peerBackoffMs: number;
  readonly peerBackoffMsMax: number;
  /**
   * How many peers must report a height before it is believed: the target is the `claimsToTrust`-th highest
   * report of peers not benched. A validator uses f+1, so no f byzantine peers can talk it out of consensus by
   * claiming heights nobody has; 1 believes the highest report. It applies while the node is a validator (it is
   * replaced by `SyncConsensus.claimsToTrust`); a node outside consensus believes the highest report.
   */
  readonly claimsToTrust: number;
  /** Requests served at once (reading blocks from storage); more are dropped and the peer asks again. */
  readonly servingMax: number;
}

export const BLOCK_SYNC_DEFAULTS: BlockSyncOptions = {
  statusIntervalMs: 1_000,
  lagToStart: 3,
  lagToStop: 1,
  blocksPerResponseMax: 32,
  responseBytesMax: 2 * 1024 * 1024,
  requestTimeoutMs: 5_000,
  peerBackoffMs: 10_000,
  peerBackoffMsMax: 300_000,
  claimsToTrust: 1,
  servingMax: 4,
};

/** A node outside consensus syncs as soon as any peer is a block ahead: sync is how it follows the chain. */
export const FOLLOWER_LAG_TO_START = 1;

/**
 * How block sync shares the chain with a validator's consensus engine: the engine runs while the node is not in
 * sync mode, and sync stops it before it moves the head.
 */
export interface SyncConsensus {
  /** The `claimsToTrust` of a validator: f + 1 of its validator set. */
  readonly claimsToTrust: number;
  /** Stops the consensus engine, waiting for the step in flight. */
  readonly enterSync: () => Promise<void>;
  /** Starts the consensus engine at the height after the head. */
  readonly leaveSync: () => void;
}

/** The slice of the p2p network block sync uses. */
export interface SyncNetwork {
  send(peerAddress: string, type: number, payload: Uint8Array): boolean;
  broadcast(type: number, payload: Uint8Array): number;
  onMessage(handler: (peerAddress: string, type: number, payload: Uint8Array) => void): () => void;
  onPeerUp(handler: (peerAddress: string) => void): () => void;
  onPeerDown(handler: (peerAddress: string) => void): () => void;
}

/** A committed block with the certificate that decided it, as one node serves it to another. */
export interface DecidedBlock {
  readonly block: Block;
  readonly certificate: CommitCertificate;
}

/** The subset of a pino logger block sync uses. */
export interface SyncLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface BlockSyncModules {
  readonly network: SyncNetwork;
  readonly clock: Clock;
  readonly logger: SyncLogger;
  readonly headHeight: () => number;
  /** Block `height` and a certificate for it, or undefined if this node does not have both. */
  readonly readDecided: (height: number) => Promise<DecidedBlock | undefined>;
  /** Decodes a block received from a peer; throws on malformed bytes. */
  readonly decodeBlock: (bytes: Uint8Array) => Block;
  /**
   * Verifies `certificate` for `block` under the validator set of its height, executes the block on the head and
   * commits it; throws if any check fails.
   */
  readonly importBlock: (block: Block, certificate: CommitCertificate) => Promise<void>;
  /**
   * Given with `leaveSync`, the node starts as a validator whose consensus engine already runs (as
   * `setConsensus({ claimsToTrust: options.claimsToTrust, enterSync, leaveSync })` would make it). Called before the
   * first block is imported: the node stops its consensus engine.
   */
  readonly enterSync?: () => Promise<void>;
  /** Called when sync has caught up: the node restarts its consensus engine. */
  readonly leaveSync?: () => void;
}

/** What `eth_syncing` reports while a node catches up. */
export interface SyncProgress {
  /** The head when this sync began. */
  readonly startingBlock: number;
  readonly currentBlock: number;
  /** The highest head a connected peer reported. */
  readonly highestBlock: number;
}

/** Counters, for metrics and tests. */
export interface BlockSyncStats {
  imported: number;
  served: number;
  requests: number;
  timeouts: number;
  badResponses: number;
  syncs: number;
}

interface InFlight {
  readonly peer: string;
  readonly from: number;
  readonly count: number;
  readonly cancelTimeout: () => void;
}

/** The status message carries at most this many bytes (an RLP list of one u64). */
const STATUS_BYTES_MAX = 16;
const REQUEST_BYTES_MAX = 32;

/**
 * Keeps a node's chain up with its peers when it falls behind by more than consensus catch-up covers.
 *
 * @example
 * const sync = new BlockSync({}, { network, clock, logger, headHeight, readDecided, decodeBlock, importBlock });
 * sync.start();
 */
export class BlockSync {
  readonly #options: BlockSyncOptions;
  readonly #modules: BlockSyncModules;
  /** Head height each connected peer last reported. */
  readonly #peerHeights = new Map<string, number>();
  /** Peers not to ask or believe until the given time, after a bad or missing response. */
  readonly #benchedUntil = new Map<string, number>();
  /** Failures in a row per peer, for the doubling bench time. */
  readonly #failures = new Map<string, number>();
  readonly #unsubscribe: (() => void)[] = [];
  #cancelStatusTimer: (() => void) | undefined;
  #cancelEvaluate: (() => void) | undefined;
  /** The node's part in consensus: `undefined` while it is not a validator (it follows the chain by sync). */
  #consensus: SyncConsensus | undefined;
  /** The consensus whose engine runs now (handed the chain), or `undefined` while no engine runs. */
  #engine: SyncConsensus | undefined;
  #running = false;
  #syncing = false;
  /** Head height when the node was last within `lagToStop` of its peers: where the current catch-up began. */
  #startingBlock = 0;
  /** Set while entering or leaving sync mode, or importing, so those steps never overlap. */
  #busy: Promise<void> | undefined;
  #inFlight: InFlight | undefined;
  #serving = 0;
  readonly #stats: BlockSyncStats = {
    imported: 0,
    served: 0,
    requests: 0,
    timeouts: 0,
    badResponses: 0,
    syncs: 0,
  };

  constructor(options: Partial<BlockSyncOptions>, modules: BlockSyncModules) {
    this.#options = { ...BLOCK_SYNC_DEFAULTS, ...options };
    this.#modules = modules;
    if (modules.leaveSync !== undefined) {
      this.#consensus = {
        claimsToTrust: this.#options.claimsToTrust,
        enterSync: modules.enterSync ?? (async () => {}),
        leaveSync: modules.leaveSync,
      };
      this.#engine = this.#consensus;
    }
  }

  get syncing(): boolean {
    return this.#syncing;
  }

  /** Whether a consensus engine has the chain (runs): the node is a validator and not in sync mode. */
  get consensusRunning(): boolean {
    return this.#engine !== undefined;
  }

  /**
   * Tells sync that the node joined the validator set (`consensus`) or left it (`undefined`); also to update a
   * validator's `claimsToTrust` when its set changes. A node that joined gets its engine started once it is within
   * `lagToStop` of its peers (at once if it is not syncing and less than `lagToStart` behind); a node that left
   * has its engine stopped and follows the chain by sync from then on. The change is applied on a later turn of
   * the event loop, so this may be called from inside the engine's commit callback, which must return before the
   * engine can stop.
   */
  setConsensus(consensus: SyncConsensus | undefined): void {
    this.#consensus = consensus;
    if (!this.#running || this.#cancelEvaluate !== undefined) return;
    this.#cancelEvaluate = this.#modules.clock.setTimer(0, () => {
      this.#cancelEvaluate = undefined;
      this.#evaluate();
    });
  }

  stats(): Readonly<BlockSyncStats> {
    return { ...this.#stats };
  }

  /**
   * Progress while the node is more than `lagToStop` blocks behind in sync mode; undefined otherwise (so a
   * follower one block behind reports no sync, as an Ethereum node at the tip does).
   */
  progress(): SyncProgress | undefined {
    const currentBlock = this.#modules.headHeight();
    const highestBlock = this.peersHeight();
    if (!this.#syncing || highestBlock - currentBlock <= this.#options.lagToStop) return undefined;
    return { startingBlock: this.#startingBlock, currentBlock, highestBlock };
  }

  /**
   * The height the network is believed to be at: the `claimsToTrust`-th highest head reported by a connected
   * peer that is not benched (the lowest report if fewer peers reported; 0 if none did).
   */
  peersHeight(): number {
    const now = this.#modules.clock.now();
    const heights: number[] = [];
    for (const [peer, height] of this.#peerHeights)
      if ((this.#benchedUntil.get(peer) ?? 0) <= now) heights.push(height);
    if (heights.length === 0) return 0;
    heights.sort((a, b) => b - a);
    const claimsToTrust = this.#consensus?.claimsToTrust ?? 1;
    return heights[Math.min(claimsToTrust, heights.length) - 1]!;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startingBlock = this.#modules.headHeight();
    const { network } = this.#modules;
    this.#unsubscribe.push(
      network.onMessage((peer, type, payload) => this.#receive(peer, type, payload)),
      network.onPeerUp((peer) => network.send(peer, PeerMessageType.syncStatus, this.#statusPayload())),
      network.onPeerDown((peer) => {
        this.#peerHeights.delete(peer);
        if (this.#inFlight?.peer === peer) this.#abandon("peer disconnected");
      }),
    );
    this.#tick();
  }

  /** Stops sending and asking; waits for an import in progress. Does not call `leaveSync`. */
  async stop(): Promise<void> {
    this.#running = false;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#cancelStatusTimer?.();
    this.#cancelStatusTimer = undefined;
    this.#cancelEvaluate?.();
    this.#cancelEvaluate = undefined;
    this.#inFlight?.cancelTimeout();
    this.#inFlight = undefined;
    while (this.#busy !== undefined) await this.#busy;
  }

  /** Tells peers the head height now (e.g. after a commit); the periodic status covers the rest. */
  announce(): void {
    if (this.#running) this.#modules.network.broadcast(PeerMessageType.syncStatus, this.#statusPayload());
  }

  #tick(): void {
    if (!this.#running) return;
    this.announce();
    this.#evaluate();
    this.#cancelStatusTimer = this.#modules.clock.setTimer(this.#options.statusIntervalMs, () =>
      this.#tick(),
    );
  }

  #statusPayload(): Uint8Array {
    return RLP.encode([this.#modules.headHeight()]);
  }

  #receive(peer: string, type: number, payload: Uint8Array): void {
    if (!this.#running) return;
    switch (type) {
      case PeerMessageType.syncStatus:
        this.#onStatus(peer, payload);
        return;
      case PeerMessageType.syncRequest:
        this.#onRequest(peer, payload);
        return;
      case PeerMessageType.syncBlocks:
        this.#onBlocks(peer, payload);
        return;
    }
  }

  #onStatus(peer: string, payload: Uint8Array): void {
    const fields = decodeUintList(payload, 1, STATUS_BYTES_MAX);
    if (fields === undefined) {
      this.#modules.logger.debug({ peer }, "malformed sync status");
      return;
    }
    this.#peerHeights.set(peer, fields[0]!);
    this.#evaluate();
  }

  /**
   * Starts or leaves sync mode, hands the chain to the consensus engine or takes it back, or asks for the next
   * range, as the node's part in consensus and the heights now say.
   */
  #evaluate(): void {
    if (!this.#running || this.#busy !== undefined) return;
    const consensus = this.#consensus;
    // A validator that left the set: its engine stops first, then the node follows the chain like any other.
    if (consensus === undefined && this.#engine !== undefined) {
      this.#run(() => this.#stopEngine());
      return;
    }
    const head = this.#modules.headHeight();
    const lag = this.peersHeight() - head;
    if (lag <= this.#options.lagToStop) this.#startingBlock = head;
    if (!this.#syncing) {
      const lagToStart = consensus === undefined ? FOLLOWER_LAG_TO_START : this.#options.lagToStart;
      if (lag >= lagToStart) this.#run(() => this.#enter(lag));
      // A node that joined the set while not syncing (close enough for consensus catch-up) starts its engine now.
      else if (consensus !== undefined && this.#engine === undefined) this.#run(async () => this.#leave());
      return;
    }
    if (consensus !== undefined && lag <= this.#options.lagToStop) {
      this.#run(async () => this.#leave());
      return;
    }
    if (lag > 0 && this.#inFlight === undefined) this.#request(head + 1);
  }

  /** Runs one step that must not overlap another, then looks at the heights again. */
  #run(step: () => Promise<void>): void {
    const busy = step()
      .catch((error: unknown) =>
        this.#modules.logger.warn(
          { reason: error instanceof Error ? error.message : String(error) },
          "block sync step failed",
        ),
      )
      .finally(() => {
        this.#busy = undefined;
        this.#evaluate();
      });
    this.#busy = busy;
  }

  async #enter(lag: number): Promise<void> {
    this.#modules.logger.info(
      { head: this.#modules.headHeight(), peersHeight: this.peersHeight(), lag },
      "behind the network; syncing blocks from peers",
    );
    await this.#stopEngine();
    this.#syncing = true;
    this.#stats.syncs++;
  }

  /** Hands the chain to the consensus engine: it starts at the height after the head. */
  #leave(): void {
    const consensus = this.#consensus;
    if (consensus === undefined) return;
    const wasSyncing = this.#syncing;
    this.#syncing = false;
    this.#inFlight?.cancelTimeout();
    this.#inFlight = undefined;
    this.#modules.logger.info(
      { head: this.#modules.headHeight(), peersHeight: this.peersHeight() },
      wasSyncing ? "caught up; rejoining consensus" : "starting consensus",
    );
    this.#engine = consensus;
    consensus.leaveSync();
  }

  /** Stops the engine that has the chain, if one does, waiting for its step in flight. */
  async #stopEngine(): Promise<void> {
    const engine = this.#engine;
    this.#engine = undefined;
    await engine?.enterSync();
  }

  /** Asks the best peer that has block `from` for the range starting there. */
  #request(from: number): void {
    const now = this.#modules.clock.now();
    let best: string | undefined;
    let bestHeight = from - 1;
    for (const [peer, height] of this.#peerHeights) {
      if (height <= bestHeight || (this.#benchedUntil.get(peer) ?? 0) > now) continue;
      best = peer;
      bestHeight = height;
    }
    if (best === undefined) return;
    const count = Math.min(this.#options.blocksPerResponseMax, bestHeight - from + 1);
    const peer = best;
    if (!this.#modules.network.send(peer, PeerMessageType.syncRequest, RLP.encode([from, count]))) return;
    this.#stats.requests++;
    const cancelTimeout = this.#modules.clock.setTimer(this.#options.requestTimeoutMs, () => {
      if (this.#inFlight?.peer !== peer || this.#inFlight.from !== from) return;
      this.#stats.timeouts++;
      // Silence is weak evidence: the fault may be this node's own link (a one-way loss drops its requests), and a
      // doubling bench on every peer would keep it out of the chain long after the link heals.
      this.#benchedUntil.set(peer, this.#modules.clock.now() + this.#options.requestTimeoutMs);
      this.#abandon("request timed out");
    });
    this.#inFlight = { peer, from, count, cancelTimeout };
  }

  #abandon(reason: string): void {
    const inFlight = this.#inFlight;
    if (inFlight === undefined) return;
    inFlight.cancelTimeout();
    this.#inFlight = undefined;
    this.#modules.logger.debug(
      { peer: inFlight.peer, from: inFlight.from, reason },
      "sync request abandoned",
    );
    this.#evaluate();
  }

  #bench(peer: string): void {
    const failures = (this.#failures.get(peer) ?? 0) + 1;
    this.#failures.set(peer, failures);
    const backoff = Math.min(
      this.#options.peerBackoffMsMax,
      this.#options.peerBackoffMs * 2 ** Math.min(failures - 1, 30),
    );
    this.#benchedUntil.set(peer, this.#modules.clock.now() + backoff);
  }

  #onRequest(peer: string, payload: Uint8Array): void {
    const fields = decodeUintList(payload, 2, REQUEST_BYTES_MAX);
    if (fields === undefined || fields[0]! < 1 || fields[1]! < 1) {
      this.#modules.logger.debug({ peer }, "malformed sync request");
      return;
    }
    if (this.#serving >= this.#options.servingMax) return;
    const from = fields[0]!;
    const count = Math.min(fields[1]!, this.#options.blocksPerResponseMax);
    this.#serving++;
    void this.#serve(peer, from, count)
      .catch((error: unknown) =>
        this.#modules.logger.warn(
          { peer, from, reason: error instanceof Error ? error.message : String(error) },
          "serving a sync request failed",
        ),
      )
      .finally(() => this.#serving--);
  }

  async #serve(peer: string, from: number, count: number): Promise<void> {
    const entries: Uint8Array[][] = [];
    let bytes = 0;
    const last = Math.min(from + count - 1, this.#modules.headHeight());
    for (let height = from; height <= last; height++) {
      const decided = await this.#modules.readDecided(height);
      if (decided === undefined) break;
      const entry = [encodeBlock(decided.block), encodeCommitCertificate(decided.certificate)];
      const size = entry[0]!.length + entry[1]!.length;
      if (entries.length > 0 && bytes + size > this.#options.responseBytesMax) break;
      entries.push(entry);
      bytes += size;
    }
    if (!this.#running) return;
    this.#modules.network.send(peer, PeerMessageType.syncBlocks, RLP.encode([from, entries]));
    this.#stats.served += entries.length;
  }

  #onBlocks(peer: string, payload: Uint8Array): void {
    const inFlight = this.#inFlight;
    // Only the answer to the request in flight is read; anything else is late or unsolicited.
    if (inFlight === undefined || inFlight.peer !== peer) return;
    let decided: DecidedBlock[];
    try {
      decided = this.#decodeBlocks(payload, inFlight);
    } catch (error) {
      this.#stats.badResponses++;
      this.#bench(peer);
      this.#modules.logger.warn(
        { peer, reason: error instanceof Error ? error.message : String(error) },
        "malformed sync response",
      );
      this.#abandon("malformed response");
      return;
    }
    inFlight.cancelTimeout();
    this.#inFlight = undefined;
    if (decided.length === 0) {
      // The peer no longer has (or never had) the range it claimed; ask someone else.
      this.#bench(peer);
      this.#evaluate();
      return;
    }
    this.#run(() => this.#import(peer, decided));
  }

  #decodeBlocks(payload: Uint8Array, inFlight: InFlight): DecidedBlock[] {
    const item = decodeRlp(payload, { depthMax: 3, label: "sync blocks" });
    if (!Array.isArray(item) || item.length !== 2 || !(item[0] instanceof Uint8Array))
      throw new Error("the response is not [from, entries]");
    const from = Number(bytesToBigint(item[0]));
    if (from !== inFlight.from) throw new Error(`the response starts at ${from}, not ${inFlight.from}`);
    const entries = item[1];
    if (!Array.isArray(entries) || entries.length > inFlight.count)
      throw new Error("the response holds more blocks than asked for");
    return entries.map((entry, index) => {
      if (
        !Array.isArray(entry) ||
        entry.length !== 2 ||
        !(entry[0] instanceof Uint8Array) ||
        !(entry[1] instanceof Uint8Array)
      )
        throw new Error(`entry ${index} is not [block, certificate]`);
      const block = this.#modules.decodeBlock(entry[0]);
      const certificate = decodeCommitCertificate(entry[1]);
      if (block.header.height !== from + index || certificate.height !== from + index)
        throw new Error(`entry ${index} is not block ${from + index}`);
      return { block, certificate };
    });
  }

  async #import(peer: string, decided: readonly DecidedBlock[]): Promise<void> {
    for (const { block, certificate } of decided) {
      if (!this.#running || !this.#syncing) return;
      const height = block.header.height;
      // Consensus may have committed it meanwhile (an observer never races; a validator has left consensus).
      if (height <= this.#modules.headHeight()) continue;
      try {
        await this.#modules.importBlock(block, certificate);
      } catch (error) {
        this.#stats.badResponses++;
        this.#bench(peer);
        this.#modules.logger.warn(
          { peer, height, reason: error instanceof Error ? error.message : String(error) },
          "a synced block failed verification; asking another peer",
        );
        return;
      }
      this.#stats.imported++;
      this.#failures.delete(peer);
    }
    this.announce();
  }
}

/** Decodes an RLP list of exactly `length` unsigned integers that fit a safe integer, or undefined. */
function decodeUintList(payload: Uint8Array, length: number, bytesMax: number): number[] | undefined {
  if (payload.length > bytesMax) return undefined;
  let item: unknown;
  try {
    item = decodeRlp(payload, { depthMax: 1, label: "sync message" });
  } catch {
    return undefined;
  }
  if (!Array.isArray(item) || item.length !== length) return undefined;
  const out: number[] = [];
  for (const field of item) {
    if (!(field instanceof Uint8Array) || field.length > 6 || (field.length > 0 && field[0] === 0))
      return undefined;
    out.push(Number(bytesToBigint(field)));
  }
  return out;
}
