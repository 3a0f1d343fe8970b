import { runSeed, type SimOptions, type Violation } from "./simulator.js";

export interface SeedsSummary {
  readonly seedsRun: number;
  readonly seedsPerSecond: number;
  readonly violations: readonly Violation[];
  /** Seeds (in run order) that had a violation. */
  readonly failingSeeds: readonly number[];
  readonly healToCommit: { readonly p50: number; readonly p99: number; readonly max: number };
}

/** Runs seeds `first .. first + count − 1`; stops at the first violating seed when `stopAtFirst`. */
export function runSeeds(input: {
  readonly first: number;
  readonly count: number;
  readonly options: SimOptions;
  readonly stopAtFirst?: boolean;
}): SeedsSummary {
  const started = performance.now();
  const violations: Violation[] = [];
  const failingSeeds: number[] = [];
  const rounds: number[] = [];
  let seedsRun = 0;
  for (let seed = input.first; seed < input.first + input.count; seed++) {
    const result = runSeed(seed, input.options);
    seedsRun++;
    if (result.healToCommitRounds !== null) rounds.push(result.healToCommitRounds);
    if (result.violations.length > 0) {
      violations.push(...result.violations);
      failingSeeds.push(seed);
      if (input.stopAtFirst === true) break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  rounds.sort((a, b) => a - b);
  const at = (q: number) => rounds[Math.min(rounds.length - 1, Math.floor(q * rounds.length))] ?? 0;
  return {
    seedsRun,
    seedsPerSecond: seedsRun / Math.max(seconds, 1e-9),
    violations,
    failingSeeds,
    healToCommit: { p50: at(0.5), p99: at(0.99), max: rounds.at(-1) ?? 0 },
  };
}
