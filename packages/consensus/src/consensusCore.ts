import type { CommitCertificate } from "@charter/types";
import { assert, bytesToHex, equalBytes } from "@charter/utils";
import { ConsensusError } from "./errors.js";
import type { CommitMessage, ConsensusMessage, Proposal, Vote } from "./messages.js";
import { SignedType, VoteType } from "./messages.js";
import type { ConsensusMutations } from "./mutations.js";
import { signBytes } from "./signBytes.js";
import type { ValidatorSet } from "./validatorSet.js";
import { AddVoteResult, blockKey, VoteSet } from "./voteSet.js";

/** Highest round a message may carry; rounds are signed as 4 bytes. */
export const ROUND_MAX = 0x7fff_ffff;
/** Messages more than this many rounds ahead of ours are dropped, which bounds the rounds we keep votes for. */
export const ROUND_LOOKAHEAD_MAX = 64;
/** Messages for the next height held until we start it. */
export const FUTURE_MESSAGES_MAX = 1024;
/** Recent decisions kept to answer peers that are behind with a catch-up `Commit`. */
export const DECISIONS_KEPT = 16;
/** Own signed messages of the current height kept for re-sending and in the sign-state record (newest kept). */
export const OWN_MESSAGES_KEPT = 32;
/** Rule evaluations after one input; each pass changes state, so this is far above any legitimate chain. */
const EVALUATION_PASSES_MAX = 10_000;

export const RoundStep = {
  propose: "propose",
  prevote: "prevote",
  precommit: "precommit",
  /** Decided; waiting for the application to commit and start the next height. */
  commit: "commit",
} as const;
export type RoundStep = (typeof RoundStep)[keyof typeof RoundStep];

export const TimeoutStep = {
  propose: "propose",
  prevote: "prevote",
  precommit: "precommit",
  rebroadcast: "rebroadcast",
} as const;
export type TimeoutStep = (typeof TimeoutStep)[keyof typeof TimeoutStep];

export interface ConsensusTimeouts {
  readonly proposeMs: number;
  readonly prevoteMs: number;
  readonly precommitMs: number;
  /** Added per round to each step's timeout, so rounds eventually outlast any delay after heal. */
  readonly deltaMs: number;
  /** Cap on any step timeout, so a chain never backs off into hour-long rounds. */
  readonly timeoutMaxMs: number;
  /** Interval at which a node re-sends its own signed messages of the current height. */
  readonly rebroadcastMs: number;
}

export const DEFAULT_TIMEOUTS: ConsensusTimeouts = {
  proposeMs: 3000,
  prevoteMs: 500,
  precommitMs: 500,
  deltaMs: 500,
  timeoutMaxMs: 10_000,
  rebroadcastMs: 1000,
};

/**
 * What must be durable before any message that follows the `persist` output leaves the node (spec section 8).
 * On restart the node passes the last record back as `recovered`.
 */
export interface SignStateRecord<Value> {
  readonly height: number;
  readonly round: number;
  /** Type of the last message signed at (height, round). */
  readonly signedType: SignedType;
  readonly lockedRound: number;
  readonly lockedValue: Value | null;
  readonly validRound: number;
  readonly validValue: Value | null;
  readonly ownMessages: readonly (Proposal<Value> | Vote)[];
}

export type ConsensusInput<Value> =
  /** At boot, and after a block sync that jumped ahead: start `height` with its validator set. */
  | { readonly type: "startHeight"; readonly height: number; readonly validators: ValidatorSet }
  /** The application committed the decided block of `height`; start `height + 1` with `nextValidators`. */
  | { readonly type: "blockCommitted"; readonly height: number; readonly nextValidators: ValidatorSet }
  | { readonly type: "message"; readonly from: string; readonly message: ConsensusMessage<Value> }
  | { readonly type: "timeout"; readonly height: number; readonly round: number; readonly step: TimeoutStep }
  /** The application's answer to `requestProposal`. */
  | { readonly type: "proposalBuilt"; readonly height: number; readonly round: number; readonly value: Value }
  /** The application's verdict on a `requestValidation`. */
  | {
      readonly type: "blockValidated";
      readonly height: number;
      readonly blockHash: Uint8Array;
      readonly valid: boolean;
    };

export type ConsensusOutput<Value> =
  /** Make this record durable (fsync) BEFORE carrying out any output after it in the same list. */
  | { readonly type: "persist"; readonly record: SignStateRecord<Value> }
  | { readonly type: "broadcast"; readonly message: ConsensusMessage<Value> }
  | { readonly type: "send"; readonly to: string; readonly message: CommitMessage<Value> }
  | {
      readonly type: "scheduleTimeout";
      readonly height: number;
      readonly round: number;
      readonly step: TimeoutStep;
      readonly durationMs: number;
    }
  | {
      readonly type: "requestProposal";
      readonly height: number;
      readonly round: number;
      /**
       * How long the application may spend building: a third of the round's propose timeout, so the proposal can still
       * reach the others before theirs expires on a loaded machine (spec section 7). Stopping early only makes the
       * block smaller.
       */
      readonly budgetMs: number;
    }
  | {
      readonly type: "requestValidation";
      readonly height: number;
      readonly blockHash: Uint8Array;
      readonly value: Value;
    }
  | {
      readonly type: "commit";
      readonly height: number;
      readonly value: Value;
      readonly certificate: CommitCertificate;
    }
  /** A message failed `validateBasic()`; the node may score the peer down. */
  | { readonly type: "rejected"; readonly from: string; readonly error: ConsensusError }
  /** Two different signed votes of one validator for one slot: evidence of a byzantine validator. */
  | { readonly type: "equivocation"; readonly first: Vote; readonly second: Vote };

