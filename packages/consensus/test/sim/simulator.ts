import type { CommitCertificate } from "@charter/types";
import { bytesToHex, equalBytes } from "@charter/utils";
import {
  ConsensusCore,
  type ConsensusInput,
  type ConsensusMessage,
  type ConsensusMutations,
  type ConsensusOutput,
  type ConsensusTimeouts,
  createValidatorSet,
  DECISIONS_KEPT,
  type Proposal,
  SignedType,
  type SignStateRecord,
  signBytes,
  type Validator,
  type ValidatorSet,
  type Vote,
  VoteType,
} from "../../src/index.js";
import { Prng } from "./prng.js";
import { createRealCrypto, createSimCrypto, deriveKey, type SimCrypto } from "./simCrypto.js";
import {
  describeTwinsScenario,
  type TwinsScenario,
  twinsConnects,
  twinsInstanceLabel,
  twinsKeyIndex,
  twinsScenario,
} from "./twins.js";

/** A block in the simulated application: height, round, proposer index and 8 payload bytes. */
type Value = Uint8Array;
const VALUE_LENGTH = 17;
/** Proposer byte of a block the byzantine node made up. */
const FORGED_PROPOSER = 255;
const CHAIN_ID = 7n;
const DEBUG = process.env.SIM_DEBUG === "1";

/** Timeouts of the simulated nodes: short, so a seed covers many rounds in little virtual time. */
export const SIM_TIMEOUTS: ConsensusTimeouts = {
  proposeMs: 600,
  prevoteMs: 200,
  precommitMs: 200,
  deltaMs: 150,
  timeoutMaxMs: 3000,
  rebroadcastMs: 150,
};
/** After heal every message between honest nodes arrives within this bound (Δ of the liveness argument). */
const HEALED_DELAY_MAX_MS = 40;
/** Virtual time after heal within which every honest node must reach the target height. */
const LIVENESS_WINDOW_MS = 60_000;
/**
 * Twins mode ends a run as a liveness failure when a leading honest node enters a round more than this many rounds
 * after the last one the f+2 bound allows, with no commit at its height: a whole round (≫ Δ) has then passed, so no
 * late precommit can still meet the bound, and a stalled run costs a few rounds of virtual time, not the window.
 */
const TWINS_STALL_SLACK_ROUNDS = 1;
/** A seed that processes this many events is reported as a stall, never looped on forever. */
const EVENTS_MAX = 2_000_000;

export interface SimOptions {
  /** Validators: 4 (f = 1) or 7 (f = 2). */
  readonly validators?: number;
  /** Heights every honest node must commit. */
  readonly heights?: number;
  /** TEST-ONLY planted bugs, applied to every honest node (negative controls). */
  readonly mutations?: ConsensusMutations;
  /** Include a byzantine node that forges and equivocates: "seeded" draws it per seed. */
  readonly byzantine?: "never" | "always" | "seeded";
  /** Include a removed validator that keeps voting: "seeded" draws it per seed. */
  readonly outsider?: "never" | "always" | "seeded";
  /** Real ECDSA instead of the fast stand-in. */
  readonly realCrypto?: boolean;
  /**
   * Twins mode (twins.ts): this many validators run twice with the same key and different network identities, and
   * the seed picks a Twins scenario (which validators are twinned, a partition per scripted round) instead of the
   * random faults. No byzantine node, outsider, drop, crash or pause in this mode.
   */
  readonly twins?: number;
  /** Twins mode: rounds of each height whose messages follow the scenario's partitions (default 3). */
  readonly twinsRounds?: number;
  /** Twins mode: most groups in one round's partition (default 2). */
  readonly twinsGroups?: number;
  /**
   * Negative control for f+1 twins: the agreement checker also covers twin copies, as if they were honest, so a
   * fork between any two processes must be reported.
   */
  readonly countTwinsInAgreement?: boolean;
}

export type ViolationKind = "agreement" | "validity" | "double-sign" | "lock" | "liveness";

export interface Violation {
  readonly kind: ViolationKind;
  readonly seed: number;
  readonly atMs: number;
  readonly detail: string;
}

export interface SimResult {
  readonly seed: number;
  readonly violations: readonly Violation[];
  /** Rounds from heal to the first commit after it, or `null` when the run ended without one. */
  readonly healToCommitRounds: number | null;
  readonly committedHeight: number;
  readonly events: number;
  readonly virtualTimeMs: number;
  /** FNV-1a over every processed event: equal for two runs of one seed when the run is deterministic. */
  readonly traceHash: string;
  readonly faults: readonly string[];
  /** Every process's committed chain, for checks independent of the built-in checkers. */
  readonly chains: readonly NodeChain[];
  /** The Twins scenario this seed ran, in twins mode. */
  readonly twins: TwinsRun | null;
}

/** The committed chain of one simulated process. */
export interface NodeChain {
  readonly node: number;
  readonly role: Role;
  /** `v2` for validator 2's process, `v2'` for its twin copy, `outsider`. */
  readonly label: string;
  /** Hex hash of the block committed at height h, at index h − 1. */
  readonly blocks: readonly string[];
}

