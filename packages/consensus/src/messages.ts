import type { CommitCertificate } from "@charter/types";

/** The byte that separates the three signed message types in the signing bytes (spec section 3). */
export const SignedType = { proposal: 1, prevote: 2, precommit: 3 } as const;
export type SignedType = (typeof SignedType)[keyof typeof SignedType];

export const VoteType = { prevote: SignedType.prevote, precommit: SignedType.precommit } as const;
export type VoteType = (typeof VoteType)[keyof typeof VoteType];

export interface Proposal<Value> {
  readonly kind: "proposal";
  readonly height: number;
  readonly round: number;
  /** −1, or the round of the prevote quorum that made `value` this proposer's valid value. */
  readonly validRound: number;
  readonly value: Value;
  readonly blockHash: Uint8Array;
  readonly proposer: Uint8Array;
  readonly signature: Uint8Array;
}

export interface Vote {
  readonly kind: "vote";
  readonly type: VoteType;
  readonly height: number;
  readonly round: number;
  /** `null` is a vote for nil. */
  readonly blockHash: Uint8Array | null;
  readonly validator: Uint8Array;
  readonly signature: Uint8Array;
}

/** Sent to a peer that is behind: a decided value and the precommits that decided it. */
export interface CommitMessage<Value> {
  readonly kind: "commit";
  readonly value: Value;
  readonly certificate: CommitCertificate;
}

export type ConsensusMessage<Value> = Proposal<Value> | Vote | CommitMessage<Value>;
