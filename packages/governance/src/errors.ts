import { CharterError } from "@charter/utils";

export type GovernanceErrorCode =
  /** The governance section of a genesis (or what it was derived from) cannot create the system contracts. */
  | "invalid-genesis"
  /** A system contract's storage holds a value its code never writes: the state is damaged. */
  | "corrupt-state";

export class GovernanceError extends CharterError<GovernanceErrorCode> {
  override name = "GovernanceError";
}
