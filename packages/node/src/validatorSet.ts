import type { ChainValidatorSet } from "@charter/chain";
import { createValidatorSet, type ValidatorSet } from "@charter/consensus";
import { BoundedCache, bytesToHex } from "@charter/utils";

/** Distinct validator sets kept as consensus objects; a set changes rarely, and building one costs O(weight). */
const CONSENSUS_SETS_MAX = 8;

/**
 * The consensus package's `ValidatorSet` of any height the chain knows (`chain.validatorsAt`), for the engine, the
 * lastCommit verifier, block sync and p2p admission. One object per distinct set (by its hash), so the proposer
 * schedule is built once per change rather than once per height.
 *
 * @example
 * const validatorSetAt = createValidatorSetSource((height) => chain.validatorsAt(height));
 * validatorSetAt(chain.head.block.header.height + 1).proposer(height, 0);
 */
export function createValidatorSetSource(
  validatorsAt: (height: number) => ChainValidatorSet,
): (height: number) => ValidatorSet {
  const sets = new BoundedCache<ValidatorSet>(CONSENSUS_SETS_MAX);
  return (height) => {
    const chainSet = validatorsAt(height);
    const key = bytesToHex(chainSet.hash);
    let set = sets.get(key);
    if (set === undefined) {
      set = createValidatorSet(chainSet.validators);
      sets.set(key, set);
    }
    return set;
  };
}
