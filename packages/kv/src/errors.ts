import { CharterError } from "@charter/utils";

/**
 * Expected failures of a key-value store.
 * - `closed`: the store was used after `close()`; open it again.
 * - `invalid-key`: an empty key, or one longer than `KV_KEY_BYTES_MAX`.
 * - `open-failed`: the engine could not open the directory (missing permissions, locked by another process,
 *   or not a store of this engine).
 */
export type KvErrorCode = "closed" | "invalid-key" | "open-failed";

export class KvError extends CharterError<KvErrorCode> {
  constructor(code: KvErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "KvError";
  }
}
