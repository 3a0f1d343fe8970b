import { spawn } from "node:child_process";
import { createAtRestCipher } from "@charter/crypto";
import {
  checkKvNotEncrypted,
  ENCRYPTION_KEY_BYTES,
  type KvEngine,
  KvError,
  type KvStore,
  openEncryptedKvStore,
  openKv,
  parseEncryptionKey,
  readEncryptionKeyFile,
} from "@charter/kv";
import { concatBytes } from "@charter/utils";
import { NodeError } from "./errors.js";
import type { Logger } from "./logger.js";

/** How long `storage.encryption.keyCommand` may run before the node gives up starting. */
export const KEY_COMMAND_TIMEOUT_MS = 10_000;
/** Most bytes the key command may print on stdout or stderr (a key is 64 hex digits). */
const KEY_COMMAND_OUTPUT_BYTES_MAX = 64 * 1024;
/** Most characters of the key command's stderr repeated in a start error. */
const KEY_COMMAND_STDERR_CHARS_MAX = 300;

/** The `storage.encryption` section of a node config (`@charter/config`). */
export interface StorageEncryptionConfig {
  readonly enabled?: boolean | undefined;
  readonly keyFile?: string | undefined;
  readonly keyCommand?: string | undefined;
}

/** Where the storage key comes from. */
export type StorageKeySource =
  | { readonly kind: "file"; readonly path: string }
  | {
      readonly kind: "command";
      readonly command: string;
      readonly cwd: string;
      /** Default `KEY_COMMAND_TIMEOUT_MS`. */
      readonly timeoutMs?: number;
    }
  | { readonly kind: "hook"; readonly load: () => Promise<Uint8Array> };

export type StorageEncryptionPlan =
  | { readonly encrypt: false }
  | { readonly encrypt: true; readonly source: StorageKeySource };

export interface PlanStorageEncryptionOptions {
  /** The genesis' crypto suite: `sm` chains encrypt by default. */
  readonly suite: "ecdsa" | "sm";
  readonly encryption: StorageEncryptionConfig;
  /** The programmatic key source (`NodeModules.encryptionKey`), e.g. a key manager's client. */
  readonly encryptionKey?: (() => Promise<Uint8Array>) | undefined;
  /** The directory the key command runs in: the config file's. */
  readonly configDir: string;
}

/**
 * Decides whether a node encrypts its store and where the key comes from; a pure function of the config.
 *
 * - One key source at most: `keyFile`, `keyCommand` or the `encryptionKey` hook.
 * - `enabled: false` turns encryption off and allows no key source.
 * - Otherwise a key source turns it on; without one, `enabled: true` and every `sm` chain refuse to start, and an
 *   `ecdsa` chain runs unencrypted.
 *
 * @example
 * planStorageEncryption({ suite: "sm", encryption: { keyFile: "/k" }, configDir: "/etc/charter" });
 * // { encrypt: true, source: { kind: "file", path: "/k" } }
 */
export function planStorageEncryption(options: PlanStorageEncryptionOptions): StorageEncryptionPlan {
  const { encryption } = options;
  const sources: StorageKeySource[] = [];
  if (encryption.keyFile !== undefined) sources.push({ kind: "file", path: encryption.keyFile });
  if (encryption.keyCommand !== undefined)
    sources.push({ kind: "command", command: encryption.keyCommand, cwd: options.configDir });
  if (options.encryptionKey !== undefined) sources.push({ kind: "hook", load: options.encryptionKey });
  if (sources.length > 1) {
    throw new NodeError(
      "config",
      `the storage encryption key has more than one source (${sources.map(describeSource).join(", ")}); keep one`,
    );
  }
  const source = sources[0];
  if (encryption.enabled === false) {
    if (source !== undefined) {
      throw new NodeError(
        "config",
        `storage.encryption.enabled is false but a key source is given (${describeSource(source)}); remove one of them`,
      );
    }
    return { encrypt: false };
  }
  if (source !== undefined) return { encrypt: true, source };
  if (encryption.enabled === true) {
    throw new NodeError(
      "config",
      "storage.encryption.enabled is true but no key is configured; set storage.encryption.keyFile (create one with `charter init`, or 32 random bytes as hex in a mode-0600 file) or storage.encryption.keyCommand",
    );
  }
  if (options.suite === "sm") {
    throw new NodeError(
      "config",
      "this is an sm chain, whose nodes encrypt their storage by default, and no storage encryption key is configured; set storage.encryption.keyFile or storage.encryption.keyCommand, or set storage.encryption.enabled: false to run unencrypted",
    );
  }
  return { encrypt: false };
}

function describeSource(source: StorageKeySource): string {
  if (source.kind === "file") return `keyFile ${source.path}`;
  if (source.kind === "command") return "keyCommand";
  return "the encryptionKey module";
}

/**
 * Fetches the 32-byte key from its source. Errors say which source failed and why, and never contain the key or
 * the command's stdout. The caller owns (and should wipe) the returned array.
 */
