import type { VerifiedTx } from "@charter/types";
import type { BlockApplication, ExecutedBlockLike } from "./application.js";
import type { Clock } from "./clock.js";

export interface SoloProducerOptions {
  /** Target time between blocks; an empty block is cut when it elapses, so confirmations never hang. */
  readonly blockIntervalMs: number;
  /** Address of this node, recorded as the block's proposer. */
  readonly proposer: Uint8Array;
}

export interface SoloProducerModules<Executed extends ExecutedBlockLike> {
  readonly app: BlockApplication<Executed>;
  readonly clock: Clock;
  /** Candidate transactions for the next block, in the order to try them. */
  readonly selectTransactions: () => Iterable<VerifiedTx>;
  /** Whether enough transactions are waiting to fill a block, so it is worth cutting one before the interval. */
  readonly hasFullBlock: () => boolean;
  /** Called after each commit (e.g. to update the pool), before the next block is scheduled. */
  readonly afterCommit: (executed: Executed) => void;
  /** A failure to produce a block; production carries on at the next interval. */
  readonly onError: (error: unknown) => void;
}

/**
 * Produces blocks alone: the single-validator case, where a block is final as soon as it is committed. It cuts a
 * block every `blockIntervalMs` (empty or not), or as soon as a full block is waiting. The BFT engine replaces it
 * on multi-validator networks and drives the same `BlockApplication`.
 */
export class SoloProducer<Executed extends ExecutedBlockLike> {
  readonly #options: SoloProducerOptions;
  readonly #modules: SoloProducerModules<Executed>;
  #cancelTimer: (() => void) | undefined;
  #producing: Promise<void> | undefined;
  #running = false;
  #lastBlockAt = 0;

  constructor(options: SoloProducerOptions, modules: SoloProducerModules<Executed>) {
    this.#options = options;
    this.#modules = modules;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#lastBlockAt = this.#modules.clock.now();
    this.#schedule();
  }

  /** Stops producing and waits for a block in progress to be committed. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    await this.#producing;
  }

  /** Tells the producer that the pool changed; it cuts a block early if a full one is waiting. */
  poke(): void {
    if (this.#running && this.#producing === undefined && this.#modules.hasFullBlock()) {
      this.#cancelTimer?.();
      this.#produce();
    }
  }

  #schedule(): void {
    if (!this.#running) return;
    const wait = Math.max(0, this.#lastBlockAt + this.#options.blockIntervalMs - this.#modules.clock.now());
    this.#cancelTimer = this.#modules.clock.setTimer(wait, () => this.#produce());
  }

  #produce(): void {
    this.#cancelTimer = undefined;
    const run = async () => {
      const { app, clock } = this.#modules;
      const now = clock.now();
      this.#lastBlockAt = now;
      const executed = await app.propose({
        timestampMs: now,
        proposer: this.#options.proposer,
        transactions: this.#modules.selectTransactions(),
        lastCommit: null,
      });
      await app.commit(executed, null);
      this.#modules.afterCommit(executed);
    };
    this.#producing = run()
      .catch((error: unknown) => this.#modules.onError(error))
      .finally(() => {
        this.#producing = undefined;
        if (!this.#running) return;
        if (this.#modules.hasFullBlock()) this.#produce();
        else this.#schedule();
      });
  }
}
