/**
 * Twins scenarios (Bano et al., "Twins: BFT Systems Made Robust", OPODIS 2021) for the consensus simulator.
 *
 * A twinned validator is run by two processes that hold its key and have different network identities. Each copy
 * runs the unmodified core, so together they behave like one byzantine validator: they may propose two blocks,
 * vote twice and forget each other's locks. A scenario fixes which validators are twinned and, for each of the
 * first `rounds` rounds of every height, a partition of all processes ("instances") into at most `groups` groups;
 * a message of round r < rounds crosses only between instances in the same group of round r's partition. Later
 * rounds are not partitioned, and the simulator heals the whole network at a time after the scripted rounds.
 *
 * The proposer of (height, round) is fixed by weighted round-robin, so instead of choosing leaders a scenario
 * chooses which validators are twinned and where each instance (the proposer and each twin copy included) sits.
 *
 * Scenario space = C(validators, twins) × P^rounds, with P the number of set partitions of the instances into at
 * most `groups` groups. When it has at most 2^32 members, seed s runs scenario `permute(s mod space)` for a fixed
 * pseudo-random permutation: any `space` consecutive seeds enumerate every scenario exactly once, and fewer seeds
 * are a spread-out sample. Larger spaces are sampled uniformly with the seeded PRNG. Either way the scenario is a
 * pure function of (seed, config), so `--seed S` reproduces it.
 */
import { Prng } from "./prng.js";

/** What a Twins scenario ranges over. */
export interface TwinsConfig {
  /** Validators in the set (n). */
  readonly validators: number;
  /** Validators that run twice. */
  readonly twins: number;
  /** Rounds of each height whose messages follow the scenario's partitions. */
  readonly rounds: number;
  /** Most groups in one round's partition. */
  readonly groups: number;
}

/** One Twins scenario. Instances `0..n−1` are the validators' first processes, `n + t` is the copy of `twinned[t]`. */
export interface TwinsScenario {
  readonly config: TwinsConfig;
  /** Position in the enumeration, or `null` when the space is too large to enumerate and the scenario was sampled. */
  readonly index: number | null;
  /** Validator indices that have a twin, ascending. */
  readonly twinned: readonly number[];
  /** Per scripted round, the group of each instance (a restricted growth string: group ids in first-seen order). */
  readonly partitions: readonly (readonly number[])[];
}

/** Spaces up to this size are enumerated by a seeded permutation; larger ones are sampled. */
export const TWINS_ENUMERABLE_MAX = 2 ** 32;

/** Number of scenarios for `config` (may exceed `Number.MAX_SAFE_INTEGER` only in absurd configs). */
export function twinsScenarioSpace(config: TwinsConfig): number {
  const instances = config.validators + config.twins;
  return (
    combinations(config.validators, config.twins).length *
    setPartitions(instances, config.groups).length ** config.rounds
  );
}

/**
 * The scenario that seed `seed` runs under `config`: enumerated (by a permutation of `seed mod space`) when the
 * space is at most `TWINS_ENUMERABLE_MAX`, otherwise sampled with a PRNG seeded by `seed`.
 *
 * @example
 * const s = twinsScenario(7, { validators: 4, twins: 1, rounds: 3, groups: 2 });
 * s.partitions.length; // 3
 */
export function twinsScenario(seed: number, config: TwinsConfig): TwinsScenario {
  validateConfig(config);
  const combos = combinations(config.validators, config.twins);
  const parts = setPartitions(config.validators + config.twins, config.groups);
  const space = twinsScenarioSpace(config);
  if (space <= TWINS_ENUMERABLE_MAX) {
    const index = permute(((seed % space) + space) % space, space, configKey(config));
    let rest = index;
    const twinned = combos[rest % combos.length]!;
    rest = Math.floor(rest / combos.length);
    const partitions: (readonly number[])[] = [];
    for (let r = 0; r < config.rounds; r++) {
      partitions.push(parts[rest % parts.length]!);
      rest = Math.floor(rest / parts.length);
    }
    return { config, index, twinned, partitions };
  }
  const rng = new Prng((seed ^ configKey(config)) >>> 0);
  const twinned = rng.pick(combos);
  const partitions = Array.from({ length: config.rounds }, () => rng.pick(parts));
  return { config, index: null, twinned, partitions };
}

/** Whether a message of `round` from instance `from` reaches instance `to` while the scenario is in force. */
export function twinsConnects(scenario: TwinsScenario, from: number, to: number, round: number): boolean {
  const groups = scenario.partitions[round];
  return groups === undefined || groups[from] === groups[to];
}

