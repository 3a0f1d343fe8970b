import { bytesToHex, bytesToUtf8, compareBytes, concatBytes, equalBytes, utf8ToBytes } from "@charter/utils";
import { KvError } from "./errors.js";
import type { KvOp, KvRange, KvStore, KvWriteOptions } from "./store.js";

/**
 * Encrypts single values for storage, binding each to the key it is stored under. `@charter/crypto`'s
 * `createAtRestCipher` returns one (SM4-CTR + HMAC-SM3 for `sm` chains, AES-256-GCM for `ecdsa` chains); the
 * store only needs this shape, so `kv` does not depend on `crypto`.
 */
export interface ValueCipher {
  /** A stable name of the algorithm and format, kept in the store's check record (at most 255 ASCII bytes). */
  readonly algorithm: string;
  /** Returns the sealed form of `value` for the store key `key`, with a new IV on every call. */
  seal(key: Uint8Array, value: Uint8Array): Uint8Array;
  /** Returns the value `seal(key, …)` was given; throws if `sealed` was not made by `seal` with this key. */
  open(key: Uint8Array, sealed: Uint8Array): Uint8Array;
}

/**
 * The key of the encryption check record: `0x0f ‖ "encryption"`. Prefix `0x0f` belongs to `kv` (store metadata,
 * docs/spec/storage.md section 2); no other package writes keys in `0x00`–`0x0f`. An encrypted store neither
 * returns nor accepts this key, and iteration skips it.
 */
export const KV_ENCRYPTION_CHECK_KEY: Uint8Array = concatBytes(
  Uint8Array.of(0x0f),
  utf8ToBytes("encryption"),
);

/** Version byte of the check record's layout. */
const CHECK_RECORD_VERSION = 0x01;
/** The known plaintext sealed in the check record; the algorithm name follows it. */
const CHECK_PLAINTEXT = utf8ToBytes("charter kv encryption check v1:");
const ALGORITHM_BYTES_MAX = 255;

export interface EncryptedKvOptions {
  /** Where the store lives (its directory), named in error messages. */
  readonly location?: string;
}

/**
 * Wraps `inner` so that every value is sealed by `cipher` before it is written and opened after it is read. Keys
 * stay in the clear, because the engines order and range-scan by key (state prefixes, block heights): see
 * docs/spec/storage.md, "Encryption at rest", for what the keys reveal. A value that fails to open (changed on
 * disk, moved to another key, sealed with another key) throws `KvError("corrupt")`.
 *
 * This does not check that `cipher` is the store's key: open a node's store with `openEncryptedKvStore`, which
 * does.
 *
 * @example
 * const kv = createEncryptedKvStore(createMemoryKv(), createAtRestCipher({ suite: "ecdsa", masterKey }));
 * await kv.write([{ type: "put", key: Uint8Array.of(1), value: Uint8Array.of(2) }]);
 * kv.getSync(Uint8Array.of(1)); // Uint8Array [2]
 */
export function createEncryptedKvStore(
  inner: KvStore,
  cipher: ValueCipher,
  options: EncryptedKvOptions = {},
): KvStore {
  return new EncryptedKv(inner, cipher, options.location);
}

/**
 * Checks that `cipher` holds the key and algorithm `inner` was encrypted with, then returns the encrypted view of
 * it (`createEncryptedKvStore`). On an empty store it first writes the check record (durably), which makes the
 * store an encrypted one for good. Throws `KvError` and reads nothing else when:
 * - `wrong-key`: the check record does not open with this key;
 * - `wrong-algorithm`: the store was encrypted with another algorithm;
 * - `unencrypted-store`: the store has no check record but holds data, written without encryption;
 * - `corrupt`: the check record is malformed.
 *
 * It does not close `inner` when it throws; the caller does.
 *
 * @example
 * const kv = await openEncryptedKvStore(await openKv(dir), cipher, { location: dir });
 */
