import { randomFillSync } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { bytesToHex } from "@charter/utils";
import { KvError } from "./errors.js";

/** A storage encryption key is 32 bytes, written as 64 hex digits. */
export const ENCRYPTION_KEY_BYTES = 32;

/** File permission bits for group and others: a key file must have none of them. */
const GROUP_OTHER_BITS = 0o077;

/**
 * Creates a storage encryption key file: 32 random bytes as hex and a newline, mode 0600, failing if the file
 * exists (overwriting a key would make the data it encrypted unreadable). `charter init` and `charter devnet`
 * call it for `sm` chains. Throws `KvError("key-file")`.
 *
 * @example
 * writeEncryptionKeyFile("network/node0/storage.key");
 * // node.yaml: storage: { encryption: { keyFile: ./storage.key } }
 */
export function writeEncryptionKeyFile(path: string): void {
  const key = randomFillSync(new Uint8Array(ENCRYPTION_KEY_BYTES));
  const text = `${bytesToHex(key).slice(2)}\n`;
  key.fill(0);
  let fd: number;
  try {
    // "wx": create exclusively. The mode is applied at creation, before any byte is written.
    fd = openSync(path, "wx", 0o600);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "EEXIST"
        ? "it already exists, and a key is never overwritten (the data it encrypts would be lost); remove it first if it is really unused"
        : (error as Error).message;
    throw new KvError("key-file", `Cannot create the storage encryption key file ${path}: ${reason}.`, {
      cause: error,
    });
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a storage encryption key file: 64 hex digits (an optional `0x` and surrounding whitespace allowed). Refuses
 * a file that group or others may access (on POSIX systems), saying how to fix it. Errors never include the
 * file's contents. Throws `KvError("key-file")`.
 *
 * @example
 * const masterKey = readEncryptionKeyFile("/etc/charter/storage.key");
 */
export function readEncryptionKeyFile(path: string): Uint8Array {
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new Error("it is not a regular file");
    if (process.platform !== "win32" && (stat.mode & GROUP_OTHER_BITS) !== 0) {
      throw new KvError(
        "key-file",
        `The storage encryption key file ${path} can be accessed by other users (mode ${(stat.mode & 0o777).toString(8).padStart(3, "0")}); run \`chmod 600 ${path}\` so that only the node's user can read it.`,
      );
    }
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof KvError) throw error;
    throw new KvError(
      "key-file",
      `Cannot read the storage encryption key file ${path}: ${(error as Error).message}.`,
      { cause: error },
    );
  }
  return parseEncryptionKey(text, `The storage encryption key file ${path}`);
}

/**
 * Parses a storage encryption key written as 64 hex digits (optional `0x`, surrounding whitespace ignored).
 * `source` begins the error message ("The storage encryption key file …"); the text itself is never repeated.
 * Throws `KvError("key-file")`.
 *
 * @example
 * parseEncryptionKey(stdout, "The output of the key command");
 */
export function parseEncryptionKey(text: string, source: string): Uint8Array {
  const trimmed = text.trim();
  const hex = trimmed.startsWith("0x") || trimmed.startsWith("0X") ? trimmed.slice(2) : trimmed;
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== ENCRYPTION_KEY_BYTES * 2) {
    throw new KvError(
      "key-file",
      `${source} must hold a ${ENCRYPTION_KEY_BYTES}-byte key as ${ENCRYPTION_KEY_BYTES * 2} hex digits; it holds ${trimmed.length} characters${/^[0-9a-fA-F]*$/.test(hex) ? "" : ", not all of them hex digits"}.`,
    );
  }
  const key = new Uint8Array(ENCRYPTION_KEY_BYTES);
  for (let i = 0; i < ENCRYPTION_KEY_BYTES; i++) key[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return key;
}
