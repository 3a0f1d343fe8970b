import { openLevelKv } from "./level.js";
import { openLmdbKv } from "./lmdb.js";
import type { KvStore } from "./store.js";

export const KvEngine = { level: "level", lmdb: "lmdb" } as const;
export type KvEngine = (typeof KvEngine)[keyof typeof KvEngine];

/**
 * The engine a node uses unless its config says otherwise. LMDB won the block-commit benchmark
 * (`packages/kv/bench/commit.bench.ts`, figures in docs/spec/storage.md): equal durable commit cost and about
 * twice the synchronous point-read rate, which is what the execution hot path spends its time on.
 */
export const KV_ENGINE_DEFAULT: KvEngine = KvEngine.lmdb;

export interface OpenKvOptions {
  readonly engine?: KvEngine;
}

/**
 * Opens the node's store at `path` (a directory) with the chosen engine. A directory written by one engine
 * cannot be read by the other.
 *
 * @example
 * const kv = await openKv("/var/lib/charter/db");
 * const value = kv.getSync(Uint8Array.of(1));
 */
export async function openKv(path: string, options: OpenKvOptions = {}): Promise<KvStore> {
  const engine = options.engine ?? KV_ENGINE_DEFAULT;
  return engine === KvEngine.lmdb ? openLmdbKv(path) : openLevelKv(path);
}