export async function openEncryptedKvStore(
  inner: KvStore,
  cipher: ValueCipher,
  options: EncryptedKvOptions = {},
): Promise<KvStore> {
  const where = describeLocation(options.location);
  const algorithm = utf8ToBytes(cipher.algorithm);
  if (algorithm.length === 0 || algorithm.length > ALGORITHM_BYTES_MAX) {
    throw new RangeError(`A value cipher's algorithm name must be 1 to ${ALGORITHM_BYTES_MAX} bytes.`);
  }
  const record = await inner.get(KV_ENCRYPTION_CHECK_KEY);
  if (record === undefined) {
    if (!(await isEmpty(inner))) {
      throw new KvError(
        "unencrypted-store",
        `The data directory ${where} holds data written without encryption, and storage encryption is now requested. Charter does not mix plain and encrypted records, so the store was left as it was. Start from an empty data directory (the node then syncs the chain again), or keep this one unencrypted.`,
      );
    }
    const sealed = cipher.seal(KV_ENCRYPTION_CHECK_KEY, concatBytes(CHECK_PLAINTEXT, algorithm));
    const value = concatBytes(Uint8Array.of(CHECK_RECORD_VERSION, algorithm.length), algorithm, sealed);
    await inner.write([{ type: "put", key: KV_ENCRYPTION_CHECK_KEY, value }]);
    return createEncryptedKvStore(inner, cipher, options);
  }
  const check = decodeCheckRecord(record, where);
  if (check.algorithm !== cipher.algorithm) {
    throw new KvError(
      "wrong-algorithm",
      `The data directory ${where} is encrypted with ${check.algorithm}, but this node encrypts with ${cipher.algorithm}; the chain's crypto suite chooses the algorithm, so this directory belongs to another chain. No data was read.`,
    );
  }
  let plain: Uint8Array;
  try {
    plain = cipher.open(KV_ENCRYPTION_CHECK_KEY, check.sealed);
  } catch (cause) {
    // The cause is the cipher's authentication error; it carries no key material.
    throw new KvError(
      "wrong-key",
      `The storage encryption key does not match the data directory ${where}: it was encrypted with another key. No data was read. Configure the key this directory was created with; without it the data cannot be recovered, and the node has to sync the chain again into an empty data directory.`,
      { cause },
    );
  }
  if (!equalBytes(plain, concatBytes(CHECK_PLAINTEXT, algorithm))) {
    throw new KvError(
      "corrupt",
      `The encryption check record of the data directory ${where} opens but does not hold the expected text; the directory was changed outside the node.`,
    );
  }
  return createEncryptedKvStore(inner, cipher, options);
}

/**
 * The plain path's guard: throws `KvError("encrypted-store")` when `inner` holds an encryption check record, so a
 * node without the key refuses to start instead of reading sealed bytes as data. One point read.
 *
 * @example
 * await checkKvNotEncrypted(kv, { location: dir });
 */
export async function checkKvNotEncrypted(inner: KvStore, options: EncryptedKvOptions = {}): Promise<void> {
  const record = await inner.get(KV_ENCRYPTION_CHECK_KEY);
  if (record === undefined) return;
  const where = describeLocation(options.location);
  const check = decodeCheckRecord(record, where);
  throw new KvError(
    "encrypted-store",
    `The data directory ${where} is encrypted (${check.algorithm}), but no storage encryption key is configured. No data was read. Configure the key it was created with.`,
  );
}

/** Whether `inner` holds an encryption check record (one point read). */
export async function isKvEncrypted(inner: KvStore): Promise<boolean> {
  return (await inner.get(KV_ENCRYPTION_CHECK_KEY)) !== undefined;
}

function describeLocation(location: string | undefined): string {
  return location === undefined ? "(in memory)" : location;
}

async function isEmpty(kv: KvStore): Promise<boolean> {
  for await (const _ of kv.iterate({ limit: 1 })) return false;
  return true;
}

