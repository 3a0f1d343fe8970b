import { describe, expect, it } from "vitest";
import { createSimCrypto } from "../test/sim/simCrypto.js";
import {
  ConsensusCore,
  type ConsensusOutput,
  RoundStep,
  type SignStateRecord,
  TimeoutStep,
} from "./consensusCore.js";
import { type Proposal, SignedType, type Vote, VoteType } from "./messages.js";
import type { ConsensusMutations } from "./mutations.js";
import { signBytes } from "./signBytes.js";
import { createValidatorSet, type ValidatorSet } from "./validatorSet.js";

const CHAIN_ID = 9n;
const crypto = createSimCrypto();
const keys = [1, 2, 3, 4, 5].map((i) => new Uint8Array(32).fill(i));
const pubs = keys.map((k) => crypto.publicKeyFromPrivateKey(k));
const addrs = pubs.map((p) => crypto.addressFromPublicKey(p));

function setup(
  options: {
    weights?: number[];
    me?: number;
    mutations?: ConsensusMutations;
    recovered?: SignStateRecord<Uint8Array> | null;
  } = {},
) {
  const weights = options.weights ?? [1, 1, 1, 1];
  const set = createValidatorSet(
    weights.map((weight, i) => ({ address: addrs[i]!, publicKey: pubs[i]!, weight })),
  );
  const me = options.me ?? 0;
  const core = new ConsensusCore<Uint8Array>(
    {
      chainId: CHAIN_ID,
      address: addrs[me]!,
      recovered: options.recovered ?? null,
      ...(options.mutations ? { testOnlyMutations: options.mutations } : {}),
    },
    { crypto, sign: (d) => crypto.sign(d, keys[me]!), hashValue: (v) => crypto.hash(v) },
  );
  const start = core.step({ type: "startHeight", height: 1, validators: set });
  return { core, set, start };
}

function vote(signer: number, type: VoteType, round: number, value: Uint8Array | null, height = 1): Vote {
  const blockHash = value === null ? null : crypto.hash(value);
  const digest = crypto.hash(signBytes({ chainId: CHAIN_ID, type, height, round, blockHash }));
  return {
    kind: "vote",
    type,
    height,
    round,
    blockHash,
    validator: addrs[signer]!,
    signature: crypto.sign(digest, keys[signer]!),
  };
}

function proposal(signer: number, round: number, value: Uint8Array, validRound = -1): Proposal<Uint8Array> {
  const blockHash = crypto.hash(value);
  const digest = crypto.hash(
    signBytes({ chainId: CHAIN_ID, type: SignedType.proposal, height: 1, round, blockHash, validRound }),
  );
  return {
    kind: "proposal",
    height: 1,
    round,
    validRound,
    value,
    blockHash,
    proposer: addrs[signer]!,
    signature: crypto.sign(digest, keys[signer]!),
  };
}

const proposerOf = (set: ValidatorSet, height: number, round: number) =>
  set.validators.indexOf(set.proposer(height, round));
const msg = (core: ConsensusCore<Uint8Array>, from: number, message: Vote | Proposal<Uint8Array>) =>
  core.step({ type: "message", from: String(from), message });
const sent = (outs: ConsensusOutput<Uint8Array>[]) =>
  outs.flatMap((o) => (o.type === "broadcast" && o.message.kind === "vote" ? [o.message] : []));
const A = new Uint8Array([1, 2, 3]);
const B = new Uint8Array([4, 5, 6]);

/** Delivers the round's proposal of A from its proposer and the application's "valid" verdict. */
function withValidProposal(core: ConsensusCore<Uint8Array>, proposerIndex: number, round = 0) {
  msg(core, proposerIndex, proposal(proposerIndex, round, A));
  return core.step({ type: "blockValidated", height: 1, blockHash: crypto.hash(A), valid: true });
}

