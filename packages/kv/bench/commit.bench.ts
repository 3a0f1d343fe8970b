/**
 * Block-commit benchmark for the KV engines. Each block is one durable batch of `PUTS_PER_BLOCK` puts
 * (32-byte random keys, 100-byte values) plus `DELETES_PER_BLOCK` deletes of keys written by earlier blocks,
 * which is the shape of a busy block's state and index writes. After the blocks, random synchronous point reads
 * of live keys measure the execution read path.
 *
 * Run: npx tsx packages/kv/bench/commit.bench.ts [--blocks 300] [--runs 3] [--engine lmdb|level]
 *      [--puts 2000] [--deletes 200]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type KvEngine, type KvOp, openKv } from "../src/index.js";

const KEY_BYTES = 32;
const VALUE_BYTES = 100;
const READS = 200_000;

const { values: args } = parseArgs({
  options: {
    blocks: { type: "string", default: "300" },
    runs: { type: "string", default: "3" },
    engine: { type: "string" },
    puts: { type: "string", default: "2000" },
    deletes: { type: "string", default: "200" },
  },
});
const PUTS_PER_BLOCK = Number(args.puts);
const DELETES_PER_BLOCK = Number(args.deletes);
const blocks = Number(args.blocks);
const runs = Number(args.runs);
const engines: KvEngine[] = args.engine === undefined ? ["level", "lmdb"] : [args.engine as KvEngine];

/** Seeded xorshift32 so every engine and run sees the same keys. */
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

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface RunResult {
  commitsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  readsPerSec: number;
}

async function runOnce(engine: KvEngine, seed: number): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), `charter-kv-bench-${engine}-`));
  const random = createRandom(seed);
  const kv = await openKv(dir, { engine });
  const word = new Uint8Array(4);
  const randomIndex = (n: number) => new DataView(random(word).buffer).getUint32(0) % n;
  const live: Uint8Array[] = [];
  const commitMs: number[] = [];
  try {
    for (let b = 0; b < blocks; b++) {
      const ops: KvOp[] = [];
      // Deletes take random keys written by earlier blocks (swap-remove from the live list).
      for (let i = 0; i < DELETES_PER_BLOCK && live.length > 0; i++) {
        const index = randomIndex(live.length);
        const key = live[index]!;
        live[index] = live[live.length - 1]!;
        live.pop();
        ops.push({ type: "del", key });
      }
      for (let i = 0; i < PUTS_PER_BLOCK; i++) {
        const key = random(new Uint8Array(KEY_BYTES));
        ops.push({ type: "put", key, value: random(new Uint8Array(VALUE_BYTES)) });
        live.push(key);
      }
      const start = performance.now();
      await kv.write(ops);
      commitMs.push(performance.now() - start);
    }
    const totalMs = commitMs.reduce((a, b) => a + b, 0);
    const reads = Array.from({ length: READS }, () => live[randomIndex(live.length)]!);
    const readStart = performance.now();
    let found = 0;
    for (const key of reads) if (kv.getSync(key) !== undefined) found++;
    const readMs = performance.now() - readStart;
    if (found !== READS) throw new Error(`expected ${READS} live keys, found ${found}`);
    commitMs.sort((a, b) => a - b);
    return {
      commitsPerSec: (blocks * 1000) / totalMs,
      p50Ms: percentile(commitMs, 50),
      p99Ms: percentile(commitMs, 99),
      readsPerSec: (READS * 1000) / readMs,
    };
  } finally {
    await kv.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits });

console.log(
  `${blocks} blocks x (${PUTS_PER_BLOCK} puts + ${DELETES_PER_BLOCK} deletes), one durable batch each; then ${READS} random getSync reads; median of ${runs} runs`,
);
console.log("| engine | commits/s (runs) | commit p50 ms | commit p99 ms | getSync reads/s (runs) |");
console.log("|---|---|---|---|---|");
for (const engine of engines) {
  const results: RunResult[] = [];
  for (let r = 0; r < runs; r++) results.push(await runOnce(engine, 0x5eed + r));
  const commits = results.map((r) => r.commitsPerSec);
  const reads = results.map((r) => r.readsPerSec);
  console.log(
    `| ${engine} | ${fmt(median(commits), 1)} (${commits.map((c) => fmt(c, 1)).join(", ")}) | ${fmt(median(results.map((r) => r.p50Ms)), 1)} | ${fmt(median(results.map((r) => r.p99Ms)), 1)} | ${fmt(median(reads))} (${reads.map((x) => fmt(x)).join(", ")}) |`,
  );
}