/** `version(1) ‖ len(algorithm)(1) ‖ algorithm ‖ sealed(CHECK_PLAINTEXT ‖ algorithm)`. */
function decodeCheckRecord(record: Uint8Array, where: string): { algorithm: string; sealed: Uint8Array } {
  const length = record[1] ?? 0;
  if (record[0] !== CHECK_RECORD_VERSION || length === 0 || record.length <= 2 + length) {
    throw new KvError(
      "corrupt",
      `The encryption check record of the data directory ${where} is malformed (version ${record[0] ?? "none"}, ${record.length} bytes); the directory was changed outside the node or was written by a newer version.`,
    );
  }
  return { algorithm: bytesToUtf8(record.subarray(2, 2 + length)), sealed: record.subarray(2 + length) };
}

function isCheckKey(key: Uint8Array): boolean {
  return (
    key.length === KV_ENCRYPTION_CHECK_KEY.length &&
    key[0] === KV_ENCRYPTION_CHECK_KEY[0] &&
    equalBytes(key, KV_ENCRYPTION_CHECK_KEY)
  );
}

function reservedKeyError(): KvError {
  return new KvError(
    "invalid-key",
    `The key ${bytesToHex(KV_ENCRYPTION_CHECK_KEY)} holds the store's encryption check record and cannot be read or written through the store.`,
  );
}

function inRange(key: Uint8Array, range: KvRange): boolean {
  return (
    (range.gte === undefined || compareBytes(key, range.gte) >= 0) &&
    (range.lt === undefined || compareBytes(key, range.lt) < 0)
  );
}

class EncryptedKv implements KvStore {
  readonly #inner: KvStore;
  readonly #cipher: ValueCipher;
  readonly #where: string;

  constructor(inner: KvStore, cipher: ValueCipher, location: string | undefined) {
    this.#inner = inner;
    this.#cipher = cipher;
    this.#where = describeLocation(location);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    if (isCheckKey(key)) throw reservedKeyError();
    const sealed = await this.#inner.get(key);
    return sealed === undefined ? undefined : this.#open(key, sealed);
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    if (isCheckKey(key)) throw reservedKeyError();
    const sealed = this.#inner.getSync(key);
    return sealed === undefined ? undefined : this.#open(key, sealed);
  }

  async write(ops: readonly KvOp[], options?: KvWriteOptions): Promise<void> {
    // Every key is checked before anything is sealed or written, so a bad batch leaves no trace.
    for (const op of ops) if (isCheckKey(op.key)) throw reservedKeyError();
    const sealed = ops.map(
      (op): KvOp =>
        op.type === "put" ? { type: "put", key: op.key, value: this.#cipher.seal(op.key, op.value) } : op,
    );
    return this.#inner.write(sealed, options);
  }

  iterate(range: KvRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    const limit = range.limit === undefined || range.limit < 0 ? undefined : range.limit;
    // The check record is skipped, so a range that holds it asks the engine for one entry more.
    const skips = limit !== undefined && limit > 0 && inRange(KV_ENCRYPTION_CHECK_KEY, range);
    // Started now, not on the first `next()`, so the engine takes its snapshot exactly as it would unwrapped.
    const entries = this.#inner.iterate(skips ? { ...range, limit: limit + 1 } : range);
    const open = (key: Uint8Array, sealed: Uint8Array) => this.#open(key, sealed);
    return {
      async *[Symbol.asyncIterator]() {
        let yielded = 0;
        if (limit === 0) return;
        for await (const [key, sealed] of entries) {
          if (isCheckKey(key)) continue;
          yield [key, open(key, sealed)];
          if (limit !== undefined && ++yielded >= limit) return;
        }
      },
    };
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  #open(key: Uint8Array, sealed: Uint8Array): Uint8Array {
    try {
      return this.#cipher.open(key, sealed);
    } catch (cause) {
      throw new KvError(
        "corrupt",
        `The value stored under key ${bytesToHex(key)} in ${this.#where} failed authentication: it was changed on disk, moved from another key, or written with another key. Stop the node and restore the data directory from a backup or sync it again.`,
        { cause },
      );
    }
  }
}
