import type { Block, VerifiedTx } from "@charter/types";
import { describe, expect, it } from "vitest";
import type { BlockApplication, ExecutedBlockLike, ProposeInput } from "./application.js";
import type { Clock } from "./clock.js";
import { SoloProducer } from "./soloProducer.js";

/** Virtual time: timers fire only when the test advances the clock. */
class VirtualClock implements Clock {
  #now = 0;
  #timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  now(): number {
    return this.#now;
  }
  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.#now + ms, fn, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => !t.cancelled && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#now = due.at;
      due.cancelled = true;
      due.fn();
      for (let i = 0; i < 20; i++) await Promise.resolve();
    }
    this.#now = end;
    for (let i = 0; i < 20; i++) await Promise.resolve();
  }
}

/** A recording application: the producer's contract is what it asks of the app, and when. */
class RecordingApp implements BlockApplication {
  height = 0;
  proposals: { at: number; txs: number }[] = [];
  failNext = false;
  constructor(private readonly clock: VirtualClock) {}
  headHeight(): number {
    return this.height;
  }
  async propose(input: ProposeInput): Promise<ExecutedBlockLike> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error("disk full");
    }
    this.proposals.push({ at: this.clock.now(), txs: [...input.transactions].length });
    return { block: {} as Block, hash: new Uint8Array(32) };
  }
  async validate(): Promise<ExecutedBlockLike> {
    throw new Error("not used by the solo producer");
  }
  async commit(): Promise<void> {
    this.height++;
  }
}

function setup(options: { pool?: () => VerifiedTx[]; full?: () => boolean } = {}) {
  const clock = new VirtualClock();
  const app = new RecordingApp(clock);
  const errors: unknown[] = [];
  const producer = new SoloProducer(
    { blockIntervalMs: 1000, proposer: new Uint8Array(20) },
    {
      app,
      clock,
      selectTransactions: options.pool ?? (() => []),
      hasFullBlock: options.full ?? (() => false),
      afterCommit: () => {},
      onError: (e) => errors.push(e),
    },
  );
  return { clock, app, producer, errors };
}

describe("SoloProducer", () => {
  it("cuts a block every interval, empty or not", async () => {
    const { clock, app, producer } = setup();
    producer.start();
    await clock.advance(3500);
    expect(app.proposals.map((p) => p.at)).toEqual([1000, 2000, 3000]);
    expect(app.height).toBe(3);
    await producer.stop();
    await clock.advance(5000);
    expect(app.height).toBe(3);
  });

  it("cuts a block early when a full block is waiting, then returns to the interval", async () => {
    let waiting = 0;
    const { clock, app, producer } = setup({
      pool: () => Array.from({ length: Math.min(waiting, 10) }, () => ({}) as VerifiedTx),
      full: () => waiting >= 10,
    });
    producer.start();
    await clock.advance(200);
    waiting = 25;
    // Each committed block takes 10 from the pool; the producer keeps going while a full block waits.
    const take = () => {
      waiting = Math.max(0, waiting - 10);
    };
    const original = app.commit.bind(app);
    app.commit = async () => {
      take();
      await original();
    };
    producer.poke();
    await clock.advance(0);
    expect(app.proposals.map((p) => p.at)).toEqual([200, 200]);
    await clock.advance(1500);
    // After the burst the next block comes one interval after the last one.
    expect(app.proposals.at(-1)!.at).toBe(1200);
    await producer.stop();
  });

  it("reports a failed block and carries on at the next interval", async () => {
    const { clock, app, producer, errors } = setup();
    app.failNext = true;
    producer.start();
    await clock.advance(2500);
    expect(errors).toHaveLength(1);
    expect(app.height).toBe(1);
    await producer.stop();
  });
});
