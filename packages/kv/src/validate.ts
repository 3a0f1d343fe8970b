import { KvError } from "./errors.js";
import { KV_KEY_BYTES_MAX, type KvOp } from "./store.js";

/** Rejects keys no engine can store, so every engine fails the same way (see `KV_KEY_BYTES_MAX`). */
export function checkKey(key: Uint8Array): void {
  if (key.length === 0 || key.length > KV_KEY_BYTES_MAX) {
    throw new KvError(
      "invalid-key",
      `A key must be 1 to ${KV_KEY_BYTES_MAX} bytes long, got ${key.length} bytes; empty and longer keys are not stored.`,
    );
  }
}

/** Checks a whole batch before any of it reaches the engine, so a bad key cannot leave half a batch behind. */
export function checkOps(ops: readonly KvOp[]): void {
  for (const op of ops) checkKey(op.key);
}

export function closedError(): KvError {
  return new KvError("closed", "The key-value store is closed; open it again before using it.");
}

/** Engines hand back Node `Buffer`s; library code gets plain `Uint8Array` views (no copy) of the same memory. */
export function toView(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