/** The validator index whose key instance `instance` holds. */
export function twinsKeyIndex(scenario: TwinsScenario, instance: number): number {
  const n = scenario.config.validators;
  return instance < n ? instance : scenario.twinned[instance - n]!;
}

/** Human-readable label of an instance: `v2` for a validator's first process, `v2'` for its twin copy. */
export function twinsInstanceLabel(scenario: TwinsScenario, instance: number): string {
  const copy = instance >= scenario.config.validators ? "'" : "";
  return `v${twinsKeyIndex(scenario, instance)}${copy}`;
}

/**
 * One line per scenario, e.g. `twins[v0] r0{v0 v1|v2 v3 v0'} r1{v0 v1 v2 v3 v0'}`.
 */
export function describeTwinsScenario(scenario: TwinsScenario): string {
  const instances = scenario.config.validators + scenario.twinned.length;
  const rounds = scenario.partitions.map((groups, r) => {
    const names: string[][] = [];
    for (let i = 0; i < instances; i++) {
      const group = groups[i]!;
      names[group] = [...(names[group] ?? []), twinsInstanceLabel(scenario, i)];
    }
    return `r${r}{${names.map((g) => g.join(" ")).join("|")}}`;
  });
  return `twins[${scenario.twinned.map((v) => `v${v}`).join(",")}] ${rounds.join(" ")}`;
}

function validateConfig(config: TwinsConfig): void {
  const { validators, twins, rounds, groups } = config;
  for (const [name, value] of Object.entries(config))
    if (!Number.isInteger(value) || value < 0)
      throw new RangeError(`twins config: ${name} must be an integer ≥ 0`);
  if (validators < 1 || twins > validators) throw new RangeError("twins config: need 1 ≤ twins ≤ validators");
  if (groups < 1) throw new RangeError("twins config: groups must be ≥ 1");
  if (twinsScenarioSpace(config) > Number.MAX_SAFE_INTEGER && rounds > 0)
    throw new RangeError("twins config: scenario space too large");
}

const combinationCache = new Map<string, number[][]>();

/** All k-subsets of 0..n−1 in lexicographic order. */
export function combinations(n: number, k: number): readonly (readonly number[])[] {
  const key = `${n}/${k}`;
  const cached = combinationCache.get(key);
  if (cached !== undefined) return cached;
  const out: number[][] = [];
  const pick = (start: number, chosen: number[]): void => {
    if (chosen.length === k) {
      out.push([...chosen]);
      return;
    }
    for (let i = start; i <= n - (k - chosen.length); i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);
  combinationCache.set(key, out);
  return out;
}

const partitionCache = new Map<string, number[][]>();

/**
 * All partitions of `size` labelled items into at most `groups` non-empty groups, as restricted growth strings
 * (item 0 in group 0; each item in an existing group or the next new one), in lexicographic order. Index 0 is the
 * single group: no partition.
 */
export function setPartitions(size: number, groups: number): readonly (readonly number[])[] {
  const key = `${size}/${groups}`;
  const cached = partitionCache.get(key);
  if (cached !== undefined) return cached;
  const out: number[][] = [];
  const grow = (prefix: number[], used: number): void => {
    if (prefix.length === size) {
      out.push(prefix);
      return;
    }
    for (let g = 0; g <= Math.min(used, groups - 1); g++) grow([...prefix, g], Math.max(used, g + 1));
  };
  grow([], 0);
  partitionCache.set(key, out);
  return out;
}

/** A fixed key per config, so two configs walk their spaces in unrelated orders. */
function configKey(config: TwinsConfig): number {
  return mix32(
    (config.validators * 0x1000193) ^ (config.twins << 8) ^ (config.rounds << 16) ^ (config.groups << 24),
  );
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A pseudo-random permutation of [0, space) for space ≤ 2^32: a 4-round balanced Feistel network on the smallest
 * even bit width that covers the space, with cycle walking to stay inside it.
 */
export function permute(x: number, space: number, key: number): number {
  if (space <= 1) return 0;
  const bits = Math.max(2, Math.ceil(Math.log2(space)));
  const half = Math.ceil(bits / 2);
  const mask = 2 ** half - 1;
  let y = x;
  do y = feistel(y, half, mask, key);
  while (y >= space);
  return y;
}

function feistel(x: number, half: number, mask: number, key: number): number {
  let left = Math.floor(x / 2 ** half) & mask;
  let right = x & mask;
  for (let round = 0; round < 4; round++) {
    const next = (left ^ (mix32(right ^ Math.imul(key + round, 0x9e3779b9)) & mask)) >>> 0;
    left = right;
    right = next;
  }
  return left * 2 ** half + right;
}
