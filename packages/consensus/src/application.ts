import type { Block, CommitCertificate, VerifiedTx } from "@charter/types";

/**
 * The replicated application as a block producer or the BFT engine drives it: propose a block on the head,
 * validate (execute) a block proposed by someone else, commit a block that consensus finalized. The chain
 * package implements it; consensus never sees state, storage or the EVM.
 */
export interface BlockApplication<Executed extends ExecutedBlockLike = ExecutedBlockLike> {
  headHeight(): number;
  propose(input: ProposeInput): Promise<Executed>;
  validate(block: Block): Promise<Executed>;
  commit(executed: Executed, certificate: CommitCertificate | null): Promise<void>;
}

export interface ProposeInput {
  readonly timestampMs: number;
  readonly proposer: Uint8Array;
  readonly transactions: Iterable<VerifiedTx>;
  readonly lastCommit: CommitCertificate | null;
}

export interface ExecutedBlockLike {
  readonly block: Block;
  readonly hash: Uint8Array;
}
