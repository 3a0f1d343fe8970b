import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface CPUProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function's time is attributed, from the file it lives in. */
function category(url: string, fn: string): string {
  if (fn === "(garbage collector)") return "GC";
  if (fn === "(idle)") return "idle";
  if (fn === "(program)") return "native / runtime";
  const rules: [RegExp, string][] = [
    [/@ethereumjs\/evm/, "EVM interpreter"],
    [/@ethereumjs\/(util|common|rlp)/, "ethereumjs util/rlp"],
    [/secp256k1|packages\/crypto\/src\/(ecdsa|ecrecover|secp)/, "signatures (secp256k1)"],
    [/@noble\/hashes|keccak/, "hashing (keccak)"],
    [/packages\/state\//, "state & trie"],
    [/classic-level|abstract-level|lmdb|packages\/kv\//, "storage (KV)"],
    [/packages\/execution\//, "execution (Charter)"],
    [/packages\/chain\//, "chain"],
    [/packages\/mempool\//, "mempool"],
    [/packages\/types\//, "codecs (tx/block)"],
    [/packages\/rpc\/|\/ws\/|node:http|_http_|node:net/, "JSON-RPC & sockets"],
    [/pino|sonic-boom/, "logging"],
    [/prom-client/, "metrics"],
  ];
  for (const [re, name] of rules) if (re.test(url)) return name;
  if (url.startsWith("node:") || url === "") return "node internals";
  return "other";
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly categories: { name: string; ms: number; share: number }[];
  readonly functions: { name: string; ms: number; share: number }[];
}

/** Sums self time per category and per function over every `.cpuprofile` in `dir`, idle excluded. */
export function summarizeProfiles(dir: string): ProfileSummary {
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CPUProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const node = nodes.get(id);
      if (!node) return;
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      const { functionName, url, lineNumber } = node.callFrame;
      const cat = category(url, functionName);
      if (cat === "idle") return;
      total += ms;
      byCategory.set(cat, (byCategory.get(cat) ?? 0) + ms);
      const short = url.replace(/^.*node_modules\//, "").replace(/^.*\/packages\//, "packages/");
      const key = `${functionName || "(anonymous)"} ${short}:${lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    });
  }
  const sorted = (map: Map<string, number>, limit: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, ms]) => ({
        name,
        ms: Math.round(ms),
        share: total ? Math.round((ms / total) * 1000) / 10 : 0,
      }));
  return {
    totalMs: Math.round(total),
    categories: sorted(byCategory, 20),
    functions: sorted(byFunction, 15),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = [`node CPU time (idle excluded): ${summary.totalMs} ms`, "by category:"];
  for (const c of summary.categories) lines.push(`  ${c.share.toFixed(1).padStart(5)}%  ${c.name}`);
  lines.push("top functions (self time):");
  for (const f of summary.functions) lines.push(`  ${f.share.toFixed(1).padStart(5)}%  ${f.name}`);
  return lines.join("\n");
}