/** What a twins-mode seed ran. */
export interface TwinsRun {
  readonly scenario: TwinsScenario;
  readonly description: string;
  /** Scripted rounds of height 1 whose proposer is twinned and has its copies in different groups. */
  readonly splitLeaderRounds: number;
}

type Event =
  | {
      readonly kind: "deliver";
      readonly to: number;
      readonly from: number;
      readonly message: ConsensusMessage<Value>;
    }
  | {
      readonly kind: "input";
      readonly node: number;
      readonly incarnation: number;
      readonly input: ConsensusInput<Value>;
    }
  | { readonly kind: "control"; readonly label: string; readonly run: () => void };

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly event: Event;
}

/** Min-heap on (time, insertion sequence): ties break by insertion, so the order is deterministic. */
class EventQueue {
  readonly #heap: Scheduled[] = [];
  #seq = 0;
  get size(): number {
    return this.#heap.length;
  }
  push(at: number, event: Event): void {
    const h = this.#heap;
    h.push({ at, seq: this.#seq++, event });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Scheduled | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Role of a simulated process. */
export type Role = "honest" | "byzantine" | "outsider" | "twin";

interface SimNode {
  readonly index: number;
  readonly role: Role;
  /** Index in the validator set whose key this node holds (twins share one), -1 for the outsider. */
  readonly keyIndex: number;
  readonly privateKey: Uint8Array;
  readonly address: Uint8Array;
  core: ConsensusCore<Value> | null;
  incarnation: number;
  up: boolean;
  pausedUntil: number;
  /** Synced storage: survives a crash. */
  walSynced: SignStateRecord<Value> | null;
  /** Writes the shell made without a sync (received-message log); lost on crash. */
  walUnsynced: number;
  /** Crash after this many more outputs (the crash-between-outputs fault); -1 when not armed. */
  crashAfterOutputs: number;
  /** Committed chain (the application's durable store): index h-1 holds height h. */
  readonly chain: Value[];
  /** Certificates of the committed chain, as the block store keeps them (next header's `lastCommit`). */
  readonly certificates: CommitCertificate[];
  readonly drift: number;
  /**
   * Before heal, the application takes up to this long to build or validate a block (0: 0–20 ms): a block that
   * takes longer to execute than the propose timeout. A build stops at the request's budget, as the engine's does.
   */
  slowAppMaxMs: number;
}

/**
 * Runs one seed: n validators running the production `ConsensusCore`, a virtual clock, a faulty network and a
 * trivial application, with invariant checkers at every commit. Pure function of (seed, options).
 *
 * @example
 * const result = runSeed(42, { validators: 4, heights: 3 });
 * result.violations; // []
 */
export function runSeed(seed: number, options: SimOptions = {}): SimResult {
  return new Simulation(seed, options).run();
}

class Simulation {
  readonly #seed: number;
  readonly #rng: Prng;
  /** Draws of the slow-application fault, a stream apart so every other fault of a seed stays as it was. */
  readonly #appRng: Prng;
  readonly #opts: Required<Omit<SimOptions, "mutations">> & { mutations: ConsensusMutations };
  readonly #twins: TwinsScenario | null;
  readonly #crypto: SimCrypto;
  readonly #queue = new EventQueue();
  readonly #nodes: SimNode[] = [];
  readonly #set: ValidatorSet;
  readonly #outsiderSet: ValidatorSet | null = null;
  readonly #f: number;
  readonly #violations: Violation[] = [];
  readonly #faults: string[] = [];
  #now = 0;
  #trace = 0x811c9dc5;
  #events = 0;
  // network faults
  #dropRate = 0;
  #dupRate = 0;
  #delayMinMs = 1;
  #delayJitterMs = 20;
  #spikeRate = 0;
  #blocked = new Set<string>();
  #healed = false;
  readonly #healAt: number;
  // checkers
  readonly #decided = new Map<number, string>();
  readonly #signed = new Map<string, string>();
  readonly #prevoteTally = new Map<string, Set<string>>();
  readonly #locks = new Map<string, { round: number; key: string }>();
  #healHeight = 0;
  #healRound = 0;
  #healToCommit: number | null = null;
  #stalled = false;
  readonly #byzantineSeen = new Set<string>();

  constructor(seed: number, options: SimOptions) {
    this.#seed = seed;
    this.#rng = new Prng(seed);
    this.#appRng = new Prng(seed ^ 0x5a11_0c0d);
    const rng = this.#rng;
    this.#opts = {
      validators: options.validators ?? 4,
      heights: options.heights ?? 3,
      mutations: options.mutations ?? {},
      byzantine: options.byzantine ?? "seeded",
      outsider: options.outsider ?? "seeded",
      realCrypto: options.realCrypto ?? false,
      twins: options.twins ?? 0,
      twinsRounds: options.twinsRounds ?? 3,
      twinsGroups: options.twinsGroups ?? 2,
      countTwinsInAgreement: options.countTwinsInAgreement ?? false,
    };
    const n = this.#opts.validators;
    this.#f = Math.floor((n - 1) / 3);
    this.#crypto = this.#opts.realCrypto ? createRealCrypto() : createSimCrypto();
    this.#twins =
      this.#opts.twins > 0
        ? twinsScenario(seed, {
            validators: n,
            twins: this.#opts.twins,
            rounds: this.#opts.twinsRounds,
            groups: this.#opts.twinsGroups,
          })
        : null;
    const twinned = this.#twins?.twinned ?? [];
    // Weights: equal in half the seeds, else 3..4 each, so any f validators still hold less than a third.
    const weighted = rng.chance(0.5);
    const keys = Array.from({ length: n + 1 }, (_, i) => deriveKey(seed, i));
    const weights = keys.slice(0, n).map(() => (weighted ? rng.int(3, 4) : 1));
    if (twinned.length <= this.#f) keepTwinsBelowAThird(weights, twinned);
    const members: Validator[] = keys.slice(0, n).map((k, i) => {
      const publicKey = this.#crypto.publicKeyFromPrivateKey(k);
      return { address: this.#crypto.addressFromPublicKey(publicKey), publicKey, weight: weights[i]! };
    });
    this.#set = createValidatorSet(members);
    const byzantine = this.#drawFlag(this.#opts.byzantine, 0.3) && this.#twins === null;
    const byzantineIndex = byzantine ? rng.int(0, n - 1) : -1;
    // A validator with a twin is byzantine as a whole (two processes sign with its key), so it is not "honest".
    for (let i = 0; i < n; i++) {
      const role: Role = i === byzantineIndex ? "byzantine" : twinned.includes(i) ? "twin" : "honest";
      this.#addNode(role, i, keys[i]!, members[i]!.address, rng);
    }
    for (const t of twinned) this.#addNode("twin", t, keys[t]!, members[t]!.address, rng);
    if (byzantine) this.#faults.push(`byzantine:n${byzantineIndex}`);
    if (this.#twins !== null) this.#faults.push(describeTwinsScenario(this.#twins));
    if (this.#twins === null && this.#drawFlag(this.#opts.outsider, 0.3)) {
      const publicKey = this.#crypto.publicKeyFromPrivateKey(keys[n]!);
      const address = this.#crypto.addressFromPublicKey(publicKey);
      const heaviest = Math.max(...members.map((m) => m.weight));
      this.#outsiderSet = createValidatorSet([...members, { address, publicKey, weight: heaviest }]);
      this.#addNode("outsider", -1, keys[n]!, address, rng);
      this.#faults.push("outsider");
    }
    this.#healAt =
      this.#twins === null ? rng.int(500, 5000) : scriptedRoundsMs(this.#opts.twinsRounds) + rng.int(0, 1000);
  }

  #drawFlag(mode: "never" | "always" | "seeded", p: number): boolean {
    return mode === "always" || (mode === "seeded" && this.#rng.chance(p));
  }

  #addNode(role: Role, keyIndex: number, privateKey: Uint8Array, address: Uint8Array, rng: Prng): void {
    this.#nodes.push({
      index: this.#nodes.length,
      role,
      keyIndex,
      privateKey,
      address,
      core: null,
      incarnation: 0,
      up: true,
      pausedUntil: 0,
      walSynced: null,
      walUnsynced: 0,
      crashAfterOutputs: -1,
      chain: [],
      certificates: [],
      drift: rng.chance(0.5) ? 0.9 + rng.next() * 0.2 : 1,
      slowAppMaxMs: 0,
    });
  }

  run(): SimResult {
    if (this.#twins === null) this.#planFaults();
    else this.#planTwins();
    for (const node of this.#nodes) if (node.role !== "byzantine") this.#boot(node);
    for (;;) {
      const next = this.#queue.pop();
      if (next === undefined) break;
      this.#now = next.at;
      if (++this.#events > EVENTS_MAX) break;
      this.#mix(next.at, next.event.kind.length);
      this.#dispatch(next.event);
      if (this.#violations.some((v) => v.kind !== "liveness")) break;
      if (this.#done()) break;
      if (this.#now > this.#healAt + LIVENESS_WINDOW_MS) break;
      if (this.#twins !== null && this.#checkStall()) break;
    }
    if (!this.#done() && !this.#stalled && !this.#violations.some((v) => v.kind !== "liveness"))
      this.#violate(
        "liveness",
        `honest nodes did not all reach height ${this.#opts.heights} (at ${this.#minHonestHeight()})`,
      );
    return {
      seed: this.#seed,
      violations: this.#violations,
      healToCommitRounds: this.#healToCommit,
      committedHeight: this.#minHonestHeight(),
      events: this.#events,
      virtualTimeMs: this.#now,
      traceHash: (this.#trace >>> 0).toString(16).padStart(8, "0"),
      faults: this.#faults,
      chains: this.#nodes.map((node) => ({
        node: node.index,
        role: node.role,
        label: this.#label(node),
        blocks: node.chain.map((value) => bytesToHex(this.#crypto.hash(value))),
      })),
      twins:
        this.#twins === null
          ? null
          : {
              scenario: this.#twins,
              description: describeTwinsScenario(this.#twins),
              splitLeaderRounds: this.#splitLeaderRounds(this.#twins),
            },
    };
  }

  #label(node: SimNode): string {
    if (node.role === "outsider") return "outsider";
    if (this.#twins !== null) return twinsInstanceLabel(this.#twins, node.index);
    return `v${node.keyIndex}`;
  }

  /** Scripted rounds of height 1 whose proposer is twinned and has its two copies in different groups. */
  #splitLeaderRounds(scenario: TwinsScenario): number {
    let count = 0;
    scenario.partitions.forEach((groups, round) => {
      const proposer = this.#set.proposer(1, round);
      const copies = this.#nodes.filter((n) => n.role === "twin" && equalBytes(n.address, proposer.address));
      if (copies.length === 2 && groups[copies[0]!.index] !== groups[copies[1]!.index]) count++;
    });
    return count;
  }

  #honest(): SimNode[] {
    return this.#nodes.filter((n) => n.role === "honest");
  }

  #minHonestHeight(): number {
    return Math.min(...this.#honest().map((n) => n.chain.length));
  }

  #done(): boolean {
    return this.#healed && this.#healToCommit !== null && this.#minHonestHeight() >= this.#opts.heights;
  }

  /**
   * Twins mode: after heal, the leading honest nodes are more than `TWINS_STALL_SLACK_ROUNDS` rounds past the f+2
   * bound at their height (counted from the heal round at the height after heal, from round 0 at later heights).
   */
  #checkStall(): boolean {
    if (!this.#healed) return false;
    const honest = this.#honest().filter((n) => n.core !== null);
    const top = Math.max(0, ...honest.map((n) => n.core!.height));
    if (top <= this.#healHeight) return false;
    const base = top === this.#healHeight + 1 ? this.#healRound : 0;
    const limit = base + this.#f + 1 + TWINS_STALL_SLACK_ROUNDS;
    const stuck = honest.find((n) => n.core!.height === top && n.core!.round > limit);
    if (stuck === undefined) return false;
    this.#stalled = true;
    this.#violate(
      "liveness",
      `stalled at height ${top}: n${stuck.index} reached round ${stuck.core!.round} without a commit ` +
        `(from round ${base}, bound f+2 = ${this.#f + 2})`,
    );
    return true;
  }

  #mix(a: number, b: number): void {
    let h = this.#trace;
    for (const x of [a, b]) {
      h ^= x & 0xffff;
      h = Math.imul(h, 0x01000193);
      h ^= x >>> 16;
      h = Math.imul(h, 0x01000193);
    }
    this.#trace = h;
  }

  #violate(kind: ViolationKind, detail: string): void {
    this.#violations.push({ kind, seed: this.#seed, atMs: this.#now, detail });
  }

  // ---- faults ----

  #planFaults(): void {
    const rng = this.#rng;
    const heal = this.#healAt;
    if (rng.chance(0.7)) this.#dropRate = rng.next() * 0.3;
    if (rng.chance(0.5)) this.#dupRate = rng.next() * 0.5;
    this.#delayMinMs = rng.int(1, 30);
    this.#delayJitterMs = rng.int(0, 70);
    if (rng.chance(0.3)) this.#spikeRate = 0.02;
    this.#faults.push(`drop:${this.#dropRate.toFixed(2)}`, `dup:${this.#dupRate.toFixed(2)}`);
    const candidates = this.#nodes.filter((n) => n.role !== "byzantine");
    const ids = this.#nodes.map((n) => n.index);
    for (let p = rng.int(0, 3); p > 0; p--) {
      const start = rng.int(0, heal);
      const end = Math.min(heal, start + rng.int(200, 2000));
      const shape = rng.int(0, 2);
      const groupA = shape === 0 ? [rng.pick(ids)] : ids.filter(() => rng.chance(0.5));
      const asymmetric = shape === 2;
      const links: string[] = [];
      for (const a of groupA)
        for (const b of ids) {
          if (groupA.includes(b)) continue;
          links.push(`${a}>${b}`);
          if (!asymmetric) links.push(`${b}>${a}`);
        }
      this.#faults.push(`partition:${asymmetric ? "asym" : "sym"}[${groupA.join(",")}]@${start}-${end}`);
      this.#at(start, "partition", () => {
        for (const l of links) this.#blocked.add(l);
      });
      this.#at(end, "unpartition", () => {
        for (const l of links) this.#blocked.delete(l);
      });
    }
    for (let c = rng.int(0, 2); c > 0; c--) {
      const node = rng.pick(candidates);
      const start = rng.int(0, heal);
      const end = Math.min(heal, start + rng.int(100, 1500));
      const midOutputs = rng.chance(0.5) ? rng.int(0, 3) : -1;
      this.#faults.push(
        `crash:n${node.index}@${start}-${end}${midOutputs >= 0 ? `/after${midOutputs}outputs` : ""}`,
      );
      this.#at(start, "crash", () => {
        if (midOutputs >= 0) node.crashAfterOutputs = midOutputs;
        else this.#crash(node);
      });
      this.#at(end, "restart", () => this.#restart(node));
    }
    if (rng.chance(0.3)) {
      const node = rng.pick(candidates);
      const start = rng.int(0, heal);
      const until = Math.min(heal, start + rng.int(200, 1500));
      this.#faults.push(`pause:n${node.index}@${start}-${until}`);
      this.#at(start, "pause", () => {
        node.pausedUntil = until;
      });
    }
    const appRng = this.#appRng;
    if (appRng.chance(process.env.SIM_NO_SLOWAPP ? 0 : 0.3)) {
      const slow = appRng.chance(0.5) ? [appRng.pick(candidates)] : candidates;
      const maxMs = appRng.int(300, 2_000);
      for (const node of slow) node.slowAppMaxMs = maxMs;
      this.#faults.push(`slowapp:[${slow.map((n) => n.index).join(",")}]<=${maxMs}ms`);
    }
    this.#at(heal, "heal", () => this.#heal());
  }

  /**
   * Twins mode: a reliable network with seeded delays whose only faults are the scenario's partitions (applied in
   * `#send` by message round until heal), then the heal after the scripted rounds.
   */
  #planTwins(): void {
    const rng = this.#rng;
    this.#delayMinMs = rng.int(1, 30);
    this.#delayJitterMs = rng.int(0, 70);
    for (const node of this.#nodes)
      if (twinsKeyIndex(this.#twins!, node.index) !== node.keyIndex) throw new Error("twins: instance order");
    this.#at(this.#healAt, "heal", () => this.#heal());
  }

  #at(at: number, label: string, run: () => void): void {
    this.#queue.push(at, { kind: "control", label, run });
  }

  #heal(): void {
    this.#blocked.clear();
    this.#dropRate = 0;
    this.#dupRate = 0;
    this.#spikeRate = 0;
    this.#delayJitterMs = Math.min(this.#delayJitterMs, HEALED_DELAY_MAX_MS - this.#delayMinMs);
    for (const node of this.#nodes) {
      node.pausedUntil = 0;
      node.crashAfterOutputs = -1;
      if (!node.up) this.#restart(node);
    }
    this.#healed = true;
    const honest = this.#honest();
    this.#healHeight = Math.max(...honest.map((n) => n.chain.length));
    this.#healRound = 0;
    for (const n of honest)
      if (n.core !== null && n.core.height === this.#healHeight + 1)
        this.#healRound = Math.max(this.#healRound, n.core.round);
  }

  #crash(node: SimNode): void {
    if (!node.up) return;
    node.up = false;
    node.core = null;
    node.incarnation++;
    node.walUnsynced = 0; // unsynced writes are lost; the synced sign state and the committed chain survive
    node.crashAfterOutputs = -1;
  }

  #restart(node: SimNode): void {
    if (node.up) return;
    node.up = true;
    this.#boot(node);
  }

  // ---- nodes ----

  #boot(node: SimNode): void {
    const crypto = this.#crypto;
    node.core = new ConsensusCore<Value>(
      {
        chainId: CHAIN_ID,
        address: node.address,
        timeouts: SIM_TIMEOUTS,
        recovered: node.walSynced,
        recentDecisions: node.chain.slice(-16).map((value, i, tail) => ({
          kind: "commit" as const,
          value,
          certificate: node.certificates[node.chain.length - tail.length + i]!,
        })),
        ...(node.role === "honest" || node.role === "twin"
          ? { testOnlyMutations: this.#opts.mutations }
          : {}),
      },
      {
        crypto,
        sign: (digest) => crypto.sign(digest, node.privateKey),
        hashValue: (value) => crypto.hash(value),
      },
    );
    if (node.role === "outsider") {
      // The outsider does not keep a chain; it syncs to the honest nodes' height.
      const height = Math.max(0, ...this.#decided.keys()) + 1;
      this.#feed(node, { type: "startHeight", height, validators: this.#outsiderSet! });
      return;
    }
    this.#feed(node, { type: "startHeight", height: node.chain.length + 1, validators: this.#set });
  }

  #dispatch(event: Event): void {
    if (event.kind === "control") {
      event.run();
      return;
    }
    const target = this.#nodes[event.kind === "deliver" ? event.to : event.node]!;
    if (!target.up) return;
    if (event.kind === "input" && event.incarnation !== target.incarnation) return;
    if (target.pausedUntil > this.#now) {
      // A paused process handles nothing; the backlog is delivered when it resumes.
      this.#queue.push(target.pausedUntil, event);
      return;
    }
    if (event.kind === "deliver") {
      if (target.role === "byzantine") {
        this.#byzantineAct(target, event.message);
        return;
      }
      target.walUnsynced++;
      if (this.#twins !== null) this.#blockSync(target, event.from, event.message);
      this.#feed(target, { type: "message", from: String(event.from), message: event.message });
    } else {
      this.#feed(target, event.input);
    }
  }

  /**
   * Twins mode stands in for block sync (packages/node/src/blockSync.ts): the scripted rounds apply at every height,
   * so a majority group can commit hundreds of heights while a node is cut off, beyond the `DECISIONS_KEPT` heights
   * the core answers a lagging peer with. When a message shows its sender is that far behind, this node's store
   * sends the sender the block and certificate of the sender's height, which the sender's core checks as a whole.
   */
  #blockSync(node: SimNode, from: number, message: ConsensusMessage<Value>): void {
    if (message.kind === "commit" || node.role === "outsider") return;
    const h = message.height;
    if (h < 1 || h > node.chain.length - DECISIONS_KEPT) return;
    const commit: ConsensusMessage<Value> = {
      kind: "commit",
      value: node.chain[h - 1]!,
      certificate: node.certificates[h - 1]!,
    };
    this.#send(node.index, from, commit);
  }

  #feed(node: SimNode, input: ConsensusInput<Value>): void {
    const core = node.core;
    if (core === null) return;
    const outputs = core.step(input);
    for (const output of outputs) {
      if (node.crashAfterOutputs === 0) {
        this.#crash(node);
        return;
      }
      if (node.crashAfterOutputs > 0) node.crashAfterOutputs--;
      this.#carryOut(node, output);
      if (!node.up) return;
    }
  }

  #carryOut(node: SimNode, output: ConsensusOutput<Value>): void {
    const rng = this.#rng;
    if (DEBUG && this.#healed && output.type !== "persist") {
      const m = output.type === "broadcast" ? output.message : null;
      const what =
        m === null
          ? JSON.stringify(output, (_k, v) =>
              v instanceof Uint8Array ? bytesToHex(v).slice(0, 8) : v,
            ).slice(0, 140)
          : m.kind === "vote"
            ? `vote${m.type} h${m.height} r${m.round} ${m.blockHash === null ? "nil" : bytesToHex(m.blockHash).slice(0, 8)}`
            : m.kind === "proposal"
              ? `proposal h${m.height} r${m.round} vr${m.validRound} ${bytesToHex(m.blockHash).slice(0, 8)}`
              : "commit";
      process.stdout.write(
        `${this.#now} n${node.index} h${node.core?.height} r${node.core?.round} ${node.core?.roundStep}: ${what}\n`,
      );
    }
    switch (output.type) {
      case "persist":
        // The simulated disk syncs here, before the next output is carried out.
        node.walSynced = output.record;
        node.walUnsynced = 0;
        return;
      case "broadcast":
        this.#recordSigned(node, output.message);
        for (const other of this.#nodes)
          if (other !== node) this.#send(node.index, other.index, output.message);
        return;
      case "send": {
        const to = Number(output.to);
        if (Number.isInteger(to) && to >= 0 && to < this.#nodes.length)
          this.#send(node.index, to, output.message);
        return;
      }
      case "scheduleTimeout":
        this.#input(node, Math.ceil(output.durationMs * node.drift), {
          type: "timeout",
          height: output.height,
          round: output.round,
          step: output.step,
        });
        return;
      case "requestProposal": {
        const value = new Uint8Array(VALUE_LENGTH);
        const view = new DataView(value.buffer);
        view.setUint32(0, output.height);
        view.setUint32(4, output.round);
        value[8] = node.keyIndex & 0xff;
        for (let i = 9; i < VALUE_LENGTH; i++) value[i] = rng.int(0, 255);
        this.#input(node, Math.min(this.#appDelayMs(node), output.budgetMs), {
          type: "proposalBuilt",
          height: output.height,
          round: output.round,
          value,
        });
        return;
      }
      case "requestValidation": {
        const valid =
          output.value.length === VALUE_LENGTH &&
          new DataView(output.value.buffer, output.value.byteOffset).getUint32(0) === output.height;
        this.#input(node, this.#appDelayMs(node), {
          type: "blockValidated",
          height: output.height,
          blockHash: output.blockHash,
          valid,
        });
        return;
      }
      case "commit":
        this.#onCommit(node, output.height, output.value, output.certificate);
        return;
      case "rejected":
      case "equivocation":
        return;
    }
  }

  /**
   * How long the application takes for one build or validation requested now. A slow application is a fault like
   * the others: it ends at heal (a call in progress then finishes within the normal 0–20 ms), since the liveness
   * bound counts from the moment every delay, processing included, is bounded.
   */
  #appDelayMs(node: SimNode): number {
    if (node.slowAppMaxMs > 0 && !this.#healed) {
      const untilHeal = this.#healAt - this.#now;
      return Math.min(this.#appRng.int(0, node.slowAppMaxMs), untilHeal + this.#appRng.int(0, 20));
    }
    return this.#rng.int(0, 20);
  }

  #input(node: SimNode, delayMs: number, input: ConsensusInput<Value>): void {
    this.#queue.push(this.#now + delayMs, {
      kind: "input",
      node: node.index,
      incarnation: node.incarnation,
      input,
    });
  }

  #send(from: number, to: number, message: ConsensusMessage<Value>): void {
    const rng = this.#rng;
    if (this.#blocked.has(`${from}>${to}`)) return;
    if (this.#twins !== null && !this.#healed && !twinsConnects(this.#twins, from, to, messageRound(message)))
      return;
    if (rng.chance(this.#dropRate)) return;
    const copies = rng.chance(this.#dupRate) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      let delay = this.#delayMinMs + rng.int(0, this.#delayJitterMs);
      if (rng.chance(this.#spikeRate)) delay *= rng.int(5, 10);
      this.#queue.push(this.#now + delay, { kind: "deliver", to, from, message });
    }
  }

  // ---- checkers ----

  #onCommit(node: SimNode, height: number, value: Value, certificate: CommitCertificate): void {
    if (node.role === "outsider") return;
    if (height !== node.chain.length + 1) {
      this.#violate("agreement", `n${node.index} committed height ${height} on top of ${node.chain.length}`);
      return;
    }
    node.chain.push(value);
    node.certificates.push(certificate);
    const hash = bytesToHex(this.#crypto.hash(value));
    const first = this.#decided.get(height);
    const mustAgree = node.role === "honest" || (node.role === "twin" && this.#opts.countTwinsInAgreement);
    if (!mustAgree) {
      // Twins are byzantine; only honest nodes must agree (unless the negative control counts them).
    } else if (first === undefined) this.#decided.set(height, hash);
    else if (first !== hash)
      this.#violate(
        "agreement",
        `height ${height}: n${node.index} committed ${hash.slice(0, 18)}, another node ${first.slice(0, 18)}`,
      );
    if (node.role === "honest") this.#checkCertificate(node, height, value, certificate);
    if (this.#healed && this.#healToCommit === null && height > this.#healHeight && node.role === "honest") {
      this.#healToCommit = Math.max(
        1,
        certificate.round - (height === this.#healHeight + 1 ? this.#healRound : 0) + 1,
      );
      if (this.#healToCommit > this.#f + 2)
        this.#violate(
          "liveness",
          `first commit after heal took ${this.#healToCommit} rounds (> f+2 = ${this.#f + 2})`,
        );
    }
    // The outsider follows the honest chain by block sync, so it keeps voting at the current height.
    for (const other of this.#nodes)
      if (other.role === "outsider" && other.up && other.core !== null && other.core.height <= height)
        this.#feed(other, { type: "startHeight", height: height + 1, validators: this.#outsiderSet! });
    this.#input(node, 1, { type: "blockCommitted", height, nextValidators: this.#set });
  }

  /** Validity: a certificate of distinct members of the height's set, quorum weight, every signature valid. */
  #checkCertificate(node: SimNode, height: number, value: Value, c: CommitCertificate): boolean {
    const fail = (why: string): false => {
      this.#violate("validity", `n${node.index} height ${height}: ${why}`);
      return false;
    };
    if (c.height !== height || !equalBytes(c.blockHash, this.#crypto.hash(value)))
      return fail("certificate names another block");
    const seen = new Set<string>();
    let weight = 0;
    for (const s of c.signatures) {
      const who = bytesToHex(s.validator);
      if (seen.has(who)) return fail(`validator ${who.slice(0, 10)} signs twice`);
      seen.add(who);
      const member = this.#set.byAddress(s.validator);
      if (member === undefined) return fail(`non-member ${who.slice(0, 10)} signs`);
      const bytes = signBytes({
        chainId: CHAIN_ID,
        type: SignedType.precommit,
        height,
        round: c.round,
        blockHash: c.blockHash,
      });
      if (!this.#crypto.verify(this.#crypto.hash(bytes), s.signature, member.publicKey))
        return fail(`bad signature of ${who.slice(0, 10)}`);
      weight += member.weight;
    }
    if (!this.#set.hasQuorum(weight))
      return fail(`certificate weight ${weight} of ${this.#set.totalWeight} is not a quorum`);
    return true;
  }

  /** No double-sign and the lock rule, over what actually left each honest node. */
  #recordSigned(node: SimNode, message: ConsensusMessage<Value>): void {
    if (message.kind === "commit") return;
    const signer = message.kind === "proposal" ? message.proposer : message.validator;
    if (!equalBytes(signer, node.address)) return;
    const who = bytesToHex(signer);
    const key = message.blockHash === null ? "nil" : bytesToHex(message.blockHash);
    if (message.kind === "vote" && message.type === VoteType.prevote) {
      const slot = `${message.height}/${message.round}/${key}`;
      const voters = this.#prevoteTally.get(slot) ?? new Set<string>();
      this.#prevoteTally.set(slot, voters);
      voters.add(who);
    }
    if (node.role !== "honest") return;
    const type = message.kind === "proposal" ? SignedType.proposal : message.type;
    const slot = `${who}/${message.height}/${message.round}/${type}`;
    const content = message.kind === "proposal" ? `${key}/${message.validRound}` : key;
    const previous = this.#signed.get(slot);
    if (previous === undefined) this.#signed.set(slot, content);
    else if (previous !== content)
      this.#violate("double-sign", `n${node.index} signed two messages for ${slot}`);
    if (message.kind !== "vote" || message.blockHash === null) return;
    const lockKey = `${who}/${message.height}`;
    const lock = this.#locks.get(lockKey);
    if (message.type === VoteType.precommit) {
      if (lock === undefined || lock.round < message.round)
        this.#locks.set(lockKey, { round: message.round, key });
      return;
    }
    if (lock === undefined || lock.round >= message.round || lock.key === key) return;
    for (let vr = lock.round; vr < message.round; vr++) {
      let weight = 0;
      for (const v of this.#prevoteTally.get(`${message.height}/${vr}/${key}`) ?? [])
        weight += this.#set.weightOfHex(v);
      if (this.#set.hasQuorum(weight)) return;
    }
    this.#violate(
      "lock",
      `n${node.index} locked on ${lock.key.slice(0, 10)}@${lock.round} prevoted ${key.slice(0, 10)}@${message.round} with no POL`,
    );
  }

  // ---- the byzantine node: forges other validators' votes and equivocates with its own key ----

  #byzantineAct(node: SimNode, message: ConsensusMessage<Value>): void {
    if (message.kind === "commit") return;
    const { height, round } = message;
    const tag = `${height}/${round}`;
    if (this.#byzantineSeen.has(tag)) return;
    this.#byzantineSeen.add(tag);
    const rng = this.#rng;
    const crypto = this.#crypto;
    const forged = new Uint8Array(VALUE_LENGTH);
    const view = new DataView(forged.buffer);
    view.setUint32(0, height);
    view.setUint32(4, round);
    forged[8] = FORGED_PROPOSER;
    for (let i = 9; i < VALUE_LENGTH; i++) forged[i] = rng.int(0, 255);
    const forgedHash = crypto.hash(forged);
    const honest = this.#nodes.filter((n) => n.role !== "byzantine");
    const victims = honest.filter(() => rng.chance(0.5));
    const others = honest.filter((n) => !victims.includes(n));
    const sign = (type: SignedType, blockHash: Uint8Array | null, validRound?: number) =>
      crypto.sign(
        crypto.hash(
          signBytes({
            chainId: CHAIN_ID,
            type,
            height,
            round,
            blockHash,
            ...(validRound === undefined ? {} : { validRound }),
          }),
        ),
        node.privateKey,
      );
    const proposer = this.#set.proposer(height, round);
    const proposal: Proposal<Value> = {
      kind: "proposal",
      height,
      round,
      validRound: -1,
      value: forged,
      blockHash: forgedHash,
      proposer: proposer.address,
      signature: sign(SignedType.proposal, forgedHash, -1),
    };
    for (const v of victims) this.#send(node.index, v.index, proposal);
    for (const type of [VoteType.prevote, VoteType.precommit]) {
      // Equivocation under its own key: the forged block to the victims, nil to everyone else.
      const own = (blockHash: Uint8Array | null): Vote => ({
        kind: "vote",
        type,
        height,
        round,
        blockHash,
        validator: node.address,
        signature: sign(type, blockHash),
      });
      const forOwn = own(forgedHash);
      const nil = own(null);
      this.#recordSigned(node, forOwn);
      this.#recordSigned(node, nil);
      for (const v of victims) this.#send(node.index, v.index, forOwn);
      for (const o of others) this.#send(node.index, o.index, nil);
      // Forgeries: every other validator "votes" for the forged block, signed with the byzantine node's key.
      for (const member of this.#set.validators) {
        if (equalBytes(member.address, node.address)) continue;
        const vote: Vote = {
          kind: "vote",
          type,
          height,
          round,
          blockHash: forgedHash,
          validator: member.address,
          signature: sign(type, forgedHash),
        };
        for (const v of victims) this.#send(node.index, v.index, vote);
      }
    }
  }
}

/** The round a message is about: its own, or its certificate's for a catch-up commit. */
function messageRound(message: ConsensusMessage<Value>): number {
  return message.kind === "commit" ? message.certificate.round : message.round;
}

/** Virtual time for `rounds` rounds that each run all three timeouts: the scripted phase of a Twins scenario. */
function scriptedRoundsMs(rounds: number): number {
  const t = SIM_TIMEOUTS;
  let total = 0;
  for (let r = 0; r < rounds; r++)
    for (const base of [t.proposeMs, t.prevoteMs, t.precommitMs])
      total += Math.min(base + r * t.deltaMs, t.timeoutMaxMs);
  return total;
}

/**
 * With at most f twins the twinned validators are the byzantine ones and must hold less than a third of the weight
 * (3·b < W); the 3..4 weight draw can break that for n = 7, so twinned validators then take the smallest weight.
 */
function keepTwinsBelowAThird(weights: number[], twinned: readonly number[]): void {
  const total = () => weights.reduce((a, b) => a + b, 0);
  const twinWeight = () => twinned.reduce((a, i) => a + weights[i]!, 0);
  if (3 * twinWeight() < total()) return;
  const lightest = Math.min(...weights);
  for (const i of twinned) weights[i] = lightest;
}
