import { CharterError } from "@charter/utils";

export type ChainErrorCode =
  /** The block breaks a validity rule (bad parent, height, roots, gas, transactions). */
  | "invalid-block"
  /** The data directory belongs to another chain than the genesis given. */
  | "genesis-mismatch"
  /** Stored data failed its integrity check; the node must not run on it. */
  | "corrupt"
  /** The genesis cannot start a chain: invalid validators, or an allocation that conflicts with a system account. */
  | "invalid-genesis"
  /** A validator list or the validator registry is not a valid set (consensus.md section 9). */
  | "invalid-validator-set"
  /** The asked-for data is not known to this node (yet), e.g. the validator set of a height beyond head + 2. */
  | "unavailable";

export class ChainError extends CharterError<ChainErrorCode> {
  override name = "ChainError";
}
