import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CRASH_KEYS, CRASH_MARKER_KEY, crashCounter, crashKey, crashValue } from "./crashChild.js";
import { KV_ENGINE_DEFAULT, KvEngine, openKv } from "./open.js";

const CHILD = fileURLToPath(new URL("./crashChild.ts", import.meta.url));
/** Batches the child must acknowledge before the kill timer starts, so every round kills a busy writer. */
const ACKS_BEFORE_KILL = 3;
const KILL_DELAY_MS_MAX = 150;
const CHILD_TIMEOUT_MS = 15_000;

/**
 * Starts the writer on `dir`, waits until it has acknowledged a few batches, kills it with SIGKILL after a
 * random delay, and returns the highest acknowledged counter.
 */
async function runAndKill(engine: KvEngine, dir: string): Promise<number> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, engine, dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let acked = 0;
  let firstAck: number | undefined;
  let stderr = "";
  let buffered = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise<number>((resolve, reject) => {
    const timeout = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`crash child made no progress in ${CHILD_TIMEOUT_MS} ms: ${stderr}`));
    }, CHILD_TIMEOUT_MS);
    let killScheduled = false;
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) acked = Math.max(acked, Number(line));
      firstAck ??= acked;
      if (!killScheduled && acked - firstAck >= ACKS_BEFORE_KILL) {
        killScheduled = true;
        setTimeout(() => child.kill("SIGKILL"), Math.random() * KILL_DELAY_MS_MAX);
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timeout);
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`crash child exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

async function crashRounds(engine: KvEngine, rounds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `charter-kv-crash-${engine}-`));
  try {
    let previous = 0;
    for (let round = 0; round < rounds; round++) {
      const acked = await runAndKill(engine, dir);
      // The store must open cleanly after a SIGKILL at an arbitrary point.
      const kv = await openKv(dir, { engine });
      try {
        const marker = kv.getSync(CRASH_MARKER_KEY);
        expect(marker).toBeDefined();
        const counter = crashCounter(marker!);
        // Every acknowledged batch is there; at most the one in flight beyond it.
        expect(counter).toBeGreaterThanOrEqual(acked);
        expect(counter).toBeLessThanOrEqual(acked + 1);
        expect(counter).toBeGreaterThan(previous);
        // All keys agree with the marker: the last batch is wholly present, none of it torn.
        for (let i = 0; i < CRASH_KEYS; i++) expect(kv.getSync(crashKey(i))).toEqual(crashValue(counter, i));
        // And the store still takes writes.
        await kv.write([{ type: "put", key: CRASH_MARKER_KEY, value: crashValue(counter, 0) }]);
        previous = counter;
      } finally {
        await kv.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("kill -9 crash safety", () => {
  it(`keeps batches atomic and acknowledged batches durable: ${KV_ENGINE_DEFAULT} (default engine)`, async () => {
    await crashRounds(KV_ENGINE_DEFAULT, 4);
  });

  const other = KV_ENGINE_DEFAULT === KvEngine.lmdb ? KvEngine.level : KvEngine.lmdb;
  it(`keeps batches atomic and acknowledged batches durable: ${other}`, async () => {
    await crashRounds(other, 2);
  });
});
