import { CharterError } from "@charter/utils";

/**
 * Expected failures of a key-value store.
 * - `closed`: the store was used after `close()`; open it again.
 * - `invalid-key`: an empty key, or one longer than `KV_KEY_BYTES_MAX`.
 * - `open-failed`: the engine could not open the directory (missing permissions, locked by another process,
 *   or not a store of this engine).
 *
 * Encryption at rest (`openEncryptedKvStore`, `checkKvNotEncrypted`; docs/spec/storage.md):
 * - `wrong-key`: the store is encrypted under another key than the one configured. Nothing was read or written.
 * - `wrong-algorithm`: the store is encrypted with another algorithm (a store of another crypto suite).
 * - `encrypted-store`: the store is encrypted and no key was given.
 * - `unencrypted-store`: a key was given but the store already holds data written without encryption.
 * - `corrupt`: a stored value or the encryption check record failed authentication or is malformed: the data
 *   directory was changed outside the node or damaged.
 * - `key-file`: a storage encryption key file cannot be read or written, is not 32 bytes of hex, or can be read
 *   by other users.
 */
export type KvErrorCode =
  | "closed"
  | "invalid-key"
  | "open-failed"
  | "wrong-key"
  | "wrong-algorithm"
  | "encrypted-store"
  | "unencrypted-store"
  | "corrupt"
  | "key-file";

export class KvError extends CharterError<KvErrorCode> {
  constructor(code: KvErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "KvError";
  }
}
