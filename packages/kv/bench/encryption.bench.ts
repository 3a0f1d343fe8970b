/**
 * Cost of encryption at rest. Part 1: `seal` and `open` per second of the two at-rest ciphers for a 32-byte value
 * (a storage slot, an account) and a 1 KiB value (a trie branch, a small block). Part 2: the same store read
 * and written through `createEncryptedKvStore` and plain: `getSync` of random live keys (the execution hot
 * path) and one durable batch of `--puts` puts (a block's commit).
 *
 * Run: npx tsx packages/kv/bench/encryption.bench.ts [--ops 200000] [--keys 100000] [--reads 200000]
 *      [--puts 10000] [--engine level|lmdb]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createAtRestCipher } from "@charter/crypto";
import {
  createEncryptedKvStore,
  type KvEngine,
  type KvOp,
  type KvStore,
  openKv,
  type ValueCipher,
} from "../src/index.js";

const { values: args } = parseArgs({
  options: {
    ops: { type: "string", default: "200000" },
    keys: { type: "string", default: "100000" },
    reads: { type: "string", default: "200000" },
    puts: { type: "string", default: "10000" },
    engine: { type: "string", default: "level" },
  },
});
const OPS = Number(args.ops);
const KEYS = Number(args.keys);
const READS = Number(args.reads);
const PUTS = Number(args.puts);
const ENGINE = args.engine as KvEngine;

const masterKey = new Uint8Array(32).fill(7);
const ciphers: Record<string, ValueCipher> = {
  sm: createAtRestCipher({ suite: "sm", masterKey }),
  ecdsa: createAtRestCipher({ suite: "ecdsa", masterKey }),
};

/** Seeded xorshift32, so every store sees the same keys. */
function createRandom(seed: number): (out: Uint8Array) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (out) => {
    for (let i = 0; i < out.length; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      for (let j = 0; j < 4 && i + j < out.length; j++) out[i + j] = (x >>> (8 * j)) & 0xff;
    }
    return out;
  };
}

function perSecond(count: number, run: () => void): number {
  const start = performance.now();
  run();
  return Math.round(count / ((performance.now() - start) / 1000));
}

function cipherRates(): void {
  const key = Uint8Array.of(0x12, ...new Uint8Array(52).fill(3));
  console.log(`cipher           value   seal/s      open/s   (${OPS} operations each)`);
  for (const [name, cipher] of Object.entries(ciphers)) {
    for (const size of [32, 1024]) {
      const value = createRandom(size)(new Uint8Array(size));
      // Warm-up, so the JIT and OpenSSL's contexts are ready.
      for (let i = 0; i < 20_000; i++) cipher.open(key, cipher.seal(key, value));
      const sealed = cipher.seal(key, value);
      const seal = perSecond(OPS, () => {
        for (let i = 0; i < OPS; i++) cipher.seal(key, value);
      });
      const open = perSecond(OPS, () => {
        for (let i = 0; i < OPS; i++) cipher.open(key, sealed);
      });
      console.log(
        `${cipher.algorithm.padEnd(20)} ${String(size).padStart(5)} ${String(seal).padStart(9)} ${String(open).padStart(11)}`,
      );
      void name;
    }
  }
}

async function storeRates(label: string, wrap: (kv: KvStore) => KvStore): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "charter-kv-encryption-bench-"));
  const kv = wrap(await openKv(dir, { engine: ENGINE }));
  try {
    const random = createRandom(42);
    const keys: Uint8Array[] = [];
    for (let loaded = 0; loaded < KEYS; ) {
      const ops: KvOp[] = [];
      for (let i = 0; i < 10_000 && loaded < KEYS; i++, loaded++) {
        const key = random(new Uint8Array(32));
        keys.push(key);
        ops.push({ type: "put", key, value: random(new Uint8Array(100)) });
      }
      await kv.write(ops, { sync: false });
    }
    const pick = createRandom(7);
    const index = new Uint32Array(1);
    const reads = perSecond(READS, () => {
      for (let i = 0; i < READS; i++) kv.getSync(keys[pick(new Uint8Array(index.buffer))[0]! % keys.length]!);
    });
    const batch: KvOp[] = Array.from({ length: PUTS }, () => ({
      type: "put",
      key: random(new Uint8Array(32)),
      value: random(new Uint8Array(100)),
    }));
    const start = performance.now();
    await kv.write(batch);
    const commitMs = performance.now() - start;
    console.log(
      `${label.padEnd(30)} getSync ${String(reads).padStart(8)}/s   durable batch of ${PUTS} puts ${commitMs.toFixed(1)} ms`,
    );
  } finally {
    await kv.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

cipherRates();
console.log(`\n${ENGINE}, ${KEYS} keys of 32 bytes with 100-byte values, ${READS} random reads`);
await storeRates("plain", (kv) => kv);
for (const cipher of Object.values(ciphers))
  await storeRates(cipher.algorithm, (kv) => createEncryptedKvStore(kv, cipher));
