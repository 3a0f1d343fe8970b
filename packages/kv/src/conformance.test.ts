import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAtRestCipher } from "@charter/crypto";
import { afterEach, describe, expect, it } from "vitest";
import { openEncryptedKvStore } from "./encrypted.js";
import { KvError } from "./errors.js";
import { openLevelKv } from "./level.js";
import { openLmdbKv } from "./lmdb.js";
import { createMemoryKv } from "./memory.js";
import { KV_KEY_BYTES_MAX, type KvRange, type KvStore } from "./store.js";

/** One engine under test: `open` returns a store for `dir` (ignored by the memory engine). */
interface Engine {
  readonly name: string;
  readonly persistent: boolean;
  open(dir: string): Promise<KvStore>;
}

/** A fixed master key: reopening a directory must find the key it was created with. */
const masterKey = new Uint8Array(32).fill(0x42);

const engines: Engine[] = [
  { name: "memory", persistent: false, open: async () => createMemoryKv() },
  { name: "level", persistent: true, open: openLevelKv },
  { name: "lmdb", persistent: true, open: openLmdbKv },
  // The encrypted store must be indistinguishable from its engine through the interface.
  {
    name: "encrypted aes-256-gcm over memory",
    persistent: false,
    open: async () =>
      openEncryptedKvStore(createMemoryKv(), createAtRestCipher({ suite: "ecdsa", masterKey })),
  },
  {
    name: "encrypted sm4+hmac-sm3 over level",
    persistent: true,
    open: async (dir) =>
      openEncryptedKvStore(await openLevelKv(dir), createAtRestCipher({ suite: "sm", masterKey }), {
        location: dir,
      }),
  },
  {
    name: "encrypted aes-256-gcm over lmdb",
    persistent: true,
    open: async (dir) =>
      openEncryptedKvStore(await openLmdbKv(dir), createAtRestCipher({ suite: "ecdsa", masterKey }), {
        location: dir,
      }),
  },
];

const b = (...bytes: number[]) => Uint8Array.from(bytes);

async function collect(kv: KvStore, range: KvRange): Promise<string[]> {
  const out: string[] = [];
  for await (const [key, value] of kv.iterate(range))
    out.push(`${[...key].join(".")}=${[...value].join(".")}`);
  return out;
}

async function expectKvError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KvError);
  expect((error as KvError).code).toBe(code);
}

