/**
 * The small view of world state that execution needs. The state package's readers (flat latest state,
 * historical trie state) satisfy it; execution never writes through it: all writes collect in a
 * `StateOverlay` and leave as a `StateDiff` for the state package to commit once per block.
 */
export interface AccountState {
  readonly nonce: bigint;
  readonly balance: bigint;
  /** Keccak-256 of the code, in every crypto suite: the EVM's EXTCODEHASH must stay Ethereum's. */
  readonly codeHash: Uint8Array;
  /**
   * Root of the account's storage trie. Execution only asks whether it is the empty root, for EIP-7610 (creating a
   * contract where storage exists collides); a reader that leaves it out makes every such creation succeed.
   */
  readonly storageRoot?: Uint8Array;
}

export interface StateReader {
  getAccount(address: Uint8Array): AccountState | undefined;
  /** 32-byte value; zeros when unset. */
  getStorage(address: Uint8Array, slot: Uint8Array): Uint8Array;
  getCode(codeHash: Uint8Array): Uint8Array;
}

/** Everything one block changed, per account: what execution hands to the state package to commit. */
export type { AccountDiff, StateDiff } from "@charter/state";
