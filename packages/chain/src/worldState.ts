import type { StateDiff, StateReader } from "@charter/execution";
import type { KvOp } from "@charter/kv";

/**
 * What the chain needs from the world state. The state package implements it over the KV store: a flat copy
 * of the latest state for execution, tries for the state root and historical reads.
 */
export interface WorldState {
  /** Root of the latest committed state. */
  readonly root: Uint8Array;
  /** Reader over the latest committed state. */
  latest(): StateReader;
  /** Reader over the state with the given root (a committed block's `stateRoot`). */
  at(stateRoot: Uint8Array): StateReader;
  /**
   * Computes the root after applying `diff` to the latest state and the KV operations that persist it, without
   * writing anything or changing `latest()`.
   */
  commit(diff: StateDiff): Promise<PreparedState>;
  /** Makes a prepared state the latest one, after its operations are durable. */
  applyCommitted(prepared: PreparedState): void;
}

export interface PreparedState {
  readonly root: Uint8Array;
  readonly ops: readonly KvOp[];
}