describe("ConsensusCore", () => {
  it("the proposer asks the application for a block, persists before it broadcasts the signed proposal", () => {
    const probe = setup();
    const p = proposerOf(probe.set, 1, 0);
    const { core, start } = setup({ me: p });
    expect(start.some((o) => o.type === "requestProposal")).toBe(true);
    const outs = core.step({ type: "proposalBuilt", height: 1, round: 0, value: A });
    const persistAt = outs.findIndex((o) => o.type === "persist");
    const proposalAt = outs.findIndex((o) => o.type === "broadcast" && o.message.kind === "proposal");
    const prevoteAt = outs.findIndex((o) => o.type === "broadcast" && o.message.kind === "vote");
    expect(persistAt).toBeGreaterThanOrEqual(0);
    expect(persistAt).toBeLessThan(proposalAt);
    // Its own block needs no validation: it prevotes it at once, after persisting again.
    expect(prevoteAt).toBeGreaterThan(proposalAt);
    expect(outs.slice(proposalAt + 1, prevoteAt).some((o) => o.type === "persist")).toBe(true);
  });

  it("waits for the application's verdict, then prevotes the block; an invalid block gets a nil prevote", () => {
    const probe = setup({ me: 1 });
    const p = proposerOf(probe.set, 1, 0);
    const me = p === 1 ? 2 : 1;
    const good = setup({ me });
    const outs = msg(good.core, p, proposal(p, 0, A));
    expect(outs.some((o) => o.type === "requestValidation")).toBe(true);
    expect(good.core.roundStep).toBe(RoundStep.propose);
    const after = good.core.step({
      type: "blockValidated",
      height: 1,
      blockHash: crypto.hash(A),
      valid: true,
    });
    expect(sent(after)[0]?.blockHash).toEqual(crypto.hash(A));
    const bad = setup({ me });
    msg(bad.core, p, proposal(p, 0, A));
    const nil = bad.core.step({ type: "blockValidated", height: 1, blockHash: crypto.hash(A), valid: false });
    expect(sent(nil)[0]?.blockHash).toBeNull();
  });

  it("a proposal that arrived before timeoutPropose is judged when its verdict comes, not prevoted nil", () => {
    const probe = setup({ me: 1 });
    const p = proposerOf(probe.set, 1, 0);
    const me = p === 1 ? 2 : 1;
    const timeout = { type: "timeout", height: 1, round: 0, step: TimeoutStep.propose } as const;
    for (const valid of [true, false]) {
      const { core } = setup({ me });
      msg(core, p, proposal(p, 0, A));
      // Validation (executing the block) outlasts the timeout: no prevote yet.
      expect(sent(core.step(timeout))).toEqual([]);
      expect(core.roundStep).toBe(RoundStep.propose);
      const after = core.step({ type: "blockValidated", height: 1, blockHash: crypto.hash(A), valid });
      expect(sent(after).map((v) => v.blockHash)).toEqual([valid ? crypto.hash(A) : null]);
    }
    // Without a proposal, the timeout prevotes nil at once (L57).
    const { core } = setup({ me });
    expect(sent(core.step(timeout)).map((v) => v.blockHash)).toEqual([null]);
  });

  it("a proposal with a POL that never arrived gets the deferred nil prevote once its verdict is in", () => {
    const probe = setup({ me: 1 });
    const r1 = proposerOf(probe.set, 1, 1);
    const me = [0, 1, 2, 3].find((i) => i !== r1)!;
    const { core } = setup({ me });
    // Into round 1 through timeoutPrecommit of round 0 after a quorum of nil precommits.
    for (const v of [0, 1, 2, 3].filter((i) => i !== me)) msg(core, v, vote(v, VoteType.precommit, 0, null));
    core.step({ type: "timeout", height: 1, round: 0, step: TimeoutStep.precommit });
    expect(core.round).toBe(1);
    // Round 1's proposal claims a POL in round 0 that this node never saw.
    msg(core, r1, proposal(r1, 1, A, 0));
    expect(sent(core.step({ type: "timeout", height: 1, round: 1, step: TimeoutStep.propose }))).toEqual([]);
    const after = core.step({ type: "blockValidated", height: 1, blockHash: crypto.hash(A), valid: true });
    expect(sent(after).map((v) => v.blockHash)).toEqual([null]);
  });

  it("tells whether it already holds an exact proposal of its height, so copies can be dropped undecoded", () => {
    const probe = setup({ me: 1 });
    const p = proposerOf(probe.set, 1, 0);
    const me = p === 1 ? 2 : 1;
    const { core } = setup({ me });
    const held = proposal(p, 0, A);
    expect(core.holdsProposal(1, 0, held.signature)).toBe(false);
    msg(core, p, held);
    expect(core.holdsProposal(1, 0, held.signature)).toBe(true);
    // Another signature, round or height is not the same proposal.
    expect(core.holdsProposal(1, 0, proposal(p, 0, B).signature)).toBe(false);
    expect(core.holdsProposal(1, 1, held.signature)).toBe(false);
    expect(core.holdsProposal(2, 0, held.signature)).toBe(false);
  });

  it("asks for a block with a build budget of a third of the round's propose timeout", () => {
    const probe = setup();
    const p = proposerOf(probe.set, 1, 0);
    const { start } = setup({ me: p });
    const request = start.find((o) => o.type === "requestProposal");
    const timeout = start.find((o) => o.type === "scheduleTimeout" && o.step === TimeoutStep.propose);
    expect(request?.type === "requestProposal" && request.budgetMs).toBe(
      timeout?.type === "scheduleTimeout" ? Math.floor(timeout.durationMs / 3) : -1,
    );
  });

  it("locks on a prevote quorum, precommits it, and commits on a precommit quorum with a certificate", () => {
    const { core, set } = setup({ me: 0 });
    const p = proposerOf(set, 1, 0);
    withValidProposal(core, p);
    const voters = [1, 2, 3].filter((i) => i !== 0);
    let outs: ConsensusOutput<Uint8Array>[] = [];
    for (const v of voters.slice(0, 2)) outs = msg(core, v, vote(v, VoteType.prevote, 0, A));
    const precommit = sent(outs).find((v) => v.type === VoteType.precommit);
    expect(precommit?.blockHash).toEqual(crypto.hash(A));
    const persisted = outs.find((o) => o.type === "persist");
    expect(persisted?.type === "persist" && persisted.record.lockedRound).toBe(0);
    for (const v of voters.slice(0, 2)) outs = msg(core, v, vote(v, VoteType.precommit, 0, A));
    const commit = outs.find((o) => o.type === "commit");
    expect(commit?.type === "commit" && commit.certificate.signatures.length).toBe(3);
  });

  it("counts quorum by weight, not by head count", () => {
    // Weights 1,1,1,5 (total 8): validators 0..2 together hold 3/8, no quorum; 3 + 0 hold 6/8 > 2/3.
    const { core, set } = setup({ me: 1, weights: [1, 1, 1, 5] });
    const p = proposerOf(set, 1, 0);
    withValidProposal(core, p);
    let outs = msg(core, 0, vote(0, VoteType.prevote, 0, A));
    outs = outs.concat(msg(core, 2, vote(2, VoteType.prevote, 0, A)));
    expect(sent(outs).some((v) => v.type === VoteType.precommit)).toBe(false);
    outs = msg(core, 3, vote(3, VoteType.prevote, 0, A));
    expect(sent(outs).some((v) => v.type === VoteType.precommit && v.blockHash !== null)).toBe(true);
  });

  it("never counts a duplicate twice, nor an equivocating vote toward the other value, and reports it", () => {
    const { core, set } = setup({ me: 0 });
    const p = proposerOf(set, 1, 0);
    withValidProposal(core, p);
    let outs = msg(core, 1, vote(1, VoteType.prevote, 0, A));
    outs = outs.concat(msg(core, 1, vote(1, VoteType.prevote, 0, A)));
    const eq = msg(core, 1, vote(1, VoteType.prevote, 0, B));
    expect(eq.some((o) => o.type === "equivocation")).toBe(true);
    // Own prevote + validator 1 = 2 of 4: no quorum, so no precommit, however many copies arrived.
    expect(sent(outs.concat(eq)).some((v) => v.type === VoteType.precommit)).toBe(false);
    const mutated = setup({ me: 0, mutations: { countVotesTwice: true } });
    withValidProposal(mutated.core, p);
    msg(mutated.core, 1, vote(1, VoteType.prevote, 0, A));
    const twice = msg(mutated.core, 1, vote(1, VoteType.prevote, 0, A));
    expect(sent(twice).some((v) => v.type === VoteType.precommit)).toBe(true);
  });

  it("an equivocator's second prevote completes a quorum for its value: lock and precommit", () => {
    const { core, set } = setup({ me: 0 });
    const p = proposerOf(set, 1, 0);
    withValidProposal(core, p); // own prevote for A
    const x = [1, 2, 3].find((i) => i !== p)!;
    msg(core, p, vote(p, VoteType.prevote, 0, A));
    // x prevotes B first (the only vote of it counted before the fix), then A.
    expect(sent(msg(core, x, vote(x, VoteType.prevote, 0, B)))).toEqual([]);
    const outs = msg(core, x, vote(x, VoteType.prevote, 0, A));
    expect(outs.some((o) => o.type === "equivocation")).toBe(true);
    const precommit = sent(outs).find((v) => v.type === VoteType.precommit);
    expect(precommit?.blockHash).toEqual(crypto.hash(A));
    // Its precommits likewise: x's precommit for A completes the commit after one for nil; one signature each.
    msg(core, x, vote(x, VoteType.precommit, 0, null));
    msg(core, p, vote(p, VoteType.precommit, 0, A));
    const committed = msg(core, x, vote(x, VoteType.precommit, 0, A));
    const commit = committed.find((o) => o.type === "commit");
    expect(commit?.type).toBe("commit");
    if (commit?.type !== "commit") return;
    const signers = commit.certificate.signatures.map((sig) => sig.validator.join());
    expect(new Set(signers).size).toBe(signers.length);
    expect(signers).toHaveLength(3);
    expect(commit.certificate.blockHash).toEqual(crypto.hash(A));
  });

  it("counts an equivocator once toward any value: prevote timeout and round skip", () => {
    const { core, set } = setup({ me: 0 });
    const p = proposerOf(set, 1, 0);
    withValidProposal(core, p); // own prevote for A: any-value weight 1
    const [x, y] = [1, 2, 3].filter((i) => i !== p) as [number, number];
    const prevoteTimeout = (outs: ConsensusOutput<Uint8Array>[]) =>
      outs.some((o) => o.type === "scheduleTimeout" && o.step === "prevote");
    // x prevotes B and nil: 2 validators, 3 votes. No quorum of "any value" (3 of 4) yet.
    expect(prevoteTimeout(msg(core, x, vote(x, VoteType.prevote, 0, B)))).toBe(false);
    expect(prevoteTimeout(msg(core, x, vote(x, VoteType.prevote, 0, null)))).toBe(false);
    // A third validator makes it a quorum.
    expect(prevoteTimeout(msg(core, y, vote(y, VoteType.prevote, 0, B)))).toBe(true);
    // L55: one validator's many votes for round 5 are one validator's weight (1 of 4), not f+1.
    for (const value of [A, B, null]) {
      msg(core, x, vote(x, VoteType.prevote, 5, value));
      msg(core, x, vote(x, VoteType.precommit, 5, value));
    }
    expect(core.round).toBe(0);
    msg(core, y, vote(y, VoteType.prevote, 5, null));
    expect(core.round).toBe(5);
  });

  it("relays its POL on rebroadcast: the prevotes for its valid value and the proposal carrying it", () => {
    const { core, set } = setup({ me: 0 });
    const p = proposerOf(set, 1, 0);
    const others = [1, 2, 3].filter((i) => i !== p);
    withValidProposal(core, p);
    const x = others[0]!;
    msg(core, x, vote(x, VoteType.prevote, 0, B));
    msg(core, x, vote(x, VoteType.prevote, 0, A)); // the equivocator's vote that completes the POL
    msg(core, p, vote(p, VoteType.prevote, 0, A));
    expect(sent(msg(core, others[1]!, vote(others[1]!, VoteType.prevote, 0, B))).length).toBe(0);
    const outs = core.step({ type: "timeout", height: 1, round: 0, step: "rebroadcast" });
    const broadcast = outs.flatMap((o) => (o.type === "broadcast" ? [o.message] : []));
    const relayed = broadcast.filter((m) => m.kind === "vote" && m.validator.join() !== addrs[0]!.join());
    // Exactly the POL: the prevotes for A in round 0 of x and of p, not x's prevote for B nor anything else.
    expect(relayed.map((m) => (m.kind === "vote" ? [m.validator.join(), m.type, m.round] : null))).toEqual(
      [x, p].map((i) => [addrs[i]!.join(), VoteType.prevote, 0]),
    );
    expect(
      relayed.every(
        (m) => m.kind === "vote" && m.blockHash !== null && m.blockHash.join() === crypto.hash(A).join(),
      ),
    ).toBe(true);
    const proposals = broadcast.filter((m) => m.kind === "proposal");
    expect(proposals).toHaveLength(1);
    expect(proposals[0]!.kind === "proposal" && proposals[0]!.value).toEqual(A);
    // Its own prevote and precommit are re-sent once each, as before.
    const own = broadcast.filter((m) => m.kind === "vote" && m.validator.join() === addrs[0]!.join());
    expect(own.map((m) => (m.kind === "vote" ? m.type : 0))).toEqual([VoteType.prevote, VoteType.precommit]);
    // Without a valid value there is nothing to relay.
    const fresh = setup({ me: 0 });
    const quiet = fresh.core.step({ type: "timeout", height: 1, round: 0, step: "rebroadcast" });
    expect(quiet.filter((o) => o.type === "broadcast")).toEqual([]);
  });

  it("relays on rebroadcast the precommits of the round it left, and they move a node stuck in it", () => {
    // Simulator seed 2478: this node (0) leaves round 0 on timeoutPrecommit after a precommit quorum of any values
    // that includes the precommit of a byzantine validator (z) that no other honest node received.
    const { core } = setup({ me: 0 });
    const [x, y, z] = [1, 2, 3] as const;
    const precommitTimeout = (outs: ConsensusOutput<Uint8Array>[]) =>
      outs.some((o) => o.type === "scheduleTimeout" && o.step === "precommit" && o.round === 0);
    const rebroadcast = (c: ConsensusCore<Uint8Array>) =>
      sent(c.step({ type: "timeout", height: 1, round: 0, step: "rebroadcast" })).filter(
        (v) => v.validator.join() !== addrs[0]!.join(),
      );
    msg(core, z, vote(z, VoteType.precommit, 0, B)); // z equivocates: B first, then nil
    msg(core, x, vote(x, VoteType.precommit, 0, null));
    msg(core, z, vote(z, VoteType.precommit, 0, null));
    expect(precommitTimeout(msg(core, y, vote(y, VoteType.precommit, 0, null)))).toBe(true);
    expect(rebroadcast(core)).toEqual([]); // still in round 0: nothing of others to relay
    core.step({ type: "timeout", height: 1, round: 0, step: "precommit" });
    expect(core.round).toBe(1);
    const relayed = rebroadcast(core);
    // One precommit of round 0 per validator, none of its own; for z the one for the heavier value (nil, 3 of 4).
    expect(relayed.map((v) => [v.validator.join(), v.type, v.round, v.blockHash])).toEqual(
      [z, x, y].map((i) => [addrs[i]!.join(), VoteType.precommit, 0, null]),
    );
    // Node x is still in round 0 and never received z's precommit: its own and y's are no quorum.
    const stuck = setup({ me: x });
    stuck.core.step({ type: "timeout", height: 1, round: 0, step: "propose" }); // prevote nil (L57)
    const own = stuck.core.step({ type: "timeout", height: 1, round: 0, step: "prevote" }); // precommit nil (L61)
    expect(sent(own).map((v) => v.type)).toEqual([VoteType.precommit]);
    expect(precommitTimeout(msg(stuck.core, y, vote(y, VoteType.precommit, 0, null)))).toBe(false);
    // The relayed precommits complete its quorum of any values: it schedules timeoutPrecommit and leaves round 0.
    expect(precommitTimeout(relayed.flatMap((v) => msg(stuck.core, 0, v)))).toBe(true);
    stuck.core.step({ type: "timeout", height: 1, round: 0, step: "precommit" });
    expect(stuck.core.round).toBe(1);
  });

  it("learns the value of a non-first proposal of a round only when a quorum prevoted it", () => {
    const { core, set } = setup({ me: 0 });
    const p = proposerOf(set, 1, 0);
    const others = [1, 2, 3].filter((i) => i !== p);
    // The proposer equivocates: B reaches this node first, then A.
    msg(core, p, proposal(p, 0, B));
    const validations = (outs: ConsensusOutput<Uint8Array>[]) =>
      outs.flatMap((o) => (o.type === "requestValidation" ? [o.blockHash.join()] : []));
    expect(validations(msg(core, p, proposal(p, 0, A)))).toEqual([]);
    // A quorum prevoted A in round 0 (relayed to us): now the value of A is learned from its proposal.
    for (const v of [p, ...others]) msg(core, v, vote(v, VoteType.prevote, 0, A));
    expect(validations(msg(core, p, proposal(p, 0, A)))).toEqual([crypto.hash(A).join()]);
    expect(validations(msg(core, p, proposal(p, 0, A)))).toEqual([]);
  });

  it("a proposer that learns a POL while the application builds its block proposes the valid value", () => {
    const probe = setup();
    const me = proposerOf(probe.set, 1, 1);
    const { core, set } = setup({ me });
    const others = [0, 1, 2, 3].filter((i) => i !== me);
    // f+1 weight of round-1 messages: this node joins round 1, where it proposes, and asks for a block.
    msg(core, others[0]!, vote(others[0]!, VoteType.prevote, 1, null));
    const joined = msg(core, others[1]!, vote(others[1]!, VoteType.prevote, 1, null));
    expect(core.round).toBe(1);
    expect(joined.some((o) => o.type === "requestProposal" && o.round === 1)).toBe(true);
    // Meanwhile the POL of round 0 for A arrives: the proposal of round 0 and a quorum of prevotes for A.
    const p0 = proposerOf(set, 1, 0);
    withValidProposal(core, p0, 0);
    for (const v of others) msg(core, v, vote(v, VoteType.prevote, 0, A));
    const outs = core.step({ type: "proposalBuilt", height: 1, round: 1, value: B });
    const proposed = outs.flatMap((o) =>
      o.type === "broadcast" && o.message.kind === "proposal" ? [o.message] : [],
    );
    expect(proposed).toHaveLength(1);
    expect(proposed[0]!.value).toEqual(A);
    expect(proposed[0]!.validRound).toBe(0);
  });

  it("takes a POL for the other proposal of an equivocating proposer as its valid value, without locking", () => {
    const { core, set } = setup({ me: 0 });
    const p = proposerOf(set, 1, 0);
    const others = [1, 2, 3];
    // The proposer equivocates: B reaches this node first, and it prevotes B.
    msg(core, p, proposal(p, 0, B));
    const prevoted = core.step({ type: "blockValidated", height: 1, blockHash: crypto.hash(B), valid: true });
    expect(sent(prevoted)[0]?.blockHash).toEqual(crypto.hash(B));
    // The three others prevote A, and A's proposal arrives too: a POL for A in the current round.
    for (const v of others) msg(core, v, vote(v, VoteType.prevote, 0, A));
    msg(core, p, proposal(p, 0, A));
    const outs = core.step({ type: "blockValidated", height: 1, blockHash: crypto.hash(A), valid: true });
    // No lock and no precommit for A: its prevote was for B (L36 needs the round's proposal it holds).
    expect(sent(outs).some((v) => v.type === VoteType.precommit && v.blockHash !== null)).toBe(false);
    const timedOut = core.step({ type: "timeout", height: 1, round: 0, step: "prevote" });
    expect(sent(timedOut)[0]?.blockHash).toBeNull();
    const record = timedOut.flatMap((o) => (o.type === "persist" ? [o.record] : [])).at(-1);
    expect(record?.lockedRound).toBe(-1);
    expect(record?.validRound).toBe(0);
    expect(record?.validValue).toEqual(A);
    // But A at round 0 is its valid value: it relays that POL on rebroadcast.
    const relay = core
      .step({ type: "timeout", height: 1, round: 0, step: "rebroadcast" })
      .flatMap((o) => (o.type === "broadcast" ? [o.message] : []))
      .filter(
        (m) => m.kind !== "commit" && m.blockHash !== null && m.blockHash.join() === crypto.hash(A).join(),
      );
    expect(relay.filter((m) => m.kind === "proposal")).toHaveLength(1);
    expect(relay.filter((m) => m.kind === "vote")).toHaveLength(3);
  });

  it("rejects votes from non-validators and votes with a forged signature", () => {
    const { core } = setup({ me: 0 });
    const outsider = msg(core, 4, vote(4, VoteType.prevote, 0, null));
    expect(outsider.some((o) => o.type === "rejected" && o.error.code === "invalid-message")).toBe(true);
    const forged = {
      ...vote(1, VoteType.prevote, 0, null),
      signature: vote(2, VoteType.prevote, 0, null).signature,
    };
    expect(msg(core, 2, forged).some((o) => o.type === "rejected")).toBe(true);
    // A precommit signature replayed as a prevote fails: the type byte is in the signed bytes.
    const precommit = vote(1, VoteType.precommit, 0, null);
    expect(msg(core, 1, { ...precommit, type: VoteType.prevote }).some((o) => o.type === "rejected")).toBe(
      true,
    );
  });

  it("moves to a later round on f+1 weight of messages from it, and to the next round on timeoutPrecommit", () => {
    const { core } = setup({ me: 0 });
    msg(core, 1, vote(1, VoteType.prevote, 3, null));
    expect(core.round).toBe(0);
    msg(core, 2, vote(2, VoteType.precommit, 3, null));
    expect(core.round).toBe(3);
    core.step({ type: "timeout", height: 1, round: 3, step: "precommit" });
    expect(core.round).toBe(4);
  });

  it("a locked node prevotes nil for another value without a newer POL, and keeps the lock across a restart", () => {
    const { core, set } = setup({ me: 0 });
    const p0 = proposerOf(set, 1, 0);
    withValidProposal(core, p0);
    const outs = [1, 2, 3]
      .filter((i) => i !== 0)
      .slice(0, 2)
      .flatMap((v) => msg(core, v, vote(v, VoteType.prevote, 0, A)));
    const records = outs.flatMap((o) => (o.type === "persist" ? [o.record] : []));
    const record = records.at(-1)!;
    expect(record.lockedRound).toBe(0);
    for (const mutations of [{}, { forgetLockOnRestart: true }]) {
      const restarted = setup({ me: 0, recovered: record, mutations });
      expect(restarted.core.round).toBe(0);
      expect(restarted.core.roundStep).toBe(RoundStep.precommit);
      restarted.core.step({ type: "timeout", height: 1, round: 0, step: "precommit" });
      const p1 = proposerOf(set, 1, 1);
      if (p1 === 0) continue;
      msg(restarted.core, p1, proposal(p1, 1, B));
      const v = sent(
        restarted.core.step({ type: "blockValidated", height: 1, blockHash: crypto.hash(B), valid: true }),
      );
      const prevote = v.find((x) => x.type === VoteType.prevote && x.round === 1);
      if ("forgetLockOnRestart" in mutations) expect(prevote?.blockHash).toEqual(crypto.hash(B));
      else expect(prevote?.blockHash).toBeNull();
    }
  });

  it("never signs twice for one slot after a restart: it re-sends what it persisted", () => {
    const { core, set } = setup({ me: 0 });
    const p = proposerOf(set, 1, 0);
    const outs = withValidProposal(core, p);
    const record = outs.flatMap((o) => (o.type === "persist" ? [o.record] : [])).at(-1)!;
    const restarted = setup({ me: 0, recovered: record });
    const resent = sent(restarted.start);
    expect(resent).toHaveLength(1);
    expect(resent[0]!.signature).toEqual(sent(outs)[0]!.signature);
    // Another proposal for the same round cannot make it prevote again.
    msg(restarted.core, p, proposal(p, 0, B));
    const again = restarted.core.step({
      type: "blockValidated",
      height: 1,
      blockHash: crypto.hash(B),
      valid: true,
    });
    expect(sent(again).filter((v) => v.type === VoteType.prevote && v.round === 0)).toHaveLength(0);
  });
});
