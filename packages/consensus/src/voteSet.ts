import { bytesToHex, equalBytes } from "@charter/utils";
import type { Vote } from "./messages.js";

/** The tally key of a vote's block hash; nil has its own key. */
export function blockKey(blockHash: Uint8Array | null): string {
  return blockHash === null ? "nil" : bytesToHex(blockHash);
}

export const AddVoteResult = {
  added: "added",
  duplicate: "duplicate",
  equivocation: "equivocation",
} as const;
export type AddVoteResult = (typeof AddVoteResult)[keyof typeof AddVoteResult];

/**
 * The votes of one (height, round, type). The first vote of each validator counts with its weight; a repeat is
 * ignored and a different second vote is equivocation, reported but never counted, so one validator's weight can
 * never reach a quorum twice. Bounded by the validator set: at most one counted vote per member.
 */
export class VoteSet {
  readonly #byValidator = new Map<string, Vote>();
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
    const previous = this.#byValidator.get(who);
    let result: AddVoteResult = AddVoteResult.added;
    if (previous !== undefined) {
      const same =
        previous.blockHash === null
          ? vote.blockHash === null
          : vote.blockHash !== null && equalBytes(previous.blockHash, vote.blockHash);
      result = same ? AddVoteResult.duplicate : AddVoteResult.equivocation;
      if (!this.#countTwice) return result;
    } else {
      this.#byValidator.set(who, vote);
    }
    const key = blockKey(vote.blockHash);
    this.#weightByBlock.set(key, (this.#weightByBlock.get(key) ?? 0) + weight);
    const list = this.#votesByBlock.get(key);
    if (list === undefined) this.#votesByBlock.set(key, [vote]);
    else list.push(vote);
    this.#anyWeight += weight;
    return result;
  }

  /** The counted vote of `validator`, for reporting equivocation. */
  voteOf(validator: Uint8Array): Vote | undefined {
    return this.#byValidator.get(bytesToHex(validator));
  }

  weightFor(key: string): number {
    return this.#weightByBlock.get(key) ?? 0;
  }

  get anyWeight(): number {
    return this.#anyWeight;
  }

  votesFor(key: string): readonly Vote[] {
    return this.#votesByBlock.get(key) ?? [];
  }

  /** Block keys that have any weight, in first-seen order. */
  keys(): IterableIterator<string> {
    return this.#weightByBlock.keys();
  }

  /** Addresses (hex) of the validators counted here. */
  voters(): IterableIterator<string> {
    return this.#byValidator.keys();
  }
}
