import { openLevelKv } from "./level.js";
import { openLmdbKv } from "./lmdb.js";
import type { KvStore } from "./store.js";

export const KvEngine = { level: "level", lmdb: "lmdb" } as const;
export type KvEngine = (typeof KvEngine)[keyof typeof KvEngine];

/**
 * The engine a node uses unless its config says otherwise. LevelDB won the block-commit benchmarks
 * (`packages/kv/bench/commit.bench.ts` and `packages/state/bench/commit.bench.ts`, figures in
 * docs/spec/storage.md): a durable block batch costs a third to a half of LMDB's, mostly off the main thread,
 * because LMDB rewrites a 4 KiB page per randomly placed key (trie nodes and flat records are keyed by hash) and
 * runs the whole commit synchronously. LMDB's synchronous point reads are 2.5–5x faster; the state caches absorb
 * most of those on the execution path, and `{ engine: "lmdb" }` remains available for read-heavy nodes.
 */
export const KV_ENGINE_DEFAULT: KvEngine = KvEngine.level;

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
