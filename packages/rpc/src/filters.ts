import type { RPCBackend } from "./backend.js";
import type { Clock } from "./clock.js";
import { RPCError, RPCErrorCode } from "./errors.js";
import { type Hex, hex, type RPCLog } from "./format.js";
import type { IdGenerator } from "./ids.js";
import type { RPCLimits } from "./limits.js";
import {
  checkLogCriteriaLimits,
  getLogs,
  type LogFilterParams,
  LogMatcher,
  scanLogsResumable,
} from "./logFilter.js";

/**
 * Polled filters (`eth_newFilter`, `eth_newBlockFilter`, `eth_newPendingTransactionFilter`), shared by every
 * client of a server, as in geth. Log and block filters remember the next height to report and read committed
 * blocks when polled, so they hold no buffers; pending-transaction filters keep a bounded queue of hashes.
 * A filter not polled within `filterTimeoutMs` is removed, and polling it answers -32000 "filter not found",
 * which makes viem and ethers install a new one.
 */

interface FilterBase {
  lastPollMs: number;
  /** Polls of one filter run one after another, so that two concurrent polls never report the same block twice. */
  poll: Promise<unknown>;
}
interface LogFilter extends FilterBase {
  readonly kind: "log";
  readonly params: LogFilterParams;
  readonly matcher: LogMatcher;
  next: number;
}
interface BlockFilter extends FilterBase {
  readonly kind: "block";
  next: number;
}
interface PendingTxFilter extends FilterBase {
  readonly kind: "pending";
  hashes: Hex[];
}
type Filter = LogFilter | BlockFilter | PendingTxFilter;

export interface FilterManagerOptions {
  readonly backend: RPCBackend;
  readonly limits: RPCLimits;
  readonly clock: Clock;
  readonly newId: IdGenerator;
}

function filterNotFound(): RPCError {
  return new RPCError(RPCErrorCode.invalidInput, "filter not found");
}

export class FilterManager {
  readonly #backend: RPCBackend;
  readonly #limits: RPCLimits;
  readonly #clock: Clock;
  readonly #newId: IdGenerator;
  readonly #filters = new Map<string, Filter>();
  #pendingFilters = 0;

  constructor(options: FilterManagerOptions) {
    this.#backend = options.backend;
    this.#limits = options.limits;
    this.#clock = options.clock;
    this.#newId = options.newId;
  }

  /** Installed filters, including expired ones not yet swept. */
  get size(): number {
    return this.#filters.size;
  }

