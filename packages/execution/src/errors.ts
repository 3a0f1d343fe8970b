import { CharterError } from "@charter/utils";

/** Why a transaction cannot be included at its position in a block; a block containing one is invalid. */
export type ExecutionErrorCode =
  | "intrinsic-gas"
  | "block-gas"
  | "init-code-size"
  | "nonce-too-low"
  | "nonce-too-high"
  | "nonce-max"
  | "sender-not-eoa"
  | "insufficient-funds"
  | "invalid-block"
  /** The transaction would leave a system account invalid (e.g. a malformed validator registry); see `checkState`. */
  | "system-state"
  /** The transaction breaks a governance enforcement rule in the parent state (governance.md section 6). */
  | "not-permitted"
  /** The EVM library threw instead of returning a result. */
  | "internal";

export class ExecutionError extends CharterError<ExecutionErrorCode> {
  override name = "ExecutionError";
}
