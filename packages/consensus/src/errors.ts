import { CharterError } from "@charter/utils";

export type ConsensusErrorCode =
  /** A validator set breaks a limit (empty, too many members, zero or too much weight, duplicate address). */
  | "invalid-validator-set"
  /** A consensus message failed `validateBasic()`: wrong height or round, unknown signer, bad signature. */
  | "invalid-message"
  /** Bytes from the network that do not decode as a consensus message. */
  | "malformed-message"
  /** A commit certificate does not carry a quorum of valid precommits of the right validator set. */
  | "invalid-certificate"
  /**
   * The persisted sign state (the consensus WAL) is torn or fails its checksum. The node must not start on it:
   * without the record it could sign a second, different message for a slot it already signed.
   */
  | "corrupt-sign-state"
  /** The engine hit a failure it cannot continue from (a decided block that does not commit); it has stopped. */
  | "engine-failed";

export class ConsensusError extends CharterError<ConsensusErrorCode> {
  override name = "ConsensusError";
}
