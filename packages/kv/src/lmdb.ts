import { open, type RangeOptions, type RootDatabase } from "lmdb";
import { KvError } from "./errors.js";
import type { KvOp, KvRange, KvStore, KvWriteOptions } from "./store.js";
import { checkKey, checkOps, closedError, toView } from "./validate.js";

/**
 * Opens (creating if missing) an LMDB store through `lmdb`, with binary keys and values. Point reads are
 * synchronous reads of the memory map. Each `write()` is one LMDB write transaction; with `sync` (the default)
 * it resolves once that transaction is flushed to disk.
 *
 * @example
 * const kv = await openLmdbKv("/var/lib/charter/db");
 * await kv.write([{ type: "put", key: Uint8Array.of(1), value: Uint8Array.of(2) }]);
 * await kv.close();
 */
export async function openLmdbKv(path: string): Promise<KvStore> {
  let db: RootDatabase<Uint8Array, Uint8Array>;
  try {
    db = open<Uint8Array, Uint8Array>({
      path,
      keyEncoding: "binary",
      encoding: "binary",
      // Values are already compact (RLP, hashes); compression would only cost CPU on the read path.
      compression: false,
      // lmdb-js's own decoded-value cache would duplicate the state package's caches.
      cache: false,
      // Commits are durable: LMDB keeps the previous snapshot until the new one is synced (overlappingSync,
      // the default on Linux), so a crash at any moment reopens at the last fully synced transaction.
      noSync: false,
    });
  } catch (cause) {
    throw new KvError(
      "open-failed",
      `Could not open the LMDB store at ${path}; is the path a writable directory?`,
      {
        cause,
      },
    );
  }
  return new LmdbKv(db);
}

class LmdbKv implements KvStore {
  readonly #db: RootDatabase<Uint8Array, Uint8Array>;
  readonly #pending = new Set<Promise<boolean>>();
  #closed = false;

  constructor(db: RootDatabase<Uint8Array, Uint8Array>) {
    this.#db = db;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.getSync(key);
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    if (this.#closed) throw closedError();
    checkKey(key);
    const value = this.#db.get(key);
    return value === undefined ? undefined : toView(value);
  }

  async write(ops: readonly KvOp[], options?: KvWriteOptions): Promise<void> {
    if (this.#closed) throw closedError();
    checkOps(ops);
    if (ops.length === 0) return;
    const db = this.#db;
    // A synchronous transaction: it is committed (visible, and atomic on disk) when this call returns, and the
    // event loop cannot interleave another write into it.
    db.transactionSync(() => {
      for (const op of ops) {
        if (op.type === "put") db.putSync(op.key, op.value);
        else db.removeSync(op.key);
      }
    });
    if (options?.sync === false) return;
    const flushed = db.flushed;
    this.#pending.add(flushed);
    try {
      await flushed;
    } finally {
      this.#pending.delete(flushed);
    }
  }

  iterate(range: KvRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    if (this.#closed) throw closedError();
    const db = this.#db;
    const isClosed = () => this.#closed;
    return {
      async *[Symbol.asyncIterator]() {
        if (range.limit === 0) return;
        // lmdb-js ranges go from `start` towards `end`; in reverse, `start` is the upper bound. The options below
        // map `[gte, lt)` onto both directions.
        const options: RangeOptions =
          range.reverse === true
            ? {
                reverse: true,
                ...(range.lt === undefined ? {} : { start: range.lt, exclusiveStart: true }),
                ...(range.gte === undefined ? {} : { end: range.gte, inclusiveEnd: true }),
              }
            : {
                ...(range.gte === undefined ? {} : { start: range.gte }),
                ...(range.lt === undefined ? {} : { end: range.lt }),
              };
        if (range.limit !== undefined && range.limit > 0) options.limit = range.limit;
        // `snapshot` (the default) pins one read transaction for the whole iteration.
        for (const { key, value } of db.getRange(options)) {
          if (isClosed()) throw closedError();
          yield [toView(key), toView(value)];
        }
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#pending);
    await this.#db.close();
  }
}
