import { type NodeChain, runSeed, type Violation } from "./simulator.js";
import { twinsScenarioSpace } from "./twins.js";

/** A Twins campaign: seeds `first .. first + count − 1`, each running the scenario it picks (twins.ts). */
export interface TwinsCampaign {
  readonly first: number;
  readonly count: number;
  /** n: 4 (f = 1) or 7 (f = 2). */
  readonly validators: number;
  /** Twinned validators; more than f makes the run a negative control that must fork. */
  readonly twins: number;
  readonly heights?: number;
  /** Scripted rounds per height (default 3). */
  readonly rounds?: number;
  /** Most groups per round's partition (default 2). */
  readonly groups?: number;
  /**
   * Hold twin copies to agreement too (`SimOptions.countTwinsInAgreement`). Default: only with more than f twins,
   * where the checker must then report a fork between any two processes.
   */
  readonly countTwinsInAgreement?: boolean;
}

export interface TwinsSummary {
  readonly scenariosRun: number;
  /** Size of the scenario space; when `scenariosRun ≥ scenarioSpace` every scenario ran. */
  readonly scenarioSpace: number;
  readonly distinctScenarios: number;
  /** Seeds whose height-1 scripted rounds include a twinned proposer with its copies in different groups. */
  readonly splitLeaderScenarios: number;
  /** True when more than f validators are twinned: forks are expected (negative control). */
  readonly negativeControl: boolean;
  /** Whether the checker held twin copies to agreement, i.e. which processes "a fork" is about below. */
  readonly twinsCountedInAgreement: boolean;
  /** Every violation other than liveness (agreement, validity, double-sign, lock). */
  readonly safetyViolations: readonly Violation[];
  readonly livenessViolations: readonly Violation[];
  /** Seeds with at least one liveness violation. */
  readonly livenessFailingSeeds: readonly number[];
  /**
   * Seeds where two processes the checker holds to agreement (honest ones, and twin copies when counted) committed
   * different blocks at one height, found by comparing the final chains.
   */
  readonly forkSeeds: readonly number[];
  /** Seeds where any two processes, twin copies included, committed different blocks at one height. */
  readonly anyForkSeeds: readonly number[];
  /** Fork seeds the simulator's agreement checker reported. */
  readonly detectedForkSeeds: readonly number[];
  /** Fork seeds the checker missed: must be empty in a negative control (the checker is not blind). */
  readonly undetectedForkSeeds: readonly number[];
  /** Seeds with an agreement violation but no fork in the chains: must be empty (no false alarm). */
  readonly falseAlarmSeeds: readonly number[];
  /** Rounds from heal to the first commit after it, over the seeds that committed after heal. */
  readonly healToCommit: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Seeds with a violation or a fork (at most `SEED_REPORTS_MAX`), and every seed of a run of at most 10. */
  readonly seedReports: readonly TwinsSeedReport[];
  readonly seconds: number;
}

/** One seed of a campaign: what it ran and how it ended. */
export interface TwinsSeedReport {
  readonly seed: number;
  readonly scenario: string;
  readonly traceHash: string;
  readonly violations: readonly Violation[];
  readonly forkHeights: readonly number[];
}

const SEED_REPORTS_MAX = 1000;

/**
 * Heights at which two of the given chains hold different blocks. Independent of the simulator's checkers: it
 * compares the final chains only.
 */
export function forkHeights(chains: readonly NodeChain[]): number[] {
  const heights: number[] = [];
  const tallest = Math.max(0, ...chains.map((c) => c.blocks.length));
  for (let h = 1; h <= tallest; h++) {
    const blocks = new Set<string>();
    for (const c of chains) {
      const block = c.blocks[h - 1];
      if (block !== undefined) blocks.add(block);
    }
    if (blocks.size > 1) heights.push(h);
  }
  return heights;
}

