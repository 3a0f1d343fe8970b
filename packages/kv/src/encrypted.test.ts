import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAtRestCipher } from "@charter/crypto";
import { bytesToHex, utf8ToBytes } from "@charter/utils";
import { afterAll, describe, expect, it } from "vitest";
import {
  checkKvNotEncrypted,
  createEncryptedKvStore,
  isKvEncrypted,
  KV_ENCRYPTION_CHECK_KEY,
  openEncryptedKvStore,
} from "./encrypted.js";
import { ENCRYPTION_KEY_BYTES, readEncryptionKeyFile, writeEncryptionKeyFile } from "./encryptionKeyFile.js";
import { KvError } from "./errors.js";
import { openLevelKv } from "./level.js";
import { createMemoryKv } from "./memory.js";
import type { KvRange, KvStore } from "./store.js";

const work = mkdtempSync(join(tmpdir(), "charter-kv-encrypted-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const keyA = new Uint8Array(32).fill(0xa1);
const keyB = new Uint8Array(32).fill(0xb2);
const ecdsa = (masterKey: Uint8Array) => createAtRestCipher({ suite: "ecdsa", masterKey });
const sm = (masterKey: Uint8Array) => createAtRestCipher({ suite: "sm", masterKey });
const b = (...bytes: number[]) => Uint8Array.from(bytes);

async function dump(kv: KvStore): Promise<string[]> {
  const out: string[] = [];
  for await (const [key, value] of kv.iterate({})) out.push(`${bytesToHex(key)}=${bytesToHex(value)}`);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<KvError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KvError);
  return error as KvError;
}

function thrown(run: () => unknown): KvError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KvError);
    return error as KvError;
  }
  throw new Error("expected a KvError");
}