  newLogFilter(params: LogFilterParams): string {
    checkLogCriteriaLimits(params, this.#limits);
    return this.#install({
      kind: "log",
      params,
      matcher: new LogMatcher(params),
      next: this.#backend.headHeight() + 1,
      ...this.#fresh(),
    });
  }

  newBlockFilter(): string {
    return this.#install({ kind: "block", next: this.#backend.headHeight() + 1, ...this.#fresh() });
  }

  newPendingTxFilter(): string {
    this.#pendingFilters++;
    return this.#install({ kind: "pending", hashes: [], ...this.#fresh() });
  }

  uninstall(id: string): boolean {
    const filter = this.#filters.get(id.toLowerCase());
    if (filter === undefined) return false;
    this.#remove(id.toLowerCase(), filter);
    return true;
  }

  /** `eth_getFilterChanges`: what happened since the previous poll. */
  changes(id: string): Promise<RPCLog[] | Hex[]> {
    const filter = this.#lookup(id);
    const result = filter.poll.then(() => this.#changes(filter));
    filter.poll = result.catch(() => undefined);
    return result;
  }

  /** `eth_getFilterLogs`: every log the filter's range holds, as `eth_getLogs` would return. */
  async logs(id: string): Promise<RPCLog[]> {
    const filter = this.#lookup(id);
    if (filter.kind !== "log") throw filterNotFound();
    return getLogs(this.#backend, filter.params, this.#limits);
  }

  /** Called for each transaction admitted into the pool. */
  onPendingTx(hash: Uint8Array): void {
    if (this.#pendingFilters === 0) return;
    const value = hex(hash);
    for (const filter of this.#filters.values()) {
      if (filter.kind !== "pending") continue;
      // Dropping the oldest keeps memory bounded for a client that stopped polling but has not expired yet.
      if (filter.hashes.length >= this.#limits.filterPendingTxsMax) filter.hashes.shift();
      filter.hashes.push(value);
    }
  }

  /** Removes every filter not polled within `filterTimeoutMs`. */
  sweep(): void {
    const now = this.#clock.now();
    for (const [id, filter] of this.#filters) if (this.#expired(filter, now)) this.#remove(id, filter);
  }

  clear(): void {
    this.#filters.clear();
    this.#pendingFilters = 0;
  }

  #fresh(): FilterBase {
    return { lastPollMs: this.#clock.now(), poll: Promise.resolve() };
  }

  #install(filter: Filter): string {
    if (this.#filters.size >= this.#limits.filtersMax) this.sweep();
    if (this.#filters.size >= this.#limits.filtersMax) {
      if (filter.kind === "pending") this.#pendingFilters--;
      throw new RPCError(
        RPCErrorCode.limitExceeded,
        `too many filters installed (at most ${this.#limits.filtersMax}); uninstall unused filters with eth_uninstallFilter`,
      );
    }
    const id = this.#newId().toLowerCase();
    this.#filters.set(id, filter);
    return id;
  }

  #remove(id: string, filter: Filter): void {
    this.#filters.delete(id);
    if (filter.kind === "pending") this.#pendingFilters--;
  }

  #expired(filter: Filter, now: number): boolean {
    return now - filter.lastPollMs > this.#limits.filterTimeoutMs;
  }

  #lookup(id: string): Filter {
    const key = id.toLowerCase();
    const filter = this.#filters.get(key);
    if (filter === undefined) throw filterNotFound();
    const now = this.#clock.now();
    if (this.#expired(filter, now)) {
      this.#remove(key, filter);
      throw filterNotFound();
    }
    filter.lastPollMs = now;
    return filter;
  }

  async #changes(filter: Filter): Promise<RPCLog[] | Hex[]> {
    const head = this.#backend.headHeight();
    switch (filter.kind) {
      case "pending": {
        const hashes = filter.hashes;
        filter.hashes = [];
        return hashes;
      }
      case "block": {
        // At most one range's worth of blocks per poll; a lagging client gets the rest on its next polls.
        const last = Math.min(head, filter.next + this.#limits.logsBlockRangeMax - 1);
        const hashes: Hex[] = [];
        for (let height = filter.next; height <= last; height++) {
          const indexed = await this.#backend.blockByHeight(height);
          if (indexed !== undefined) hashes.push(hex(indexed.hash));
        }
        filter.next = Math.max(filter.next, last + 1);
        return hashes;
      }
      case "log": {
        // Changes are logs of blocks committed since the previous poll, within the filter's range when it gave
        // explicit numbers; tags (`latest`, ...) name "from now on" rather than a height fixed at install time.
        const { fromBlock, toBlock } = filter.params;
        const from = Math.max(filter.next, fromBlock?.kind === "number" ? Number(fromBlock.number) : 0);
        const to = Math.min(
          head,
          toBlock?.kind === "number" ? Number(toBlock.number) : head,
          from + this.#limits.logsBlockRangeMax - 1,
        );
        if (filter.params.blockHash !== undefined || from > to) {
          // Nothing in range now; move past what the head has reached so those blocks are never reported later.
          filter.next = Math.max(filter.next, Math.min(head, to) + 1);
          return [];
        }
        const { logs, next } = await scanLogsResumable(this.#backend, filter.matcher, from, to, this.#limits);
        filter.next = next;
        return logs;
      }
    }
  }
}
