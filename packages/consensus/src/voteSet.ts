import { bytesToHex, equalBytes } from "@charter/utils";
import type { Vote } from "./messages.js";

/** The tally key of a vote's block hash; nil has its own key. */
export function blockKey(blockHash: Uint8Array | null): string {
  return blockHash === null ? "nil" : bytesToHex(blockHash);
}

/**
 * Distinct votes kept per validator in one (height, round, type). An honest validator signs one; a byzantine one may
 * sign any number, and all but this many are dropped (spec section 1), which bounds a vote set by
 * `VOTES_PER_VALIDATOR_SLOT_MAX × members`.
 */
export const VOTES_PER_VALIDATOR_SLOT_MAX = 4;

export const AddVoteResult = {
  /** The validator's first vote in this slot: counted. */
  added: "added",
  /** A vote already held (same value): ignored. */
  duplicate: "duplicate",
  /** A vote for another value than the validator's earlier vote(s) here: equivocation, counted toward its value. */
  equivocation: "equivocation",
  /** Equivocation, and the validator already has `VOTES_PER_VALIDATOR_SLOT_MAX` votes here: this one was dropped. */
  equivocationDropped: "equivocationDropped",
} as const;
export type AddVoteResult = (typeof AddVoteResult)[keyof typeof AddVoteResult];

/**
 * The votes of one (height, round, type), counted per value (spec section 1): a validator's weight counts at most
 * once toward each value it voted for, so an equivocator's conflicting votes each count toward their own value, and
 * at most once toward `anyWeight`. Safe because two quorums for different values would intersect in more than a
 * third of the weight, hence in an honest validator, who never signs two votes for one slot.
 *
 * Bounded memory: at most `VOTES_PER_VALIDATOR_SLOT_MAX` distinct votes per validator. On overflow the vote whose
 * value has the lowest total weight here is dropped (the newest on a tie), so values a byzantine signer invents
 * cannot push out its vote for a value that has a quorum here: with byzantine weight below W/3 such a value
 * outweighs every other value of the slot.
 */
export class VoteSet {
  /** Each validator's kept votes, oldest first; never empty once present. */
  readonly #byValidator = new Map<string, Vote[]>();
  readonly #weightByBlock = new Map<string, number>();
  readonly #votesByBlock = new Map<string, Vote[]>();
  readonly #countTwice: boolean;
  #anyWeight = 0;

  /** `countTwice` is the test-only planted bug `countVotesTwice` (see mutations.ts); production passes false. */
  constructor(options: { readonly countTwice: boolean }) {
    this.#countTwice = options.countTwice;
  }

  add(vote: Vote, weight: number): AddVoteResult {
    const who = bytesToHex(vote.validator);
    const key = blockKey(vote.blockHash);
    const kept = this.#byValidator.get(who);
    if (kept === undefined) {
      this.#byValidator.set(who, [vote]);
      this.#anyWeight += weight;
      this.#count(key, vote, weight);
      return AddVoteResult.added;
    }
    if (kept.some((v) => sameValue(v, vote))) {
      // Planted bug (test-only): a repeated vote is counted again, toward its value and toward "any value".
      if (this.#countTwice) {
        this.#count(key, vote, weight);
        this.#anyWeight += weight;
      }
      return AddVoteResult.duplicate;
    }
    if (kept.length >= VOTES_PER_VALIDATOR_SLOT_MAX) {
      // Candidates oldest first, the new vote last; each valued by the total weight its value would have here.
      let drop = kept.length;
      let lowest = this.weightFor(key) + weight;
      kept.forEach((v, i) => {
        const w = this.weightFor(blockKey(v.blockHash));
        if (w < lowest || (w === lowest && i > drop)) {
          drop = i;
          lowest = w;
        }
      });
      // Ties go to the newest: the new vote is the first candidate and loses every tie, and among kept votes a
      // later one with the same weight replaces an earlier one.
      if (drop === kept.length) return AddVoteResult.equivocationDropped;
      const [evicted] = kept.splice(drop, 1);
      this.#uncount(evicted!, weight);
    }
    kept.push(vote);
    this.#count(key, vote, weight);
    return AddVoteResult.equivocation;
  }

  #count(key: string, vote: Vote, weight: number): void {
    this.#weightByBlock.set(key, (this.#weightByBlock.get(key) ?? 0) + weight);
    const list = this.#votesByBlock.get(key);
    if (list === undefined) this.#votesByBlock.set(key, [vote]);
    else list.push(vote);
  }

  #uncount(vote: Vote, weight: number): void {
    const key = blockKey(vote.blockHash);
    const remaining = (this.#weightByBlock.get(key) ?? 0) - weight;
    const list = (this.#votesByBlock.get(key) ?? []).filter((v) => v !== vote);
    if (list.length === 0) {
      this.#weightByBlock.delete(key);
      this.#votesByBlock.delete(key);
    } else {
      this.#weightByBlock.set(key, remaining);
      this.#votesByBlock.set(key, list);
    }
  }

  /** The votes of `validator` kept here, oldest first (empty when it has none), for reporting equivocation. */
  votesOf(validator: Uint8Array): readonly Vote[] {
    return this.#byValidator.get(bytesToHex(validator)) ?? [];
  }

  /** Weight of the validators with a kept vote for `key`, each counted once. */
  weightFor(key: string): number {
    return this.#weightByBlock.get(key) ?? 0;
  }

  /** Weight of the validators with any kept vote here, each counted once however many values it voted for. */
  get anyWeight(): number {
    return this.#anyWeight;
  }

  /** The kept votes for `key`: at most one per validator (a certificate's signatures). */
  votesFor(key: string): readonly Vote[] {
    return this.#votesByBlock.get(key) ?? [];
  }

  /**
   * One kept vote per validator, in first-seen order of the validators: its only one, or for an equivocator the one
   * whose value has the most weight here (the oldest on a tie). Weight of any value (`anyWeight`) is the same over
   * these votes as over the whole set, and a value with a quorum here keeps it (section 1: such a value outweighs
   * every other value of the slot, so each of its voters' heaviest vote is for it). What the precommit relay sends.
   */
  onePerValidator(): Vote[] {
    const chosen: Vote[] = [];
    for (const kept of this.#byValidator.values()) {
      let best = kept[0]!;
      let bestWeight = this.weightFor(blockKey(best.blockHash));
      for (const v of kept.slice(1)) {
        const w = this.weightFor(blockKey(v.blockHash));
        if (w > bestWeight) {
          best = v;
          bestWeight = w;
        }
      }
      chosen.push(best);
    }
    return chosen;
  }

  /** Block keys that have any weight, in first-seen order. */
  keys(): IterableIterator<string> {
    return this.#weightByBlock.keys();
  }

  /** Addresses (hex) of the validators with a vote here, each once. */
  voters(): IterableIterator<string> {
    return this.#byValidator.keys();
  }
}

function sameValue(a: Vote, b: Vote): boolean {
  return a.blockHash === null
    ? b.blockHash === null
    : b.blockHash !== null && equalBytes(a.blockHash, b.blockHash);
}