export async function loadStorageKey(source: StorageKeySource): Promise<Uint8Array> {
  if (source.kind === "file") return readEncryptionKeyFile(source.path);
  if (source.kind === "command")
    return runKeyCommand(source.command, source.cwd, source.timeoutMs ?? KEY_COMMAND_TIMEOUT_MS);
  let key: Uint8Array;
  try {
    key = await source.load();
  } catch (cause) {
    throw new NodeError(
      "config",
      `the encryptionKey module failed to provide the storage encryption key: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (!(key instanceof Uint8Array) || key.length !== ENCRYPTION_KEY_BYTES) {
    throw new NodeError(
      "config",
      `the encryptionKey module must resolve to ${ENCRYPTION_KEY_BYTES} bytes, got ${key instanceof Uint8Array ? `${key.length} bytes` : typeof key}`,
    );
  }
  // A copy, so that wiping it after use does not touch the module's own buffer.
  return key.slice();
}

/**
 * Runs the key manager hook: `/bin/sh -c command`, stdout is the key in hex. It is `spawn` rather than `execFile`
 * because `execFile` cannot start the shell in its own process group: on timeout the whole group is killed, so a
 * key manager client that the shell started does not outlive the attempt or hold its stdout open.
 */
async function runKeyCommand(command: string, cwd: string, timeoutMs: number): Promise<Uint8Array> {
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], {
      cwd,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
    });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let failure: string | undefined;
    let settled = false;
    const killGroup = () => {
      try {
        // The negative pid names the process group that `detached` made the shell the leader of.
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // The group is already gone.
      }
    };
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const detail = redact(new TextDecoder().decode(concatBytes(...err)).trim()).slice(
        0,
        KEY_COMMAND_STDERR_CHARS_MAX,
      );
      reject(
        new NodeError(
          "config",
          `storage.encryption.keyCommand ${why}${detail === "" ? "" : `; its stderr: ${detail}`}; the node cannot start without its storage encryption key`,
        ),
      );
    };
    const timer = setTimeout(() => {
      failure ??= `did not finish within ${timeoutMs / 1000} s and was killed`;
      killGroup();
    }, timeoutMs);
    child.stdout.on("data", (chunk: Uint8Array) => {
      outBytes += chunk.length;
      if (outBytes <= KEY_COMMAND_OUTPUT_BYTES_MAX) out.push(chunk);
      else {
        failure ??= `printed more than ${KEY_COMMAND_OUTPUT_BYTES_MAX} bytes`;
        killGroup();
      }
    });
    child.stderr.on("data", (chunk: Uint8Array) => {
      // Only the start of stderr is ever shown; the rest is read and dropped so the command cannot block on it.
      if (errBytes < KEY_COMMAND_OUTPUT_BYTES_MAX) err.push(chunk);
      errBytes += chunk.length;
    });
    child.once("error", (error) => fail(`could not be run (${error.message})`));
    // "close" comes after the process exited and its stdout and stderr were closed by every process holding them.
    child.once("close", (code, signal) => {
      if (failure !== undefined) fail(failure);
      else if (code !== 0) fail(code === null ? `was killed by ${signal}` : `exited with status ${code}`);
      else if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(new TextDecoder().decode(concatBytes(...out)));
      }
    });
  });
  try {
    return parseEncryptionKey(stdout, "The output of storage.encryption.keyCommand");
  } catch (error) {
    throw new NodeError("config", (error as Error).message);
  }
}

/** Hides anything in a command's stderr that could be key material: runs of 32 or more hex digits. */
function redact(text: string): string {
  return text.replace(/(0x)?[0-9a-fA-F]{32,}/g, "[redacted]");
}

export interface OpenNodeKvOptions {
  /** The store's directory. */
  readonly path: string;
  readonly engine: KvEngine;
  readonly suite: "ecdsa" | "sm";
  readonly encryption: StorageEncryptionConfig;
  readonly encryptionKey?: (() => Promise<Uint8Array>) | undefined;
  readonly configDir: string;
  readonly logger: Logger;
}

/**
 * Opens a node's store, encrypted or not as `planStorageEncryption` decides. The key is fetched before the store
 * opens, so a failing key source leaves the directory untouched. An encrypted store is checked against its check
 * record (`openEncryptedKvStore`); a plain one is checked not to be encrypted (`checkKvNotEncrypted`). On any
 * failure the store is closed and a `NodeError("config")` or `KvError` (`wrong-key`, `wrong-algorithm`,
 * `encrypted-store`, `unencrypted-store`, `corrupt`, `key-file`) is thrown.
 */
export async function openNodeKv(options: OpenNodeKvOptions): Promise<KvStore> {
  const plan = planStorageEncryption(options);
  const masterKey = plan.encrypt ? await loadStorageKey(plan.source) : undefined;
  let inner: KvStore;
  try {
    inner = await openKv(options.path, { engine: options.engine });
  } catch (error) {
    masterKey?.fill(0);
    throw error;
  }
  try {
    if (masterKey === undefined || !plan.encrypt) {
      await checkKvNotEncrypted(inner, { location: options.path });
      options.logger.info({ encryption: false }, "storage opened without encryption");
      return inner;
    }
    const cipher = createAtRestCipher({ suite: options.suite, masterKey });
    masterKey.fill(0);
    const kv = await openEncryptedKvStore(inner, cipher, { location: options.path });
    options.logger.info(
      { encryption: true, algorithm: cipher.algorithm, keySource: plan.source.kind },
      "storage opened with encryption at rest",
    );
    return kv;
  } catch (error) {
    masterKey?.fill(0);
    await inner.close().catch(() => {});
    throw withConfigHint(error);
  }
}

/** Adds to the store's refusal what to change in node.yaml. */
function withConfigHint(error: unknown): unknown {
  if (!(error instanceof KvError)) return error;
  const hints: Partial<Record<KvError["code"], string>> = {
    "wrong-key": "Check storage.encryption.keyFile or keyCommand in the node config.",
    "encrypted-store":
      "Set storage.encryption.keyFile or storage.encryption.keyCommand in the node config (or CHARTER_STORAGE_ENCRYPTION_KEY_FILE).",
    "unencrypted-store":
      "To keep running this directory unencrypted, set storage.encryption.enabled: false in the node config.",
  };
  const hint = hints[error.code];
  return hint === undefined ? error : new KvError(error.code, `${error.message} ${hint}`, { cause: error });
}
