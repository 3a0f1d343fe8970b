import type { Receipt } from "@charter/types";
import type { IndexedBlock, RPCBackend } from "./backend.js";
import { formatHeader, type RPCBlockHeader } from "./format.js";
import type { RPCLogger } from "./logger.js";

/** A committed block as handed to filters and subscriptions; the header JSON is built once for all of them. */
export class BlockEvent {
  readonly indexed: IndexedBlock;
  readonly receipts: readonly Receipt[];
  #header: RPCBlockHeader | undefined;

  constructor(indexed: IndexedBlock, receipts: readonly Receipt[]) {
    this.indexed = indexed;
    this.receipts = receipts;
  }

  get header(): RPCBlockHeader {
    this.#header ??= formatHeader(this.indexed);
    return this.#header;
  }
}

export interface ChainEventListener {
  onBlock(event: BlockEvent): void;
  onPendingTx(hash: Uint8Array): void;
}

/**
 * Fans the backend's block and pool events out to every WebSocket connection's subscriptions and to the
 * pending-transaction filters, through one backend listener per server. A listener that throws is logged and
 * does not stop delivery to the others.
 */
export class ChainEvents {
  readonly #backend: RPCBackend;
  readonly #logger: RPCLogger;
  readonly #listeners = new Set<ChainEventListener>();
  #detach: (() => void)[] = [];

  constructor(backend: RPCBackend, logger: RPCLogger) {
    this.#backend = backend;
    this.#logger = logger;
  }

  start(): void {
    if (this.#detach.length > 0) return;
    this.#detach = [
      this.#backend.onBlock((indexed, receipts) =>
        this.#emit((l, e) => l.onBlock(e), new BlockEvent(indexed, receipts)),
      ),
      this.#backend.onPendingTx((hash) => this.#emit((l, h) => l.onPendingTx(h), hash)),
    ];
  }

  stop(): void {
    for (const detach of this.#detach) detach();
    this.#detach = [];
    this.#listeners.clear();
  }

  add(listener: ChainEventListener): void {
    this.#listeners.add(listener);
  }

  remove(listener: ChainEventListener): void {
    this.#listeners.delete(listener);
  }

  #emit<E>(deliver: (listener: ChainEventListener, event: E) => void, event: E): void {
    for (const listener of this.#listeners) {
      try {
        deliver(listener, event);
      } catch (error) {
        this.#logger.error({ err: error }, "RPC event listener failed");
      }
    }
  }
}
