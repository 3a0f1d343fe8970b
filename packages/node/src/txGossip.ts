import type { Clock } from "@charter/consensus";
import { decodeRlp } from "@charter/types";
import { RLP } from "@ethereumjs/rlp";

/** Message types a node sends over its p2p links (one byte in each frame; see docs/spec/p2p.md). */
export const PeerMessageType = {
  consensus: 1,
  transactions: 2,
  /** Block sync (docs/spec/sync.md): a node's head height. */
  syncStatus: 3,
  /** Block sync: a request for a range of blocks. */
  syncRequest: 4,
  /** Block sync: blocks with their commit certificates. */
  syncBlocks: 5,
} as const;

/** The slice of the p2p network that gossip uses. */
export interface GossipNetwork {
  broadcast(type: number, payload: Uint8Array): number;
  onMessage(handler: (peerAddress: string, type: number, payload: Uint8Array) => void): () => void;
}

export interface TxGossipOptions {
  /** How long admitted transactions wait to be sent together. */
  readonly flushIntervalMs: number;
  /** Most transactions in one message. */
  readonly txsPerMessageMax: number;
  /** Most bytes of transactions in one message (stay well below the p2p frame cap). */
  readonly bytesPerMessageMax: number;
  /** Most transactions waiting to be sent; more are not gossiped (their senders' own node still has them). */
  readonly pendingMax: number;
}

export const TX_GOSSIP_DEFAULTS: TxGossipOptions = {
  flushIntervalMs: 20,
  txsPerMessageMax: 1000,
  bytesPerMessageMax: 1024 * 1024,
  pendingMax: 20_000,
};

/** Counters, for metrics and tests. */
export interface TxGossipStats {
  /** Transactions broadcast (each counted once, however many peers got it). */
  sent: number;
  received: number;
  /** Received transactions that were new to this node. */
  admitted: number;
  malformed: number;
  /** Transactions not gossiped because too many were waiting. */
  dropped: number;
}

export interface TxGossipModules {
  readonly network: GossipNetwork;
  readonly clock: Clock;
  /**
   * Admits a raw transaction received from a peer, exactly as `eth_sendRawTransaction` would; returns whether it
   * was new to this node. Rejections (already known, nonce too low...) are normal between gossiping peers.
   */
  readonly admit: (raw: Uint8Array) => boolean;
}

/**
 * Spreads transactions between nodes so that whoever proposes the next block has them. Transactions admitted
 * locally (from RPC or from a peer) are batched for `flushIntervalMs` and broadcast as one RLP list; a node
 * forwards only what was new to it, so a transaction crosses each link at most about once per direction.
 */
export class TxGossip {
  readonly #options: TxGossipOptions;
  readonly #modules: TxGossipModules;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #cancelFlush: (() => void) | undefined;
  #unsubscribe: (() => void) | undefined;
  #stats: TxGossipStats = { sent: 0, received: 0, admitted: 0, malformed: 0, dropped: 0 };

  constructor(options: Partial<TxGossipOptions>, modules: TxGossipModules) {
    this.#options = { ...TX_GOSSIP_DEFAULTS, ...options };
    this.#modules = modules;
  }

  start(): void {
    this.#unsubscribe = this.#modules.network.onMessage((_peer, type, payload) => {
      if (type === PeerMessageType.transactions) this.#receive(payload);
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#cancelFlush?.();
    this.#cancelFlush = undefined;
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  /** Queues a newly admitted transaction for the next broadcast. */
  announce(raw: Uint8Array): void {
    if (this.#pending.length >= this.#options.pendingMax) {
      this.#stats.dropped++;
      return;
    }
    this.#pending.push(raw);
    this.#pendingBytes += raw.length;
    if (
      this.#pending.length >= this.#options.txsPerMessageMax ||
      this.#pendingBytes >= this.#options.bytesPerMessageMax
    ) {
      this.#flush();
    } else if (this.#cancelFlush === undefined) {
      this.#cancelFlush = this.#modules.clock.setTimer(this.#options.flushIntervalMs, () => this.#flush());
    }
  }

  stats(): Readonly<TxGossipStats> {
    return { ...this.#stats };
  }

  #flush(): void {
    this.#cancelFlush?.();
    this.#cancelFlush = undefined;
    while (this.#pending.length > 0) {
      const batch: Uint8Array[] = [];
      let bytes = 0;
      while (
        this.#pending.length > 0 &&
        batch.length < this.#options.txsPerMessageMax &&
        (batch.length === 0 || bytes + this.#pending[0]!.length <= this.#options.bytesPerMessageMax)
      ) {
        const raw = this.#pending.shift()!;
        bytes += raw.length;
        batch.push(raw);
      }
      this.#modules.network.broadcast(PeerMessageType.transactions, RLP.encode(batch));
      this.#stats.sent += batch.length;
    }
    this.#pendingBytes = 0;
  }

  #receive(payload: Uint8Array): void {
    let items: unknown;
    try {
      items = decodeRlp(payload, { depthMax: 1, label: "transaction gossip" });
    } catch {
      this.#stats.malformed++;
      return;
    }
    if (!Array.isArray(items) || items.length > this.#options.txsPerMessageMax) {
      this.#stats.malformed++;
      return;
    }
    for (const raw of items) {
      if (!(raw instanceof Uint8Array)) {
        this.#stats.malformed++;
        continue;
      }
      this.#stats.received++;
      if (this.#modules.admit(raw)) {
        this.#stats.admitted++;
        this.announce(raw);
      }
    }
  }
}