describe("encrypted KV store", () => {
  it("writes sealed values under clear keys, and reads them back opened", async () => {
    const inner = createMemoryKv();
    const kv = await openEncryptedKvStore(inner, ecdsa(keyA));
    const value = utf8ToBytes("the balance of alice is 1000");
    await kv.write([
      { type: "put", key: b(0x11, 1), value },
      { type: "put", key: b(0x11, 2), value: new Uint8Array(0) },
    ]);
    expect(kv.getSync(b(0x11, 1))).toEqual(value);
    expect(await kv.get(b(0x11, 2))).toEqual(new Uint8Array(0));
    const raw = inner.getSync(b(0x11, 1))!;
    expect(raw.length).toBe(value.length + 29);
    expect(bytesToHex(raw)).not.toContain(bytesToHex(value).slice(2));
    expect(inner.getSync(b(0x11, 2))!.length).toBe(29);
    // Keys stay in the clear and in order; the check record is the only extra entry.
    expect((await dump(inner)).map((e) => e.split("=")[0])).toEqual([
      bytesToHex(KV_ENCRYPTION_CHECK_KEY),
      "0x1101",
      "0x1102",
    ]);
    expect(await dump(kv)).toEqual([`0x1101=${bytesToHex(value)}`, "0x1102=0x"]);
  });

  it("opens again with the same key and refuses another key without reading or writing", async () => {
    const dir = join(work, "wrong-key");
    const first = await openEncryptedKvStore(await openLevelKv(dir), sm(keyA), { location: dir });
    await first.write([{ type: "put", key: b(0xc5), value: utf8ToBytes("head") }]);
    await first.close();

    const inner = await openLevelKv(dir);
    const before = await dump(inner);
    const error = await rejection(openEncryptedKvStore(inner, sm(keyB), { location: dir }));
    expect(error.code).toBe("wrong-key");
    expect(error.message).toContain(`The storage encryption key does not match the data directory ${dir}`);
    expect(error.message).toContain("No data was read");
    expect(error.message).not.toContain(bytesToHex(keyB).slice(2, 10));
    expect(await dump(inner)).toEqual(before);

    const again = await openEncryptedKvStore(inner, sm(keyA), { location: dir });
    expect(again.getSync(b(0xc5))).toEqual(utf8ToBytes("head"));
    await again.close();
  });

  it("refuses a store encrypted with the other algorithm, naming both", async () => {
    const inner = createMemoryKv();
    await openEncryptedKvStore(inner, sm(keyA));
    const error = await rejection(openEncryptedKvStore(inner, ecdsa(keyA)));
    expect(error.code).toBe("wrong-algorithm");
    expect(error.message).toContain("sm4-ctr+hmac-sm3/v1");
    expect(error.message).toContain("aes-256-gcm/v1");
  });

  it("refuses to encrypt a store that holds plain data, and leaves it as it was", async () => {
    const inner = createMemoryKv();
    await inner.write([{ type: "put", key: b(0xc5), value: b(1, 2, 3) }]);
    const error = await rejection(openEncryptedKvStore(inner, ecdsa(keyA), { location: "/data/db" }));
    expect(error.code).toBe("unencrypted-store");
    expect(error.message).toContain("/data/db holds data written without encryption");
    expect(await dump(inner)).toEqual(["0xc5=0x010203"]);
    expect(await isKvEncrypted(inner)).toBe(false);
  });

  it("lets the plain path detect an encrypted store with one read", async () => {
    const inner = createMemoryKv();
    await checkKvNotEncrypted(inner);
    await inner.write([{ type: "put", key: b(0xc5), value: b(1) }]);
    await checkKvNotEncrypted(inner);

    const encrypted = createMemoryKv();
    await openEncryptedKvStore(encrypted, sm(keyA));
    expect(await isKvEncrypted(encrypted)).toBe(true);
    const error = await rejection(checkKvNotEncrypted(encrypted, { location: "/data/db" }));
    expect(error.code).toBe("encrypted-store");
    expect(error.message).toContain("/data/db is encrypted (sm4-ctr+hmac-sm3/v1)");
    expect(error.message).toContain("no storage encryption key is configured");
  });

  it("refuses a malformed check record as corrupt", async () => {
    for (const value of [new Uint8Array(0), b(0x02, 3, 1, 2, 3, 4), b(0x01, 0, 1), b(0x01, 40, 1, 2)]) {
      const inner = createMemoryKv();
      await inner.write([{ type: "put", key: KV_ENCRYPTION_CHECK_KEY, value }]);
      expect((await rejection(openEncryptedKvStore(inner, ecdsa(keyA)))).code).toBe("corrupt");
      expect((await rejection(checkKvNotEncrypted(inner))).code).toBe("corrupt");
    }
  });

  it("reports a tampered value, and values swapped between keys, as corrupt", async () => {
    const inner = createMemoryKv();
    const kv = await openEncryptedKvStore(inner, ecdsa(keyA));
    await kv.write([
      { type: "put", key: b(0x11, 1), value: utf8ToBytes("alice: 5") },
      { type: "put", key: b(0x11, 2), value: utf8ToBytes("bob: 500") },
      { type: "put", key: b(0x11, 3), value: utf8ToBytes("carol: 7") },
    ]);
    const one = inner.getSync(b(0x11, 1))!;
    const two = inner.getSync(b(0x11, 2))!;
    await inner.write([
      { type: "put", key: b(0x11, 1), value: two },
      { type: "put", key: b(0x11, 2), value: one },
    ]);
    const swapped = thrown(() => kv.getSync(b(0x11, 1)));
    expect(swapped.code).toBe("corrupt");
    expect(swapped.message).toContain("under key 0x1101");
    expect((await rejection(kv.get(b(0x11, 2)))).code).toBe("corrupt");

    const three = inner.getSync(b(0x11, 3))!;
    three[three.length - 20]! ^= 0x04;
    await inner.write([{ type: "put", key: b(0x11, 3), value: three }]);
    expect(thrown(() => kv.getSync(b(0x11, 3))).code).toBe("corrupt");
    expect((await rejection(dump(kv))).code).toBe("corrupt");
  });

  it("keeps the check record out of reach: no reads, no writes, skipped by iteration and limits", async () => {
    const inner = createMemoryKv();
    const kv = await openEncryptedKvStore(inner, ecdsa(keyA));
    await kv.write([
      { type: "put", key: b(0x0e), value: b(1) },
      { type: "put", key: b(0x10), value: b(2) },
    ]);
    const record = inner.getSync(KV_ENCRYPTION_CHECK_KEY);
    expect(thrown(() => kv.getSync(KV_ENCRYPTION_CHECK_KEY)).code).toBe("invalid-key");
    expect((await rejection(kv.get(KV_ENCRYPTION_CHECK_KEY))).code).toBe("invalid-key");
    const write = kv.write([
      { type: "put", key: b(0x20), value: b(3) },
      { type: "del", key: KV_ENCRYPTION_CHECK_KEY },
    ]);
    expect((await rejection(write)).code).toBe("invalid-key");
    expect(inner.getSync(KV_ENCRYPTION_CHECK_KEY)).toEqual(record);
    expect(kv.getSync(b(0x20))).toBeUndefined();

    const keys = async (range: KvRange): Promise<string[]> => {
      const out: string[] = [];
      for await (const [key] of kv.iterate(range)) out.push(bytesToHex(key));
      return out;
    };
    expect(await keys({ gte: b(0x0f), limit: 1 })).toEqual(["0x10"]);
    expect(await keys({ lt: b(0x10), reverse: true, limit: 1 })).toEqual(["0x0e"]);
    expect(await keys({ gte: b(0x0e), lt: b(0x11), limit: 2 })).toEqual(["0x0e", "0x10"]);
    expect(await keys({ gte: KV_ENCRYPTION_CHECK_KEY, lt: b(0x10) })).toEqual([]);
    expect(await keys({ limit: 0 })).toEqual([]);
  });

  it("createEncryptedKvStore alone does not check or write the check record", async () => {
    const inner = createMemoryKv();
    const kv = createEncryptedKvStore(inner, ecdsa(keyA));
    await kv.write([{ type: "put", key: b(1), value: b(2) }]);
    expect(await isKvEncrypted(inner)).toBe(false);
    expect(kv.getSync(b(1))).toEqual(b(2));
  });
});