describe.each(engines)("KvStore conformance: $name", (engine) => {
  const dirs: string[] = [];
  const stores: KvStore[] = [];

  async function fresh(): Promise<{ kv: KvStore; dir: string }> {
    const dir = mkdtempSync(join(tmpdir(), `charter-kv-${engine.name}-`));
    dirs.push(dir);
    const kv = await engine.open(dir);
    stores.push(kv);
    return { kv, dir };
  }

  afterEach(async () => {
    for (const kv of stores.splice(0)) await kv.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("puts, gets and deletes", async () => {
    const { kv } = await fresh();
    expect(kv.getSync(b(1))).toBeUndefined();
    expect(await kv.get(b(1))).toBeUndefined();
    await kv.write([{ type: "put", key: b(1), value: b(10, 11) }]);
    expect(kv.getSync(b(1))).toEqual(b(10, 11));
    expect(await kv.get(b(1))).toEqual(b(10, 11));
    await kv.write([{ type: "put", key: b(1), value: b(12) }]);
    expect(kv.getSync(b(1))).toEqual(b(12));
    await kv.write([{ type: "del", key: b(1) }]);
    expect(kv.getSync(b(1))).toBeUndefined();
    // Deleting a missing key is not an error.
    await kv.write([{ type: "del", key: b(9) }]);
  });

  it("stores empty values and returns plain Uint8Arrays the caller owns", async () => {
    const { kv } = await fresh();
    await kv.write([
      { type: "put", key: b(1), value: new Uint8Array(0) },
      { type: "put", key: b(2), value: b(7, 8, 9) },
    ]);
    expect(kv.getSync(b(1))).toEqual(new Uint8Array(0));
    const value = kv.getSync(b(2))!;
    expect(Object.getPrototypeOf(value)).toBe(Uint8Array.prototype);
    value[0] = 99;
    expect(kv.getSync(b(2))).toEqual(b(7, 8, 9));
  });

  it("applies a batch in order, later operations winning", async () => {
    const { kv } = await fresh();
    await kv.write([
      { type: "put", key: b(1), value: b(1) },
      { type: "del", key: b(1) },
      { type: "del", key: b(2) },
      { type: "put", key: b(2), value: b(2) },
      { type: "put", key: b(3), value: b(3) },
      { type: "put", key: b(3), value: b(4) },
    ]);
    expect(kv.getSync(b(1))).toBeUndefined();
    expect(kv.getSync(b(2))).toEqual(b(2));
    expect(kv.getSync(b(3))).toEqual(b(4));
  });

  it("rejects a batch with an invalid key without applying any of it", async () => {
    const { kv } = await fresh();
    await kv.write([{ type: "put", key: b(1), value: b(1) }]);
    await expectKvError(
      kv.write([
        { type: "put", key: b(1), value: b(2) },
        { type: "put", key: b(2), value: b(2) },
        { type: "put", key: new Uint8Array(0), value: b(3) },
      ]),
      "invalid-key",
    );
    await expectKvError(
      kv.write([
        { type: "del", key: b(1) },
        { type: "put", key: new Uint8Array(KV_KEY_BYTES_MAX + 1), value: b(3) },
      ]),
      "invalid-key",
    );
    expect(kv.getSync(b(1))).toEqual(b(1));
    expect(kv.getSync(b(2))).toBeUndefined();
    expect(() => kv.getSync(new Uint8Array(0))).toThrow(KvError);
    // The longest allowed key works on every engine.
    const longest = new Uint8Array(KV_KEY_BYTES_MAX).fill(0xab);
    await kv.write([{ type: "put", key: longest, value: b(5) }]);
    expect(kv.getSync(longest)).toEqual(b(5));
  });

  it("orders binary keys bytewise, including 0x00 and 0xff bytes and prefixes", async () => {
    const { kv } = await fresh();
    const keys = [
      b(0x00),
      b(0x00, 0x00),
      b(0x00, 0xff),
      b(0x01),
      b(0x7f),
      b(0x80),
      b(0xff),
      b(0xff, 0x00),
      b(0xff, 0xff),
    ];
    // Written in a scrambled order, read back sorted.
    const scrambled = [...keys].reverse();
    [scrambled[1], scrambled[5]] = [scrambled[5]!, scrambled[1]!];
    await kv.write(scrambled.map((key, i) => ({ type: "put" as const, key, value: b(i) })));
    const all = await collect(kv, {});
    expect(all.map((e) => e.split("=")[0])).toEqual(keys.map((k) => [...k].join(".")));
    for (const key of keys) expect(kv.getSync(key)).toBeDefined();
    expect(kv.getSync(b(0xff, 0xff, 0xff))).toBeUndefined();
  });

  it("iterates [gte, lt) forwards and backwards with limits", async () => {
    const { kv } = await fresh();
    const keys = [b(1), b(2), b(2, 0), b(2, 0xff), b(3), b(4), b(0xff)];
    await kv.write(keys.map((key) => ({ type: "put" as const, key, value: b(key[0]!) })));
    const k = async (range: KvRange) => (await collect(kv, range)).map((e) => e.split("=")[0]);

    expect(await k({ gte: b(2), lt: b(4) })).toEqual(["2", "2.0", "2.255", "3"]);
    expect(await k({ gte: b(2), lt: b(4), reverse: true })).toEqual(["3", "2.255", "2.0", "2"]);
    // Bounds that are not stored keys.
    expect(await k({ gte: b(2, 1), lt: b(3, 5) })).toEqual(["2.255", "3"]);
    expect(await k({ gte: b(2, 1), lt: b(3, 5), reverse: true })).toEqual(["3", "2.255"]);
    // A prefix scan of 0x02.
    expect(await k({ gte: b(2), lt: b(3) })).toEqual(["2", "2.0", "2.255"]);
    // Open ends.
    expect(await k({ gte: b(4) })).toEqual(["4", "255"]);
    expect(await k({ lt: b(2) })).toEqual(["1"]);
    expect(await k({ lt: b(2, 0), reverse: true })).toEqual(["2", "1"]);
    expect(await k({ gte: b(4), reverse: true })).toEqual(["255", "4"]);
    expect(await k({ reverse: true, limit: 2 })).toEqual(["255", "4"]);
    expect(await k({ limit: 3 })).toEqual(["1", "2", "2.0"]);
    expect(await k({ gte: b(2), lt: b(4), reverse: true, limit: 1 })).toEqual(["3"]);
    expect(await k({ limit: 0 })).toEqual([]);
    // Empty and inverted ranges.
    expect(await k({ gte: b(5), lt: b(6) })).toEqual([]);
    expect(await k({ gte: b(4), lt: b(2) })).toEqual([]);
    expect(await k({ gte: b(4), lt: b(2), reverse: true })).toEqual([]);
    // Values come back with their keys.
    expect(await collect(kv, { gte: b(0xff) })).toEqual(["255=255"]);
  });

  it("iterates over a snapshot taken when iteration starts", async () => {
    const { kv } = await fresh();
    await kv.write([1, 2, 3].map((i) => ({ type: "put" as const, key: b(i), value: b(i) })));
    const seen: string[] = [];
    for await (const [key] of kv.iterate({})) {
      seen.push([...key].join("."));
      if (seen.length === 1) {
        await kv.write([
          { type: "del", key: b(3) },
          { type: "put", key: b(4), value: b(4) },
        ]);
      }
    }
    expect(seen).toEqual(["1", "2", "3"]);
    expect(await collect(kv, {})).toEqual(["1=1", "2=2", "4=4"]);
  });

  it("throws a closed error after close", async () => {
    const { kv } = await fresh();
    await kv.write([{ type: "put", key: b(1), value: b(1) }]);
    await kv.close();
    expect(() => kv.getSync(b(1))).toThrow(KvError);
    try {
      kv.getSync(b(1));
    } catch (error) {
      expect((error as KvError).code).toBe("closed");
      expect((error as KvError).message).toMatch(/closed/);
    }
    await expectKvError(kv.get(b(1)), "closed");
    await expectKvError(kv.write([{ type: "put", key: b(1), value: b(1) }]), "closed");
    await expectKvError(collect(kv, {}), "closed");
    // Closing twice is harmless.
    await kv.close();
  });

  if (engine.persistent)
    it("keeps committed batches across close and reopen", async () => {
      const { kv, dir } = await fresh();
      const ops = Array.from({ length: 500 }, (_, i) => ({
        type: "put" as const,
        key: b(i >> 8, i & 0xff, 0x00),
        value: b(i & 0xff, 0xff),
      }));
      await kv.write(ops);
      await kv.write([
        { type: "del", key: b(0, 7, 0) },
        { type: "put", key: b(0xff), value: b(1) },
      ]);
      // Non-durable writes are still applied atomically and survive a clean close.
      await kv.write([{ type: "put", key: b(0xfe), value: b(2) }], { sync: false });
      await kv.close();

      const reopened = await engine.open(dir);
      stores.push(reopened);
      expect(reopened.getSync(b(0, 6, 0))).toEqual(b(6, 0xff));
      expect(reopened.getSync(b(0, 7, 0))).toBeUndefined();
      expect(reopened.getSync(b(1, 0xf3, 0))).toEqual(b(0xf3, 0xff));
      expect(reopened.getSync(b(0xff))).toEqual(b(1));
      expect(reopened.getSync(b(0xfe))).toEqual(b(2));
      expect((await collect(reopened, {})).length).toBe(501);
    });
});
