/**
 * Child process for `crash.test.ts`: writes numbered batches to the store at `dir` until it is killed. Batch n
 * puts the counter n into every one of `CRASH_KEYS` keys and into a marker key, and the process prints n on
 * stdout once `write()` has resolved, so the parent knows which batches were acknowledged.
 *
 * Run: node --import tsx crashChild.ts <engine> <dir>
 */
import { KvEngine, openKv } from "./open.js";
import type { KvOp } from "./store.js";

/** Enough keys and bytes (about 100 KB per batch) that a kill often lands in the middle of a write. */
export const CRASH_KEYS = 200;
export const CRASH_VALUE_BYTES = 512;
export const CRASH_MARKER_KEY = Uint8Array.of(0x00);

export function crashKey(i: number): Uint8Array {
  return Uint8Array.of(0x01, i >> 8, i & 0xff);
}

/** The counter in the first 8 bytes, then filler that differs per key so values are not all identical. */
export function crashValue(counter: number, i: number): Uint8Array {
  const value = new Uint8Array(CRASH_VALUE_BYTES).fill(i & 0xff);
  new DataView(value.buffer).setBigUint64(0, BigInt(counter));
  return value;
}

export function crashCounter(value: Uint8Array): number {
  return Number(new DataView(value.buffer, value.byteOffset, value.byteLength).getBigUint64(0));
}

async function main(): Promise<void> {
  const [engine, dir] = process.argv.slice(2);
  if ((engine !== KvEngine.lmdb && engine !== KvEngine.level) || dir === undefined) {
    throw new Error("usage: crashChild.ts <lmdb|level> <dir>");
  }
  const kv = await openKv(dir, { engine });
  const marker = kv.getSync(CRASH_MARKER_KEY);
  let counter = marker === undefined ? 0 : crashCounter(marker);
  for (;;) {
    counter++;
    const ops: KvOp[] = [];
    for (let i = 0; i < CRASH_KEYS; i++)
      ops.push({ type: "put", key: crashKey(i), value: crashValue(counter, i) });
    ops.push({ type: "put", key: CRASH_MARKER_KEY, value: crashValue(counter, 0) });
    await kv.write(ops);
    process.stdout.write(`${counter}\n`);
  }
}

if (process.argv[1]?.endsWith("crashChild.ts")) await main();
