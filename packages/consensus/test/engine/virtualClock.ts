import type { Clock } from "../../src/index.js";

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Virtual time for engine tests: timers fire only when the test advances time, earliest first, ties by order set. */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Advances to the earliest live timer at or before `deadlineMs` and runs it; false when there is none. */
  fireNext(deadlineMs: number): boolean {
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    let best: Timer | undefined;
    for (const t of this.#timers)
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    if (best === undefined || best.at > deadlineMs) {
      this.#now = Math.max(this.#now, deadlineMs);
      return false;
    }
    best.cancelled = true;
    this.#now = Math.max(this.#now, best.at);
    best.fn();
    return true;
  }
}
