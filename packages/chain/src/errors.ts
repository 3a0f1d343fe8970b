import { CharterError } from "@charter/utils";

export type ChainErrorCode =
  /** The block breaks a validity rule (bad parent, height, roots, gas, transactions). */
  | "invalid-block"
  /** The data directory belongs to another chain than the genesis given. */
  | "genesis-mismatch"
  /** Stored data failed its integrity check; the node must not run on it. */
  | "corrupt";

export class ChainError extends CharterError<ChainErrorCode> {
  override name = "ChainError";
}