describe("storage encryption key files", () => {
  it("are created with 32 random bytes in hex, mode 0600, and never overwritten", () => {
    const path = join(work, "storage.key");
    writeEncryptionKeyFile(path);
    const text = readFileSync(path, "utf8");
    expect(text).toMatch(/^[0-9a-f]{64}\n$/);
    if (process.platform !== "win32") expect(statSync(path).mode & 0o777).toBe(0o600);
    const key = readEncryptionKeyFile(path);
    expect(key.length).toBe(ENCRYPTION_KEY_BYTES);
    expect(bytesToHex(key)).toBe(`0x${text.trim()}`);

    const error = thrown(() => writeEncryptionKeyFile(path));
    expect(error.code).toBe("key-file");
    expect(error.message).toContain("never overwritten");
    expect(readFileSync(path, "utf8")).toBe(text);

    const other = join(work, "other.key");
    writeEncryptionKeyFile(other);
    expect(readFileSync(other, "utf8")).not.toBe(text);
  });

  it("are read with or without 0x and refused when other users can read them or they are not a key", () => {
    const path = join(work, "manual.key");
    const hex = `0x${"0123456789abcdef".repeat(4)}`;
    writeFileSync(path, `  ${hex}\n`, { mode: 0o600 });
    expect(bytesToHex(readEncryptionKeyFile(path))).toBe(hex);

    if (process.platform !== "win32") {
      chmodSync(path, 0o640);
      const loose = thrown(() => readEncryptionKeyFile(path));
      expect(loose.code).toBe("key-file");
      expect(loose.message).toContain("mode 640");
      expect(loose.message).toContain(`chmod 600 ${path}`);
      chmodSync(path, 0o600);
    }

    const secretish = "ab".repeat(31);
    writeFileSync(path, secretish, { mode: 0o600 });
    const short = thrown(() => readEncryptionKeyFile(path));
    expect(short.message).toContain("64 hex digits; it holds 62 characters");
    expect(short.message).not.toContain(secretish);
    writeFileSync(path, "zz".repeat(32), { mode: 0o600 });
    expect(thrown(() => readEncryptionKeyFile(path)).message).toContain("not all of them hex digits");
    expect(thrown(() => readEncryptionKeyFile(join(work, "missing.key"))).code).toBe("key-file");
    expect(thrown(() => readEncryptionKeyFile(work)).message).toContain("not a regular file");
  });
});