/** The slice of a `CryptoSuite` the core uses; consensus does not import the crypto package. */
export interface ConsensusCrypto {
  hash(data: Uint8Array): Uint8Array;
  verify(digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}

export interface ConsensusCoreOptions<Value> {
  readonly chainId: bigint;
  /** This node's validator address. */
  readonly address: Uint8Array;
  readonly timeouts?: ConsensusTimeouts;
  /** The last `persist` record that reached disk before a restart, or `null` on a fresh node. */
  readonly recovered: SignStateRecord<Value> | null;
  /**
   * The last few committed blocks with their certificates, read back from the block store at boot, so a
   * restarted node can still answer peers that are behind (spec section 7). At most `DECISIONS_KEPT` are used.
   */
  readonly recentDecisions?: readonly CommitMessage<Value>[];
  /** TEST-ONLY planted bugs for the simulator's negative controls; never set in production (mutations.ts). */
  readonly testOnlyMutations?: ConsensusMutations;
}

export interface ConsensusCoreModules<Value> {
  readonly crypto: ConsensusCrypto;
  /** Signs a 32-byte digest with this node's key; deterministic (RFC 6979), so the core stays a pure function. */
  readonly sign: (digest: Uint8Array) => Uint8Array;
  /** The block hash of a value, as the application defines it. */
  readonly hashValue: (value: Value) => Uint8Array;
}

type Verdict = "pending" | "valid" | "invalid";

interface RoundVotes {
  readonly prevotes: VoteSet;
  readonly precommits: VoteSet;
}

/** Everything the core knows about the height it is working on. */
interface HeightState<Value> {
  readonly height: number;
  readonly validators: ValidatorSet;
  round: number;
  step: RoundStep;
  /**
   * The round this node was in before it entered `round` (−1 in round 0, and after a restart, which loses the votes
   * of others): whose precommits the precommit relay sends (spec section 6).
   */
  leftRound: number;
  lockedRound: number;
  lockedValue: Value | null;
  validRound: number;
  validValue: Value | null;
  readonly proposals: Map<number, Proposal<Value>>;
  readonly votes: Map<number, RoundVotes>;
  readonly values: Map<string, Value>;
  /** Per known value, the first proposal that carried it: what the POL relay sends so others learn the value. */
  readonly carriers: Map<string, Proposal<Value>>;
  readonly verdicts: Map<string, Verdict>;
  readonly prevoteTimeoutScheduled: Set<number>;
  readonly precommitTimeoutScheduled: Set<number>;
  readonly validValueUpdated: Set<number>;
  own: (Proposal<Value> | Vote)[];
  lastSigned: { round: number; type: SignedType } | null;
  /** A verified catch-up commit for this height, decided once the application validates its value. */
  certified: CommitMessage<Value> | null;
  /**
   * The round whose timeoutPropose fired while its proposal was still being validated (−1 if none): the node
   * prevotes once the verdict is in, as if validation had been instantaneous (spec section 7).
   */
  proposeTimeoutDeferred: number;
}

/**
 * The Tendermint consensus state machine (docs/spec/consensus.md) as a deterministic function of its inputs:
 * `step(input)` returns the outputs the node must carry out, in order. It owns no clock, timer, socket, disk or
 * randomness, so the same code runs in a node and in the seeded simulator.
 *
 * @example
 * const core = new ConsensusCore({ chainId: 1n, address, recovered: null }, { crypto: suite, sign, hashValue });
 * for (const out of core.step({ type: "startHeight", height: 1, validators })) carryOut(out);
 */
export class ConsensusCore<Value> {
  readonly #options: ConsensusCoreOptions<Value>;
  readonly #modules: ConsensusCoreModules<Value>;
  readonly #timeouts: ConsensusTimeouts;
  readonly #mutations: ConsensusMutations;
  #state: HeightState<Value> | null = null;
  #recovered: SignStateRecord<Value> | null;
  #future: { from: string; message: Proposal<Value> | Vote }[] = [];
  readonly #decisions = new Map<number, CommitMessage<Value>>();

  constructor(options: ConsensusCoreOptions<Value>, modules: ConsensusCoreModules<Value>) {
    this.#options = options;
    this.#modules = modules;
    this.#timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
    this.#mutations = options.testOnlyMutations ?? {};
    this.#recovered = options.recovered;
    for (const d of (options.recentDecisions ?? []).slice(-DECISIONS_KEPT))
      this.#decisions.set(d.certificate.height, d);
  }