/**
 * Runs a Twins campaign and cross-checks every seed: forks are found by comparing all final chains, independently
 * of the built-in checker, and compared with what the checker reported.
 *
 * @example
 * const s = runTwins({ first: 1, count: 100, validators: 4, twins: 1 });
 * s.safetyViolations; // []
 */
export function runTwins(campaign: TwinsCampaign): TwinsSummary {
  const started = performance.now();
  const f = Math.floor((campaign.validators - 1) / 3);
  const rounds = campaign.rounds ?? 3;
  const groups = campaign.groups ?? 2;
  const negativeControl = campaign.twins > f;
  const countTwins = campaign.countTwinsInAgreement ?? negativeControl;
  const inScope = (c: NodeChain) => c.role === "honest" || (countTwins && c.role === "twin");
  const safety: Violation[] = [];
  const liveness: Violation[] = [];
  const seeds = {
    liveness: [] as number[],
    fork: [] as number[],
    anyFork: [] as number[],
    detected: [] as number[],
    undetected: [] as number[],
    falseAlarm: [] as number[],
  };
  const scenarios = new Set<string>();
  const reports: TwinsSeedReport[] = [];
  let splitLeader = 0;
  const healRounds: number[] = [];
  for (let seed = campaign.first; seed < campaign.first + campaign.count; seed++) {
    const result = runSeed(seed, {
      validators: campaign.validators,
      heights: campaign.heights ?? 3,
      twins: campaign.twins,
      twinsRounds: rounds,
      twinsGroups: groups,
      countTwinsInAgreement: countTwins,
    });
    scenarios.add(result.twins!.description);
    if (result.healToCommitRounds !== null) healRounds.push(result.healToCommitRounds);
    if (result.twins!.splitLeaderRounds > 0) splitLeader++;
    const live = result.violations.filter((v) => v.kind === "liveness");
    const unsafe = result.violations.filter((v) => v.kind !== "liveness");
    liveness.push(...live);
    safety.push(...unsafe);
    if (live.length > 0) seeds.liveness.push(seed);
    const forks = forkHeights(result.chains.filter(inScope));
    const forked = forks.length > 0;
    const reported = unsafe.some((v) => v.kind === "agreement");
    if (forked) seeds.fork.push(seed);
    if (forkHeights(result.chains.filter((c) => c.role !== "outsider")).length > 0) seeds.anyFork.push(seed);
    if (forked && reported) seeds.detected.push(seed);
    if (forked && !reported) seeds.undetected.push(seed);
    if (!forked && reported) seeds.falseAlarm.push(seed);
    const notable = forked || result.violations.length > 0 || campaign.count <= 10;
    if (notable && reports.length < SEED_REPORTS_MAX)
      reports.push({
        seed,
        scenario: result.twins!.description,
        traceHash: result.traceHash,
        violations: result.violations,
        forkHeights: forks,
      });
  }
  healRounds.sort((a, b) => a - b);
  const at = (q: number) =>
    healRounds[Math.min(healRounds.length - 1, Math.floor(q * healRounds.length))] ?? 0;
  return {
    scenariosRun: campaign.count,
    scenarioSpace: twinsScenarioSpace({
      validators: campaign.validators,
      twins: campaign.twins,
      rounds,
      groups,
    }),
    distinctScenarios: scenarios.size,
    splitLeaderScenarios: splitLeader,
    negativeControl,
    twinsCountedInAgreement: countTwins,
    safetyViolations: safety,
    livenessViolations: liveness,
    livenessFailingSeeds: seeds.liveness,
    forkSeeds: seeds.fork,
    anyForkSeeds: seeds.anyFork,
    detectedForkSeeds: seeds.detected,
    undetectedForkSeeds: seeds.undetected,
    falseAlarmSeeds: seeds.falseAlarm,
    healToCommit: { p50: at(0.5), p99: at(0.99), max: healRounds.at(-1) ?? 0 },
    seedReports: reports,
    seconds: (performance.now() - started) / 1000,
  };
}
