import type { KvOp, KvRange, KvStore, KvWriteOptions } from "./store.js";
import { checkKey, checkOps, closedError } from "./validate.js";

/**
 * An in-memory `KvStore` with the same semantics as the disk engines (byte-ordered keys, atomic ordered
 * batches, snapshot iteration, key limits, `closed` errors), for tests and simulations. Nothing survives the
 * process.
 *
 * @example
 * const kv = createMemoryKv();
 * await kv.write([{ type: "put", key: Uint8Array.of(1), value: Uint8Array.of(2) }]);
 * kv.getSync(Uint8Array.of(1)); // Uint8Array [2]
 */
export function createMemoryKv(): KvStore {
  return new MemoryKv();
}

/**
 * Keys are held as Latin-1 strings (one char per byte): JavaScript compares strings by UTF-16 code unit, which
 * for chars 0..255 is exactly unsigned byte order, and strings are cheap `Map` keys.
 */
function keyString(key: Uint8Array): string {
  let s = "";
  for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]!);
  return s;
}

function stringKey(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** First index in `sorted` whose element is >= `s`. */
function lowerBound(sorted: readonly string[], s: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class MemoryKv implements KvStore {
  readonly #values = new Map<string, Uint8Array>();
  /**
   * Sorted keys of `#values`, rebuilt on the first iteration after a write that added or removed keys, so that
   * writes stay O(1) per operation (tests and benchmarks load hundreds of thousands of keys).
   */
  #sorted: string[] | null = [];
  #closed = false;

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.getSync(key);
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    if (this.#closed) throw closedError();
    checkKey(key);
    const value = this.#values.get(keyString(key));
    // A copy, as from a disk engine: a caller mutating it must not change the store.
    return value === undefined ? undefined : value.slice();
  }

  async write(ops: readonly KvOp[], _options?: KvWriteOptions): Promise<void> {
    if (this.#closed) throw closedError();
    checkOps(ops);
    for (const op of ops) {
      const k = keyString(op.key);
      if (op.type === "put") {
        if (!this.#values.has(k)) this.#sorted = null;
        this.#values.set(k, op.value.slice());
      } else if (this.#values.delete(k)) {
        this.#sorted = null;
      }
    }
  }

  iterate(range: KvRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    if (this.#closed) throw closedError();
    // Plain `<` on Latin-1 strings is byte order (see `keyString`); the default sort compares the same way.
    this.#sorted ??= [...this.#values.keys()].sort();
    const sorted = this.#sorted;
    // The matching entries are copied now, which is the snapshot the interface promises.
    const start = range.gte === undefined ? 0 : lowerBound(sorted, keyString(range.gte));
    const end = range.lt === undefined ? sorted.length : lowerBound(sorted, keyString(range.lt));
    const keys = sorted.slice(start, Math.max(start, end));
    if (range.reverse === true) keys.reverse();
    if (range.limit !== undefined && range.limit >= 0 && keys.length > range.limit) keys.length = range.limit;
    const entries = keys.map((k): [Uint8Array, Uint8Array] => [stringKey(k), this.#values.get(k)!.slice()]);
    return (async function* () {
      yield* entries;
    })();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
