/**
 * The consensus simulator's command line: runs seeds of `runSeed` and prints seeds run, seeds/s, violations with
 * their seed, and rounds from heal to commit (p50/p99/max).
 *
 *   npm run sim -- --seeds 1000            # seeds 1..1000
 *   npm run sim -- --seed 4242             # reproduce one seed
 *   npm run sim -- --seeds 200 --validators 7 --mutation quorumTwoF
 *
 * With `--twins K` it runs Twins scenarios instead (twins.ts, runTwins.ts): K validators run twice, each seed picks
 * a scenario (twinned validators, a partition per scripted round), and it prints scenarios run, safety and liveness
 * violations, and forks found by comparing every process's chain against those the checker reported. More than f
 * twins is the negative control: forks must appear and every one must be reported.
 *
 *   npm run sim -- --twins 1 --seeds 1000                  # n = 4, one twin: no violation may occur
 *   npm run sim -- --twins 2 --validators 7 --seeds 300    # n = 7, f = 2 twins
 *   npm run sim -- --twins 2 --seeds 300                   # n = 4, f+1 twins: forks, all detected
 *   npm run sim -- --twins 1 --seed 121                    # one scenario, with its description and trace hash
 */
import { parseArgs } from "node:util";
import type { ConsensusMutations } from "../../src/index.js";
import { runSeeds } from "./runSeeds.js";
import { runTwins, type TwinsSummary } from "./runTwins.js";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: "1000" },
    seed: { type: "string" },
    first: { type: "string", default: "1" },
    validators: { type: "string", default: "4" },
    heights: { type: "string", default: "3" },
    mutation: { type: "string" },
    twins: { type: "string", default: "0" },
    rounds: { type: "string", default: "3" },
    groups: { type: "string", default: "2" },
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
if (Number(values.twins) > 0) {
  const twins = runTwins({
    first,
    count,
    validators: Number(values.validators),
    twins: Number(values.twins),
    heights: Number(values.heights),
    rounds: Number(values.rounds),
    groups: Number(values.groups),
  });
  process.stdout.write(formatTwins(twins, first));
  process.exit(twinsPassed(twins) ? 0 : 1);
}
const summary = runSeeds({
  first,
  count,
  options: {
    validators: Number(values.validators),
    heights: Number(values.heights),
    mutations,
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

function percent(part: number, whole: number): string {
  const p = (100 * part) / Math.max(whole, 1);
  return `${p > 0 && p < 0.1 ? p.toPrecision(2) : p.toFixed(1)}%`;
}

/** The Twins report: scenarios, violations, forks found by chain comparison and forks the checker reported. */
function formatTwins(s: TwinsSummary, from: number): string {
  const run = s.scenariosRun;
  const coverage =
    run >= s.scenarioSpace ? "every scenario ran" : `sampled ${percent(run, s.scenarioSpace)} of the space`;
  const lines = [
    `twins scenarios run: ${run} (seeds ${from}..${from + run - 1}), ${s.negativeControl ? "negative control (more than f twins)" : "at most f twins"}`,
    `scenario space: ${s.scenarioSpace} (${coverage}); distinct scenarios: ${s.distinctScenarios}`,
    `scenarios with a twinned height-1 proposer split across groups: ${s.splitLeaderScenarios} (${percent(s.splitLeaderScenarios, run)})`,
    `safety violations: ${s.safetyViolations.length}${s.negativeControl ? " (agreement violations expected here)" : ""}`,
    `liveness violations: ${s.livenessViolations.length} in ${s.livenessFailingSeeds.length} scenarios (${percent(s.livenessFailingSeeds.length, run)})${s.negativeControl ? " (not checked here)" : ""}`,
    `forks (final chains compared, ${s.twinsCountedInAgreement ? "twin copies counted as honest" : "honest processes"}): ${s.forkSeeds.length} scenarios (${percent(s.forkSeeds.length, run)}); among all processes: ${s.anyForkSeeds.length}`,
    `forks detected by the checker: ${s.detectedForkSeeds.length} of ${s.forkSeeds.length}; missed: ${s.undetectedForkSeeds.length}; alarms without a fork: ${s.falseAlarmSeeds.length}`,
    `heal-to-commit rounds: p50 ${s.healToCommit.p50} p99 ${s.healToCommit.p99} max ${s.healToCommit.max}`,
    `scenarios/s: ${(run / Math.max(s.seconds, 1e-9)).toFixed(1)}`,
  ];
  for (const r of s.seedReports.slice(0, 20)) {
    lines.push(`  seed ${r.seed} trace ${r.traceHash}: ${r.scenario}`);
    for (const v of r.violations) lines.push(`    ${v.kind} at ${v.atMs} ms: ${v.detail}`);
    if (r.forkHeights.length > 0) lines.push(`    fork at heights ${r.forkHeights.join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}

/** At most f twins: nothing may go wrong. More: forks must appear, and the checker must report each, and only those. */
function twinsPassed(s: TwinsSummary): boolean {
  const checkerExact = s.undetectedForkSeeds.length === 0 && s.falseAlarmSeeds.length === 0;
  if (s.negativeControl) return checkerExact && s.forkSeeds.length > 0;
  return (
    checkerExact &&
    s.anyForkSeeds.length === 0 &&
    s.safetyViolations.length === 0 &&
    s.livenessViolations.length === 0
  );
}
