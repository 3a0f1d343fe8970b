/**
 * TEST-ONLY planted bugs for the simulator's negative controls: each flag breaks one rule on purpose so the
 * simulator can prove its checkers catch that class of bug. Production code never sets these: the node's
 * configuration schema has no field that reaches them, and the composition root does not pass
 * `testOnlyMutations`. With no flags set the core behaves exactly as specified.
 */
export interface ConsensusMutations {
  /** Quorum is 2f (`weight ≥ 2 × floor((W − 1) / 3)`) instead of 2f+1. */
  readonly quorumTwoF?: boolean;
  /** A restarted node drops the lock and valid value it persisted. */
  readonly forgetLockOnRestart?: boolean;
  /** Proposal and vote signatures are not checked. */
  readonly skipSignatureCheck?: boolean;
  /**
   * A repeated vote (same validator, slot and value) is counted again, toward its value and toward "any value", and
   * a catch-up certificate may count one validator's signature twice. (A conflicting vote counts toward its own value
   * in correct code too, spec section 1, so the planted bug is the repeat.)
   */
  readonly countVotesTwice?: boolean;
  /** Votes from addresses outside the set are accepted with the heaviest member's weight and no signature check. */
  readonly acceptNonValidatorVotes?: boolean;
}