  get height(): number {
    return this.#state?.height ?? 0;
  }

  /**
   * Whether this exact proposal (same height, round and signature) is already held for the current height, as its
   * round's proposal or as the carrier of a value: a copy of it changes nothing, so a shell may drop it undecoded.
   */
  holdsProposal(height: number, round: number, signature: Uint8Array): boolean {
    const s = this.#state;
    if (s === null || s.height !== height) return false;
    const held = s.proposals.get(round);
    if (held !== undefined && equalBytes(held.signature, signature)) return true;
    for (const carrier of s.carriers.values())
      if (carrier.round === round && equalBytes(carrier.signature, signature)) return true;
    return false;
  }
  get round(): number {
    return this.#state?.round ?? 0;
  }
  get roundStep(): RoundStep {
    return this.#state?.step ?? RoundStep.propose;
  }

  /** Feeds one input; returns the outputs to carry out in order (a `persist` before everything after it). */
  step(input: ConsensusInput<Value>): ConsensusOutput<Value>[] {
    const out: ConsensusOutput<Value>[] = [];
    switch (input.type) {
      case "startHeight":
        this.#enterNewHeight(input.height, input.validators, out);
        break;
      case "blockCommitted":
        this.#enterNewHeight(input.height + 1, input.nextValidators, out);
        break;
      case "message":
        this.#onMessage(input.from, input.message, out);
        break;
      case "timeout":
        this.#onTimeout(input.height, input.round, input.step, out);
        break;
      case "proposalBuilt":
        this.#onProposalBuilt(input.height, input.round, input.value, out);
        break;
      case "blockValidated": {
        const s = this.#state;
        const key = blockKey(input.blockHash);
        if (s !== null && s.height === input.height && s.verdicts.get(key) === "pending")
          s.verdicts.set(key, input.valid ? "valid" : "invalid");
        break;
      }
    }
    this.#evaluate(out);
    return out;
  }

  // ---- heights and rounds ----

  /**
   * enterNewHeight — entered at boot, after the application committed the previous height, or after a block sync
   * moved the node ahead. Restores the persisted sign state when it belongs to this height.
   */
  #enterNewHeight(height: number, validators: ValidatorSet, out: ConsensusOutput<Value>[]): void {
    if (this.#state !== null && height <= this.#state.height) return;
    const s: HeightState<Value> = {
      height,
      validators,
      round: 0,
      step: RoundStep.propose,
      leftRound: -1,
      lockedRound: -1,
      lockedValue: null,
      validRound: -1,
      validValue: null,
      proposals: new Map(),
      votes: new Map(),
      values: new Map(),
      carriers: new Map(),
      verdicts: new Map(),
      prevoteTimeoutScheduled: new Set(),
      precommitTimeoutScheduled: new Set(),
      validValueUpdated: new Set(),
      own: [],
      lastSigned: null,
      certified: null,
      proposeTimeoutDeferred: -1,
    };
    this.#state = s;
    out.push({
      type: "scheduleTimeout",
      height,
      round: 0,
      step: TimeoutStep.rebroadcast,
      durationMs: this.#timeouts.rebroadcastMs,
    });
    const rec = this.#recovered;
    this.#recovered = null;
    if (rec !== null && rec.height === height) {
      this.#restore(s, rec, out);
    } else {
      assert(rec === null || rec.height < height, "the sign state is ahead of the height the node starts");
      this.#enterNewRound(0, out);
    }
    const buffered = this.#future;
    this.#future = [];
    for (const { from, message } of buffered)
      if (message.height === height) this.#onMessage(from, message, out);
  }

  /** Resumes a height this node had signed messages in before it restarted (spec section 8). */
  #restore(s: HeightState<Value>, rec: SignStateRecord<Value>, out: ConsensusOutput<Value>[]): void {
    s.round = rec.round;
    s.lastSigned = { round: rec.round, type: rec.signedType };
    s.own = [...rec.ownMessages];
    if (this.#mutations.forgetLockOnRestart !== true) {
      s.lockedRound = rec.lockedRound;
      s.lockedValue = rec.lockedValue;
      s.validRound = rec.validRound;
      s.validValue = rec.validValue;
    }
    for (const v of [s.lockedValue, s.validValue]) {
      if (v === null) continue;
      const key = blockKey(this.#modules.hashValue(v));
      s.values.set(key, v);
      s.verdicts.set(key, "valid");
    }
    for (const m of s.own) {
      if (m.kind === "proposal") {
        s.proposals.set(m.round, m);
        const key = blockKey(m.blockHash);
        s.values.set(key, m.value);
        if (!s.carriers.has(key)) s.carriers.set(key, m);
        s.verdicts.set(key, "valid");
      } else {
        this.#addVote(s, m, out);
      }
      out.push({ type: "broadcast", message: m });
    }
    // Resume in the step after the last signed message, so the rules never ask to sign that slot again.
    if (rec.signedType === SignedType.proposal) {
      s.step = RoundStep.propose;
      this.#scheduleStepTimeout(TimeoutStep.propose, out);
    } else if (rec.signedType === SignedType.prevote) {
      s.step = RoundStep.prevote;
      s.prevoteTimeoutScheduled.add(s.round);
      this.#scheduleStepTimeout(TimeoutStep.prevote, out);
    } else {
      s.step = RoundStep.precommit;
    }
  }

