import { describe, expect, it } from "vitest";
import { type Vote, VoteType } from "./messages.js";
import { AddVoteResult, blockKey, VOTES_PER_VALIDATOR_SLOT_MAX, VoteSet } from "./voteSet.js";

const validator = (i: number) => new Uint8Array(20).fill(i + 1);
const hash = (i: number) => new Uint8Array(32).fill(i);

/** Signatures are not checked by a VoteSet; each vote object carries a distinct dummy one. */
function vote(signer: number, value: number | null): Vote {
  return {
    kind: "vote",
    type: VoteType.prevote,
    height: 1,
    round: 0,
    blockHash: value === null ? null : hash(value),
    validator: validator(signer),
    signature: new Uint8Array([signer, value ?? 255]),
  };
}
const key = (value: number | null) => blockKey(value === null ? null : hash(value));
const A = 1;
const B = 2;

describe("VoteSet", () => {
  it("counts an equivocator toward each value it voted for, once per value, and once toward any value", () => {
    const set = new VoteSet({ countTwice: false });
    expect(set.add(vote(0, A), 1)).toBe(AddVoteResult.added);
    expect(set.add(vote(1, A), 1)).toBe(AddVoteResult.added);
    // Validator 2 equivocates: B first, then A. Its A vote completes A's quorum (3 of 4).
    expect(set.add(vote(2, B), 1)).toBe(AddVoteResult.added);
    expect(set.weightFor(key(A))).toBe(2);
    expect(set.add(vote(2, A), 1)).toBe(AddVoteResult.equivocation);
    expect(set.weightFor(key(A))).toBe(3);
    expect(set.weightFor(key(B))).toBe(1);
    // A repeat of either vote counts nothing more.
    expect(set.add(vote(2, A), 1)).toBe(AddVoteResult.duplicate);
    expect(set.add(vote(2, B), 1)).toBe(AddVoteResult.duplicate);
    expect(set.weightFor(key(A))).toBe(3);
    // "Any value" counts each validator once: 3 validators, not 4 votes.
    expect(set.anyWeight).toBe(3);
    expect([...set.voters()]).toHaveLength(3);
    // The certificate's signatures for A: one per validator, each a vote for A.
    const forA = set.votesFor(key(A));
    expect(forA.map((v) => v.validator[0])).toEqual([1, 2, 3]);
    expect(forA.every((v) => v.blockHash !== null && v.blockHash[0] === A)).toBe(true);
    expect(set.votesOf(validator(2)).map((v) => v.blockHash?.[0])).toEqual([B, A]);
  });

  it("the planted bug countTwice counts a repeated vote again", () => {
    const set = new VoteSet({ countTwice: true });
    set.add(vote(0, A), 1);
    expect(set.add(vote(0, A), 1)).toBe(AddVoteResult.duplicate);
    expect(set.weightFor(key(A))).toBe(2);
    expect(set.anyWeight).toBe(2);
  });

  it(`keeps at most ${VOTES_PER_VALIDATOR_SLOT_MAX} votes per validator; a new value that ties the lowest is dropped`, () => {
    const set = new VoteSet({ countTwice: false });
    // Validator 3 signs the value others voted for first, then junk values nobody else voted for.
    set.add(vote(0, A), 1);
    set.add(vote(3, A), 1);
    for (let junk = 10; junk < 10 + VOTES_PER_VALIDATOR_SLOT_MAX - 1; junk++)
      expect(set.add(vote(3, junk), 1)).toBe(AddVoteResult.equivocation);
    expect(set.votesOf(validator(3))).toHaveLength(VOTES_PER_VALIDATOR_SLOT_MAX);
    // One more junk value: every junk value (and the newcomer) has weight 1; the newest, the newcomer, goes.
    expect(set.add(vote(3, 99), 1)).toBe(AddVoteResult.equivocationDropped);
    expect(set.weightFor(key(99))).toBe(0);
    expect(set.votesOf(validator(3))).toHaveLength(VOTES_PER_VALIDATOR_SLOT_MAX);
    expect(set.weightFor(key(A))).toBe(2);
    expect(set.anyWeight).toBe(2);
  });

  it("on overflow evicts the vote whose value has the lowest weight (the newest on a tie), never the shared value", () => {
    const set = new VoteSet({ countTwice: false });
    // Validator 3 fills its slots with junk before its vote for A arrives.
    const junk = [10, 11, 12, 13].slice(0, VOTES_PER_VALIDATOR_SLOT_MAX);
    for (const j of junk) set.add(vote(3, j), 1);
    set.add(vote(1, junk[0]!), 1); // junk[0] now has weight 2; the others weight 1
    set.add(vote(0, A), 1);
    set.add(vote(2, A), 1);
    // Its vote for A (weight 3 with it) evicts the newest of the lightest junk votes, not junk[0].
    expect(set.add(vote(3, A), 1)).toBe(AddVoteResult.equivocation);
    expect(set.weightFor(key(A))).toBe(3);
    const kept = set.votesOf(validator(3)).map((v) => v.blockHash![0]);
    expect(kept).toEqual([...junk.slice(0, -1), A]);
    expect(set.weightFor(key(junk.at(-1)!))).toBe(0);
    expect([...set.keys()]).not.toContain(key(junk.at(-1)!));
    expect(set.votesFor(key(junk.at(-1)!))).toEqual([]);
    // Later junk cannot push the A vote out: it evicts, or is dropped in favour of, other junk.
    for (let j = 50; j < 60; j++) set.add(vote(3, j), 1);
    expect(set.votesOf(validator(3)).some((v) => v.blockHash![0] === A)).toBe(true);
    expect(set.weightFor(key(A))).toBe(3);
    expect(set.votesOf(validator(3))).toHaveLength(VOTES_PER_VALIDATOR_SLOT_MAX);
    // Any-value weight still counts each of the four validators once.
    expect(set.anyWeight).toBe(4);
  });

  it("onePerValidator: one vote each, an equivocator's for its heaviest value (the oldest on a tie)", () => {
    const set = new VoteSet({ countTwice: false });
    set.add(vote(2, B), 1); // validator 2 equivocates: B first, then A, which others voted for too
    set.add(vote(0, A), 1);
    set.add(vote(2, A), 1);
    set.add(vote(1, A), 1);
    set.add(vote(3, null), 1); // validator 3: nil, then 7; both weigh 1, so its older vote (nil) is chosen
    set.add(vote(3, 7), 1);
    const chosen = set.onePerValidator();
    expect(chosen.map((v) => [v.validator[0], v.blockHash?.[0] ?? null])).toEqual([
      [3, A],
      [1, A],
      [2, A],
      [4, null],
    ]);
    // The same weight of any value as the whole set, and A keeps all its weight.
    expect(chosen).toHaveLength(set.anyWeight);
    expect(chosen.filter((v) => v.blockHash?.[0] === A)).toHaveLength(set.weightFor(key(A)));
  });
});
