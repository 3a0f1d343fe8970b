/**
 * The consensus simulator's command line: runs seeds of `runSeed` and prints seeds run, seeds/s, violations with
 * their seed, and rounds from heal to commit (p50/p99/max).
 *
 *   npm run sim -- --seeds 1000            # seeds 1..1000
 *   npm run sim -- --seed 4242             # reproduce one seed
 *   npm run sim -- --seeds 200 --validators 7 --mutation quorumTwoF
 */
import { parseArgs } from "node:util";
import type { ConsensusMutations } from "../../src/index.js";
import { runSeeds } from "./runSeeds.js";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1000" },
    seed: { type: "string" },
    first: { type: "string", default: "1" },
    validators: { type: "string", default: "4" },
    heights: { type: "string", default: "3" },
    mutation: { type: "string" },
    twins: { type: "string", default: "0" },
    "real-crypto": { type: "boolean", default: false },
  },
});

const mutationNames = [
  "quorumTwoF",
  "forgetLockOnRestart",
  "skipSignatureCheck",
  "countVotesTwice",
  "acceptNonValidatorVotes",
];
if (values.mutation !== undefined && !mutationNames.includes(values.mutation)) {
  process.stderr.write(`Unknown --mutation ${values.mutation}; use one of ${mutationNames.join(", ")}.\n`);
  process.exit(2);
}
const mutations: ConsensusMutations = values.mutation === undefined ? {} : { [values.mutation]: true };
const first = values.seed === undefined ? Number(values.first) : Number(values.seed);
const count = values.seed === undefined ? Number(values.seeds) : 1;
const summary = runSeeds({
  first,
  count,
  options: {
    validators: Number(values.validators),
    heights: Number(values.heights),
    mutations,
    twins: Number(values.twins),
    realCrypto: values["real-crypto"],
  },
});
process.stdout.write(
  `seeds run: ${summary.seedsRun} (from ${first})\nseeds/s: ${summary.seedsPerSecond.toFixed(1)}\n` +
    `violations: ${summary.violations.length}\n` +
    summary.violations
      .slice(0, 20)
      .map((v) => `  seed ${v.seed} ${v.kind} at ${v.atMs} ms: ${v.detail}\n`)
      .join("") +
    `heal-to-commit rounds: p50 ${summary.healToCommit.p50} p99 ${summary.healToCommit.p99} max ${summary.healToCommit.max}\n`,
);
process.exit(summary.violations.length === 0 ? 0 : 1);
