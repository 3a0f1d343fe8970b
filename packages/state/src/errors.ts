import { CharterError } from "@charter/utils";

/**
 * Expected failures of the state package.
 * - `missing-node`: a trie node a root refers to is not in the store: the root was never committed here, or
 *   the database lost data.
 * - `invalid-node`: bytes that should be a trie node are not a canonical RLP trie node.
 * - `invalid-proof`: a Merkle proof does not lead from the root to the key (missing, malformed or extra-long).
 * - `unknown-state-root`: a historical read asked for a state root this node has not committed.
 * - `missing-code`: an account's code hash has no code in the store.
 * - `invalid-input`: a diff or query breaks the input rules (address or slot length, code not matching its hash,
 *   a value longer than 32 bytes).
 */
export type StateErrorCode =
  | "missing-node"
  | "invalid-node"
  | "invalid-proof"
  | "unknown-state-root"
  | "missing-code"
  | "invalid-input";

export class StateError extends CharterError<StateErrorCode> {
  constructor(code: StateErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "StateError";
  }
}
