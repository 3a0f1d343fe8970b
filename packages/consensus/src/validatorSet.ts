import { bytesToHex } from "@charter/utils";
import { ConsensusError } from "./errors.js";

/** At most this many validators in one set: bounds every vote set and the proposer schedule. */
export const VALIDATORS_MAX = 256;
/** The proposer schedule has one slot per unit of weight, so total weight is bounded to bound its size. */
export const VALIDATOR_WEIGHT_TOTAL_MAX = 1 << 20;

export interface Validator {
  /** 20-byte address, as the crypto suite derives it from the public key. */
  readonly address: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly weight: number;
}

/**
 * The validators of one height with their weights, quorum arithmetic and the proposer schedule. Immutable.
 *
 * @example
 * const set = createValidatorSet([{ address, publicKey, weight: 1 }, ...]);
 * set.hasQuorum(3); // 3 * 3 > 2 * 4 with four validators of weight 1
 */
export interface ValidatorSet {
  readonly validators: readonly Validator[];
  readonly totalWeight: number;
  /** The member with this address, or `undefined`. */
  byAddress(address: Uint8Array): Validator | undefined;
  /** Weight of the member whose address is `addressHex` (as `bytesToHex` writes it), 0 for a non-member. */
  weightOfHex(addressHex: string): number;
  /** Whether `weight` of distinct members is a quorum: `3 × weight > 2 × total` (2f+1). */
  hasQuorum(weight: number): boolean;
  /** Whether `weight` of distinct members contains at least one honest member: `3 × weight > total` (f+1). */
  hasOneHonest(weight: number): boolean;
  /** The proposer of (height, round): weighted round-robin, a pure function of the set, height and round. */
  proposer(height: number, round: number): Validator;
}

export function createValidatorSet(validators: readonly Validator[]): ValidatorSet {
  if (validators.length === 0 || validators.length > VALIDATORS_MAX)
    throw new ConsensusError(
      "invalid-validator-set",
      `A validator set needs 1 to ${VALIDATORS_MAX} members; this one has ${validators.length}.`,
    );
  const index = new Map<string, Validator>();
  let totalWeight = 0;
  for (const v of validators) {
    if (!Number.isSafeInteger(v.weight) || v.weight <= 0)
      throw new ConsensusError(
        "invalid-validator-set",
        `Validator weight must be a positive integer, got ${v.weight}.`,
      );
    const key = bytesToHex(v.address);
    if (index.has(key))
      throw new ConsensusError("invalid-validator-set", `Validator ${key} appears twice in the set.`);
    index.set(key, v);
    totalWeight += v.weight;
  }
  if (totalWeight > VALIDATOR_WEIGHT_TOTAL_MAX)
    throw new ConsensusError(
      "invalid-validator-set",
      `Total validator weight ${totalWeight} exceeds ${VALIDATOR_WEIGHT_TOTAL_MAX}; scale the weights down.`,
    );
  const schedule = smoothRoundRobin(validators, totalWeight);
  return {
    validators,
    totalWeight,
    byAddress: (address) => index.get(bytesToHex(address)),
    weightOfHex: (addressHex) => index.get(addressHex)?.weight ?? 0,
    hasQuorum: (weight) => 3 * weight > 2 * totalWeight,
    hasOneHonest: (weight) => 3 * weight > totalWeight,
    proposer: (height, round) => validators[schedule[(height + round) % schedule.length]!]!,
  };
}

/**
 * Smooth weighted round-robin (the nginx algorithm): each member gets slots in proportion to its weight, spread
 * out so that a member with less than half the weight never holds two slots in a row. Consecutive faulty
 * proposers are what liveness after heal pays for, so spreading them keeps the f+2 round bound.
 */
function smoothRoundRobin(validators: readonly Validator[], totalWeight: number): number[] {
  const current = validators.map(() => 0);
  const schedule: number[] = [];
  for (let slot = 0; slot < totalWeight; slot++) {
    let best = 0;
    for (let i = 0; i < validators.length; i++) {
      current[i]! += validators[i]!.weight;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= totalWeight;
    schedule.push(best);
  }
  return schedule;
}
