/**
 * An ordered key-value store with atomic batches. Everything Charter persists goes through it, and each block
 * (block, receipts, state changes, indexes, head pointer) is written in one `write()` batch, so a crash leaves
 * the store at the last committed block or the one before it, never in between.
 *
 * Keys are compared as unsigned bytes. Keys must be 1..`KV_KEY_BYTES_MAX` bytes (LMDB refuses empty keys and
 * keys over 1,978 bytes, so every engine enforces the same, smaller bound); values may be empty. Returned
 * arrays are plain `Uint8Array`s owned by the caller.
 */
export interface KvStore {
  /** Returns the value or `undefined`. Reads see every batch whose `write()` has resolved. */
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /**
   * Synchronous read (both disk engines support it); used on the execution hot path where an `await` per
   * storage slot would dominate.
   */
  getSync(key: Uint8Array): Uint8Array | undefined;
  /**
   * Applies all operations atomically, in order (a later operation on the same key wins), and durably (fsync)
   * before resolving unless `sync: false`. The batch is visible to reads once the promise resolves.
   */
  write(ops: readonly KvOp[], options?: KvWriteOptions): Promise<void>;
  /**
   * Iterates keys in `[gte, lt)` in ascending byte order (or descending with `reverse`), at most `limit`
   * entries. The iteration sees one consistent snapshot, taken when it starts.
   */
  iterate(range: KvRange): AsyncIterable<[Uint8Array, Uint8Array]>;
  /** Waits for writes in flight, then releases the engine. Every later call throws `KvError("closed")`. */
  close(): Promise<void>;
}

/** LMDB's hard key limit is 1,978 bytes; Charter's longest key (flat storage) is 53 bytes. */
export const KV_KEY_BYTES_MAX = 1024;

export type KvOp =
  | { readonly type: "put"; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: "del"; readonly key: Uint8Array };

export interface KvWriteOptions {
  /** Default true: the batch is on disk when `write()` resolves. `false` keeps atomicity, not durability. */
  readonly sync?: boolean;
}

export interface KvRange {
  readonly gte?: Uint8Array;
  readonly lt?: Uint8Array;
  readonly reverse?: boolean;
  readonly limit?: number;
}