  /**
   * enterNewRound(r) — entered at the start of a height (r = 0), on timeoutPrecommit(h, r−1), or when messages of
   * more than a third of the weight are for round r > current (L55). Not entered after the height is decided.
   */
  #enterNewRound(round: number, out: ConsensusOutput<Value>[]): void {
    const s = this.#state!;
    assert(s.step !== RoundStep.commit, "enterNewRound after the height was decided");
    if (round > s.round) s.leftRound = s.round;
    s.round = round;
    s.step = RoundStep.propose;
    const proposer = s.validators.proposer(s.height, round);
    if (equalBytes(proposer.address, this.#options.address)) {
      if (s.validValue !== null) this.#signProposal(s.validValue, s.validRound, out);
      else
        out.push({
          type: "requestProposal",
          height: s.height,
          round,
          budgetMs: Math.floor(this.#stepTimeoutMs(TimeoutStep.propose, round) / 3),
        });
    }
    this.#scheduleStepTimeout(TimeoutStep.propose, out);
  }

  #stepTimeoutMs(step: TimeoutStep, round: number): number {
    const t = this.#timeouts;
    const base =
      step === TimeoutStep.propose ? t.proposeMs : step === TimeoutStep.prevote ? t.prevoteMs : t.precommitMs;
    return Math.min(base + round * t.deltaMs, t.timeoutMaxMs);
  }

  #scheduleStepTimeout(step: TimeoutStep, out: ConsensusOutput<Value>[]): void {
    const s = this.#state!;
    const durationMs = this.#stepTimeoutMs(step, s.round);
    out.push({ type: "scheduleTimeout", height: s.height, round: s.round, step, durationMs });
  }

  #onTimeout(height: number, round: number, step: TimeoutStep, out: ConsensusOutput<Value>[]): void {
    const s = this.#state;
    if (s === null || s.height !== height) return;
    if (step === TimeoutStep.rebroadcast) {
      // Lossy links drop messages; re-sending our own keeps every honest message arriving eventually (liveness),
      // relaying our POL makes every honest node see the votes that justify our valid value, and relaying the
      // precommits of the round we left lets every honest node still in it leave it too (spec section 6).
      if (s.step !== RoundStep.commit) {
        for (const m of s.own) out.push({ type: "broadcast", message: m });
        for (const m of this.#polRelay(s)) out.push({ type: "broadcast", message: m });
        for (const m of this.#precommitRelay(s)) out.push({ type: "broadcast", message: m });
      }
      out.push({ type: "scheduleTimeout", height, round: 0, step, durationMs: this.#timeouts.rebroadcastMs });
      return;
    }
    if (round !== s.round) return;
    if (step === TimeoutStep.propose && s.step === RoundStep.propose) {
      // A proposal that arrived in time is judged on its merits: validating it (executing the block) is not waiting
      // for it, so the nil prevote of L57 waits for the verdict (spec section 7).
      const proposal = s.proposals.get(round);
      if (proposal !== undefined && s.verdicts.get(blockKey(proposal.blockHash)) === "pending")
        s.proposeTimeoutDeferred = round;
      else this.#enterPrevote(null, out); // L57
    } else if (step === TimeoutStep.prevote && s.step === RoundStep.prevote)
      this.#enterPrecommit(null, out); // L61
    else if (step === TimeoutStep.precommit && s.step !== RoundStep.commit)
      this.#enterNewRound(round + 1, out); // L65
  }

  /**
   * POL relay (spec section 6): the prevotes this node holds for `validValue` in `validRound` (the proof-of-lock, a
   * quorum unless `validValue` was restored from the WAL without them) and a proposal that carries the value, none
   * of them already among its own messages. Others' signed messages, re-verified by every receiver. Bounded: one
   * value of the current height, at most one vote per validator and one proposal.
   */
  #polRelay(s: HeightState<Value>): (Proposal<Value> | Vote)[] {
    if (s.validValue === null || s.validRound < 0) return [];
    const key = blockKey(this.#modules.hashValue(s.validValue));
    const own = new Set<Proposal<Value> | Vote>(s.own);
    const relay: (Proposal<Value> | Vote)[] = [];
    const carrier = s.carriers.get(key);
    if (carrier !== undefined && !own.has(carrier)) relay.push(carrier);
    for (const v of s.votes.get(s.validRound)?.prevotes.votesFor(key) ?? []) if (!own.has(v)) relay.push(v);
    return relay;
  }

  /**
   * Precommit relay (spec section 6): the precommits this node holds from the round it left most recently at this
   * height, one per validator (for an equivocator, the one for the heaviest value), leaving out its own (re-sent
   * anyway). When it left that round on timeoutPrecommit (L47, L65) they are a quorum of any values, possibly with
   * a byzantine precommit that no other honest node received; relayed, they let every honest node still in that
   * round schedule timeoutPrecommit too, or skip to it (L55) from an earlier round. Others' signed votes, re-verified
   * by every receiver. Bounded: one round of the current height, at most one vote per validator.
   */
  #precommitRelay(s: HeightState<Value>): Vote[] {
    if (s.leftRound < 0) return [];
    const own = new Set<Proposal<Value> | Vote>(s.own);
    const precommits = s.votes.get(s.leftRound)?.precommits.onePerValidator() ?? [];
    return precommits.filter((v) => !own.has(v));
  }

  #onProposalBuilt(height: number, round: number, value: Value, out: ConsensusOutput<Value>[]): void {
    const s = this.#state;
    if (s === null || s.height !== height || s.round !== round || s.step !== RoundStep.propose) return;
    if (s.proposals.has(round)) return;
    // The valid-value rule may have fired while the application was building (a POL that arrived late, section 5):
    // then this node proposes its valid value, as it would have on entering the round (L15).
    if (s.validValue !== null && s.validRound < round) this.#signProposal(s.validValue, s.validRound, out);
    else this.#signProposal(value, -1, out);
  }

  // ---- signing: the only place messages are created; persist always precedes the send ----

  #canSign(round: number, type: SignedType): boolean {
    const last = this.#state!.lastSigned;
    return last === null || round > last.round || (round === last.round && type > last.type);
  }

