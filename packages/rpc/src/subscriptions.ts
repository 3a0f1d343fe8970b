import type { RPCBackend } from "./backend.js";
import type { BlockEvent, ChainEventListener } from "./chainEvents.js";
import { RPCError, RPCErrorCode } from "./errors.js";
import { formatTransaction, hex } from "./format.js";
import type { IdGenerator } from "./ids.js";
import type { RPCLimits } from "./limits.js";
import { checkLogCriteriaLimits, type LogCriteria, LogMatcher, matchBlockLogs } from "./logFilter.js";

/**
 * The `eth_subscribe` subscriptions of one WebSocket connection. They are driven by committed blocks and pool
 * admissions, delivered as `eth_subscription` notifications in commit order, and die with the connection (clients
 * re-subscribe after reconnecting, as with every Ethereum node).
 */

export const subscriptionKinds = ["newHeads", "logs", "newPendingTransactions"] as const;
export type SubscriptionKind = (typeof subscriptionKinds)[number];

export type SubscriptionRequest =
  | { readonly kind: "newHeads" }
  | { readonly kind: "logs"; readonly criteria: LogCriteria }
  /** `full` asks for transaction objects instead of hashes (geth's optional boolean). */
  | { readonly kind: "newPendingTransactions"; readonly full: boolean };

type Subscription =
  | { readonly kind: "newHeads" }
  | { readonly kind: "logs"; readonly matcher: LogMatcher }
  | { readonly kind: "newPendingTransactions"; readonly full: boolean };

export interface SubscriptionNotification {
  readonly jsonrpc: "2.0";
  readonly method: "eth_subscription";
  readonly params: { readonly subscription: string; readonly result: unknown };
}

export interface SubscriptionSetOptions {
  readonly backend: RPCBackend;
  readonly limits: RPCLimits;
  readonly newId: IdGenerator;
  /** Sends one notification to the connection's client. */
  readonly send: (notification: SubscriptionNotification) => void;
}

export class SubscriptionSet implements ChainEventListener {
  readonly #backend: RPCBackend;
  readonly #limits: RPCLimits;
  readonly #newId: IdGenerator;
  readonly #send: (notification: SubscriptionNotification) => void;
  readonly #subscriptions = new Map<string, Subscription>();

  constructor(options: SubscriptionSetOptions) {
    this.#backend = options.backend;
    this.#limits = options.limits;
    this.#newId = options.newId;
    this.#send = options.send;
  }

  get size(): number {
    return this.#subscriptions.size;
  }

  subscribe(request: SubscriptionRequest): string {
    if (this.#subscriptions.size >= this.#limits.wsSubscriptionsMax) {
      throw new RPCError(
        RPCErrorCode.limitExceeded,
        `too many subscriptions on this connection (at most ${this.#limits.wsSubscriptionsMax}); unsubscribe unused ones with eth_unsubscribe`,
      );
    }
    let subscription: Subscription;
    if (request.kind === "logs") {
      checkLogCriteriaLimits(request.criteria, this.#limits);
      subscription = { kind: "logs", matcher: new LogMatcher(request.criteria) };
    } else {
      subscription = request;
    }
    const id = this.#newId().toLowerCase();
    this.#subscriptions.set(id, subscription);
    return id;
  }

  unsubscribe(id: string): boolean {
    return this.#subscriptions.delete(id.toLowerCase());
  }

  clear(): void {
    this.#subscriptions.clear();
  }

  onBlock(event: BlockEvent): void {
    for (const [id, subscription] of this.#subscriptions) {
      if (subscription.kind === "newHeads") {
        this.#notify(id, event.header);
      } else if (subscription.kind === "logs") {
        if (!subscription.matcher.mayMatchBloom(event.indexed.block.header.logsBloom)) continue;
        for (const log of matchBlockLogs(event.indexed, event.receipts, subscription.matcher))
          this.#notify(id, log);
      }
    }
  }

  onPendingTx(hash: Uint8Array): void {
    for (const [id, subscription] of this.#subscriptions) {
      if (subscription.kind !== "newPendingTransactions") continue;
      if (!subscription.full) {
        this.#notify(id, hex(hash));
        continue;
      }
      const tx = this.#backend.pendingTx(hash);
      // A transaction may already have left the pool (committed or evicted) by the time we look it up.
      if (tx !== undefined) this.#notify(id, formatTransaction(tx, tx.sender));
    }
  }

  #notify(subscription: string, result: unknown): void {
    // The connection may close while a notification loop is running; stop as soon as it cleared the set.
    if (!this.#subscriptions.has(subscription)) return;
    this.#send({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription, result } });
  }
}
