/**
 * An ordered key-value store with atomic batches. Everything Charter persists goes through it, and each block
 * (block, receipts, state changes, indexes, head pointer) is written in one `write()` batch, so a crash leaves
 * the store at the last committed block or the one before it, never in between.
 */
export interface KvStore {
  /** Returns the value or `undefined`. Reads see every batch whose `write()` has resolved. */
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /**
   * Synchronous read when the engine supports it (both engines here do); used on the execution hot path where an
   * `await` per storage slot would dominate.
   */
  getSync(key: Uint8Array): Uint8Array | undefined;
  /** Applies all operations atomically and durably (fsync) before resolving. */
  write(ops: readonly KvOp[], options?: KvWriteOptions): Promise<void>;
  /** Iterates keys in `[gte, lt)` in ascending byte order (or descending with `reverse`). */
  iterate(range: KvRange): AsyncIterable<[Uint8Array, Uint8Array]>;
  close(): Promise<void>;
}

export type KvOp =
  | { readonly type: "put"; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: "del"; readonly key: Uint8Array };

export interface KvWriteOptions {
  /** Default true: the batch is on disk when `write()` resolves. */
  readonly sync?: boolean;
}

export interface KvRange {
  readonly gte?: Uint8Array;
  readonly lt?: Uint8Array;
  readonly reverse?: boolean;
  readonly limit?: number;
}