  #signAndSend(message: Proposal<Value> | Vote, out: ConsensusOutput<Value>[]): void {
    const s = this.#state!;
    s.lastSigned = {
      round: message.round,
      type: message.kind === "proposal" ? SignedType.proposal : message.type,
    };
    s.own.push(message);
    if (s.own.length > OWN_MESSAGES_KEPT) s.own.splice(0, s.own.length - OWN_MESSAGES_KEPT);
    out.push({
      type: "persist",
      record: {
        height: s.height,
        round: message.round,
        signedType: s.lastSigned.type,
        lockedRound: s.lockedRound,
        lockedValue: s.lockedValue,
        validRound: s.validRound,
        validValue: s.validValue,
        ownMessages: [...s.own],
      },
    });
    out.push({ type: "broadcast", message });
  }

  #signProposal(value: Value, validRound: number, out: ConsensusOutput<Value>[]): void {
    const s = this.#state!;
    if (!this.#canSign(s.round, SignedType.proposal)) return;
    const blockHash = this.#modules.hashValue(value);
    const bytes = signBytes({
      chainId: this.#options.chainId,
      type: SignedType.proposal,
      height: s.height,
      round: s.round,
      blockHash,
      validRound,
    });
    const proposal: Proposal<Value> = {
      kind: "proposal",
      height: s.height,
      round: s.round,
      validRound,
      value,
      blockHash,
      proposer: this.#options.address,
      signature: this.#modules.sign(this.#modules.crypto.hash(bytes)),
    };
    const key = blockKey(blockHash);
    s.proposals.set(s.round, proposal);
    s.values.set(key, value);
    if (!s.carriers.has(key)) s.carriers.set(key, proposal);
    s.verdicts.set(key, "valid");
    this.#signAndSend(proposal, out);
  }

  #signVote(type: VoteType, blockHash: Uint8Array | null, out: ConsensusOutput<Value>[]): void {
    const s = this.#state!;
    assert(this.#canSign(s.round, type), "consensus asked to sign a vote at or below its last signed slot");
    const bytes = signBytes({
      chainId: this.#options.chainId,
      type,
      height: s.height,
      round: s.round,
      blockHash,
    });
    const vote: Vote = {
      kind: "vote",
      type,
      height: s.height,
      round: s.round,
      blockHash,
      validator: this.#options.address,
      signature: this.#modules.sign(this.#modules.crypto.hash(bytes)),
    };
    this.#signAndSend(vote, out);
    this.#addVote(s, vote, out);
  }

  /** enterPrevote — entered from step propose by L22, L28 (a proposal) or L57 (timeoutPropose). */
  #enterPrevote(blockHash: Uint8Array | null, out: ConsensusOutput<Value>[]): void {
    const s = this.#state!;
    assert(s.step === RoundStep.propose, "enterPrevote outside the propose step");
    s.step = RoundStep.prevote;
    this.#signVote(VoteType.prevote, blockHash, out);
  }

  /** enterPrecommit — entered from step prevote by L36 (quorum for a value), L44 (quorum for nil) or L61 (timeout). */
  #enterPrecommit(blockHash: Uint8Array | null, out: ConsensusOutput<Value>[]): void {
    const s = this.#state!;
    assert(s.step === RoundStep.prevote, "enterPrecommit outside the prevote step");
    s.step = RoundStep.precommit;
    this.#signVote(VoteType.precommit, blockHash, out);
  }

  // ---- receiving ----

  #onMessage(from: string, message: ConsensusMessage<Value>, out: ConsensusOutput<Value>[]): void {
    const s = this.#state;
    if (s === null) return;
    if (message.kind === "commit") {
      this.#onCommitMessage(from, message, out);
      return;
    }
    if (message.height < s.height) {
      // The peer is behind: hand it the decision it is missing (spec section 7).
      const decision = this.#decisions.get(message.height);
      if (decision !== undefined) out.push({ type: "send", to: from, message: decision });
      return;
    }
    if (message.height === s.height + 1) {
      if (this.#future.length < FUTURE_MESSAGES_MAX) this.#future.push({ from, message });
      return;
    }
    if (message.height !== s.height || s.step === RoundStep.commit) return;
    const error = this.#validateBasic(s, message);
    if (error !== null) {
      out.push({ type: "rejected", from, error });
      return;
    }
    if (message.kind === "proposal") {
      const first = s.proposals.get(message.round);
      const key = blockKey(message.blockHash);
      if (first === undefined) {
        s.proposals.set(message.round, message);
      } else if (!this.#hasPrevoteQuorum(s, key)) {
        // The first proposal of a round wins; a different one is equivocation and is dropped, except that its value
        // is learned when a quorum prevoted it in some round (a POL, e.g. relayed): the valid-value rule needs the
        // value to adopt that POL. Bounded: few values per round can have a prevote quorum.
        return;
      }
      if (!s.carriers.has(key)) s.carriers.set(key, message);
      this.#learnValue(s, message.blockHash, message.value, out);
    } else {
      this.#addVote(s, message, out);
    }
  }

  #onCommitMessage(from: string, message: CommitMessage<Value>, out: ConsensusOutput<Value>[]): void {
    const s = this.#state!;
    const c = message.certificate;
    if (c.height !== s.height || s.step === RoundStep.commit) return;
    if (!equalBytes(this.#modules.hashValue(message.value), c.blockHash)) {
      out.push({
        type: "rejected",
        from,
        error: invalid(
          "invalid-certificate",
          "The commit's value does not hash to its certificate's block hash.",
        ),
      });
      return;
    }
    // The certificate is checked as a whole, like block sync does: every signature a valid precommit of a distinct
    // member, together a quorum. It is not merged into the vote sets: whether a byzantine signer's vote is kept
    // there depends on what arrived before it (the `VOTES_PER_VALIDATOR_SLOT_MAX` bound), and catching up must not.
    const seen = new Set<string>();
    let weight = 0;
    for (const sig of c.signatures.slice(0, s.validators.validators.length)) {
      const who = bytesToHex(sig.validator);
      if (seen.has(who) && this.#mutations.countVotesTwice !== true) continue;
      seen.add(who);
      const vote: Vote = {
        kind: "vote",
        type: VoteType.precommit,
        height: c.height,
        round: c.round,
        blockHash: c.blockHash,
        validator: sig.validator,
        signature: sig.signature,
      };
      const error = this.#validateBasic(s, vote, { anyRound: true });
      if (error !== null) {
        out.push({ type: "rejected", from, error });
        return;
      }
      weight += s.validators.byAddress(sig.validator)?.weight ?? this.#heaviestWeight(s);
    }
    if (!this.#quorum(s, weight)) {
      out.push({
        type: "rejected",
        from,
        error: invalid(
          "invalid-certificate",
          `The certificate carries weight ${weight} of ${s.validators.totalWeight}, not a quorum.`,
        ),
      });
      return;
    }
    if (s.certified === null) s.certified = message;
    this.#learnValue(s, c.blockHash, message.value, out);
  }

  #hasPrevoteQuorum(s: HeightState<Value>, key: string): boolean {
    for (const rv of s.votes.values()) if (this.#quorum(s, rv.prevotes.weightFor(key))) return true;
    return false;
  }

  #learnValue(
    s: HeightState<Value>,
    blockHash: Uint8Array,
    value: Value,
    out: ConsensusOutput<Value>[],
  ): void {
    const key = blockKey(blockHash);
    if (!s.values.has(key)) s.values.set(key, value);
    if (!s.verdicts.has(key)) {
      s.verdicts.set(key, "pending");
      out.push({ type: "requestValidation", height: s.height, blockHash, value });
    }
  }

  /** Stateless checks of a proposal or vote of the current height (spec section 3). */
  #validateBasic(
    s: HeightState<Value>,
    m: Proposal<Value> | Vote,
    options: { readonly anyRound: boolean } = { anyRound: false },
  ): ConsensusError | null {
    const roundLimit = options.anyRound ? ROUND_MAX + 1 : s.round + ROUND_LOOKAHEAD_MAX;
    if (!Number.isInteger(m.round) || m.round < 0 || m.round > ROUND_MAX || m.round >= roundLimit)
      return invalid("invalid-message", `Round ${m.round} is outside [0, ${s.round + ROUND_LOOKAHEAD_MAX}).`);
    if (m.blockHash !== null && m.blockHash.length !== 32)
      return invalid("invalid-message", "A block hash must be 32 bytes.");
    const signer = m.kind === "proposal" ? m.proposer : m.validator;
    const member = s.validators.byAddress(signer);
    let type: SignedType;
    if (m.kind === "proposal") {
      if (member === undefined || member !== s.validators.proposer(s.height, m.round))
        return invalid("invalid-message", `${bytesToHex(signer)} is not the proposer of round ${m.round}.`);
      if (!Number.isInteger(m.validRound) || m.validRound < -1 || m.validRound >= m.round)
        return invalid("invalid-message", `validRound ${m.validRound} must be −1 or below the round.`);
      if (!equalBytes(this.#modules.hashValue(m.value), m.blockHash))
        return invalid("invalid-message", "The proposal's value does not hash to its block hash.");
      type = SignedType.proposal;
    } else {
      if (m.type !== VoteType.prevote && m.type !== VoteType.precommit)
        return invalid("invalid-message", `Unknown vote type ${String(m.type)}.`);
      if (member === undefined) {
        // Planted bug (test-only): a removed validator's vote gets through.
        if (this.#mutations.acceptNonValidatorVotes === true) return null;
        return invalid("invalid-message", `${bytesToHex(signer)} is not a validator at height ${s.height}.`);
      }
      type = m.type;
    }
    if (this.#mutations.skipSignatureCheck === true) return null;
    const bytes = signBytes({
      chainId: this.#options.chainId,
      type,
      height: m.height,
      round: m.round,
      blockHash: m.blockHash,
      ...(m.kind === "proposal" ? { validRound: m.validRound } : {}),
    });
    if (!this.#modules.crypto.verify(this.#modules.crypto.hash(bytes), m.signature, member.publicKey))
      return invalid("invalid-message", `The signature of ${bytesToHex(signer)} does not verify.`);
    return null;
  }

  #addVote(s: HeightState<Value>, vote: Vote, out: ConsensusOutput<Value>[]): void {
    let rv = s.votes.get(vote.round);
    if (rv === undefined) {
      const countTwice = this.#mutations.countVotesTwice === true;
      rv = { prevotes: new VoteSet({ countTwice }), precommits: new VoteSet({ countTwice }) };
      s.votes.set(vote.round, rv);
    }
    const set = vote.type === VoteType.prevote ? rv.prevotes : rv.precommits;
    const weight = s.validators.byAddress(vote.validator)?.weight ?? this.#heaviestWeight(s);
    const first = set.votesOf(vote.validator)[0];
    const result = set.add(vote, weight);
    // Evidence either way; the conflicting vote still counts toward its own value unless the per-validator bound
    // dropped it (spec section 1).
    if (
      (result === AddVoteResult.equivocation || result === AddVoteResult.equivocationDropped) &&
      first !== undefined
    )
      out.push({ type: "equivocation", first, second: vote });
  }

  #heaviestWeight(s: HeightState<Value>): number {
    return Math.max(...s.validators.validators.map((v) => v.weight));
  }

  #quorum(s: HeightState<Value>, weight: number): boolean {
    if (this.#mutations.quorumTwoF === true)
      return weight >= 2 * Math.floor((s.validators.totalWeight - 1) / 3);
    return s.validators.hasQuorum(weight);
  }

  // ---- the upon-rules of Algorithm 1, re-evaluated until none fires ----

  #evaluate(out: ConsensusOutput<Value>[]): void {
    for (let pass = 0; pass < EVALUATION_PASSES_MAX; pass++) if (!this.#applyOneRule(out)) return;
    assert(false, "consensus rules did not settle; a rule fires without changing state");
  }

  #applyOneRule(out: ConsensusOutput<Value>[]): boolean {
    const s = this.#state;
    if (s === null || s.step === RoundStep.commit) return false;
    if (this.#tryDecide(s, out)) return true;
    // L55: more than a third of the weight is in a later round; join it.
    for (const [round, rv] of s.votes) {
      if (round <= s.round) continue;
      const voters = new Set([...rv.prevotes.voters(), ...rv.precommits.voters()]);
      const proposal = s.proposals.get(round);
      if (proposal !== undefined) voters.add(bytesToHex(proposal.proposer));
      let weight = 0;
      for (const v of voters) weight += s.validators.weightOfHex(v);
      if (s.validators.hasOneHonest(weight)) {
        this.#enterNewRound(round, out);
        return true;
      }
    }
    const rv = s.votes.get(s.round);
    const proposal = s.proposals.get(s.round);
    if (s.step === RoundStep.propose && proposal !== undefined) {
      const key = blockKey(proposal.blockHash);
      const verdict = s.verdicts.get(key);
      const valid = verdict === "valid";
      const lockedOnIt = s.lockedValue !== null && blockKey(this.#modules.hashValue(s.lockedValue)) === key;
      if (proposal.validRound === -1 && verdict !== "pending") {
        // L22
        this.#enterPrevote(valid && (s.lockedRound === -1 || lockedOnIt) ? proposal.blockHash : null, out);
        return true;
      }
      const pol = s.votes.get(proposal.validRound);
      if (
        proposal.validRound >= 0 &&
        verdict !== "pending" &&
        pol !== undefined &&
        this.#quorum(s, pol.prevotes.weightFor(key))
      ) {
        // L28
        this.#enterPrevote(
          valid && (s.lockedRound <= proposal.validRound || lockedOnIt) ? proposal.blockHash : null,
          out,
        );
        return true;
      }
      if (s.proposeTimeoutDeferred === s.round && verdict !== "pending") {
        // L57, deferred until the verdict: neither L22 nor L28 applies to the proposal.
        this.#enterPrevote(null, out);
        return true;
      }
    }
    if (this.#updateValidValueFromEarlierRound(s)) return true;
    if (rv === undefined) return false;
    // L34
    if (
      s.step === RoundStep.prevote &&
      !s.prevoteTimeoutScheduled.has(s.round) &&
      this.#quorum(s, rv.prevotes.anyWeight)
    ) {
      s.prevoteTimeoutScheduled.add(s.round);
      this.#scheduleStepTimeout(TimeoutStep.prevote, out);
      return true;
    }
    // L36
    if (
      proposal !== undefined &&
      s.step !== RoundStep.propose &&
      !s.validValueUpdated.has(s.round) &&
      s.verdicts.get(blockKey(proposal.blockHash)) === "valid" &&
      this.#quorum(s, rv.prevotes.weightFor(blockKey(proposal.blockHash)))
    ) {
      s.validValueUpdated.add(s.round);
      if (s.step === RoundStep.prevote) {
        s.lockedValue = proposal.value;
        s.lockedRound = s.round;
        s.validValue = proposal.value;
        s.validRound = s.round;
        this.#enterPrecommit(proposal.blockHash, out);
      } else {
        s.validValue = proposal.value;
        s.validRound = s.round;
      }
      return true;
    }
    // L44
    if (s.step === RoundStep.prevote && this.#quorum(s, rv.prevotes.weightFor("nil"))) {
      this.#enterPrecommit(null, out);
      return true;
    }
    // L47
    if (!s.precommitTimeoutScheduled.has(s.round) && this.#quorum(s, rv.precommits.anyWeight)) {
      s.precommitTimeoutScheduled.add(s.round);
      this.#scheduleStepTimeout(TimeoutStep.precommit, out);
      return true;
    }
    return false;
  }

  /**
   * The valid-value rule extended to earlier rounds and other values: a quorum of prevotes for a known, valid value
   * in a round `validRound < r' < round`, or in `r' = round` once past step propose, becomes the valid value.
   * Algorithm 1 only notices it while in r' and for the proposal it holds (L36), which misses a POL that arrives
   * late and one for the other proposal of an equivocating proposer. It changes only what this node proposes, never
   * a lock, and receivers still check the POL themselves (L28), so safety is untouched; without it, a node that
   * learns of a POL late proposes a fresh value that every locked node must refuse, and a round is lost after heal.
   */
  #updateValidValueFromEarlierRound(s: HeightState<Value>): boolean {
    for (const [round, rv] of s.votes) {
      if (round <= s.validRound || round > s.round || (round === s.round && s.step === RoundStep.propose))
        continue;
      for (const key of rv.prevotes.keys()) {
        if (key === "nil" || !this.#quorum(s, rv.prevotes.weightFor(key))) continue;
        const value = s.values.get(key);
        if (value === undefined || s.verdicts.get(key) !== "valid") continue;
        s.validValue = value;
        s.validRound = round;
        return true;
      }
    }
    return false;
  }

  /** L49 — a quorum of precommits for a value in any round, the value known and valid: decide. */
  #tryDecide(s: HeightState<Value>, out: ConsensusOutput<Value>[]): boolean {
    const certified = s.certified;
    if (certified !== null && s.verdicts.get(blockKey(certified.certificate.blockHash)) === "valid") {
      this.#decide(s, certified.value, certified.certificate, out);
      return true;
    }
    for (const [round, rv] of s.votes) {
      for (const key of rv.precommits.keys()) {
        if (key === "nil" || !this.#quorum(s, rv.precommits.weightFor(key))) continue;
        const value = s.values.get(key);
        if (value === undefined || s.verdicts.get(key) !== "valid") continue;
        const votes = rv.precommits.votesFor(key);
        const certificate: CommitCertificate = {
          height: s.height,
          round,
          blockHash: votes[0]!.blockHash!,
          signatures: votes.map((v) => ({ validator: v.validator, signature: v.signature })),
        };
        this.#decide(s, value, certificate, out);
        return true;
      }
    }
    return false;
  }

  #decide(
    s: HeightState<Value>,
    value: Value,
    certificate: CommitCertificate,
    out: ConsensusOutput<Value>[],
  ): void {
    s.step = RoundStep.commit;
    this.#decisions.set(s.height, { kind: "commit", value, certificate });
    this.#decisions.delete(s.height - DECISIONS_KEPT);
    out.push({ type: "commit", height: s.height, value, certificate });
  }
}

function invalid(code: "invalid-message" | "invalid-certificate", message: string): ConsensusError {
  return new ConsensusError(code, message);
}
