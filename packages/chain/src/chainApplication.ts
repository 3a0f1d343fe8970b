import type { Block, CommitCertificate, VerifiedTx } from "@charter/types";
import type { Chain, ExecutedBlock } from "./chain.js";

export interface ChainApplicationOptions {
  /** The validating node's clock, for the "not too far in the future" timestamp rule. */
  readonly nowMs: () => number;
}

/**
 * The chain as the consensus engine drives it (structurally the consensus package's `EngineApplication`; chain
 * does not import consensus): propose on the head, validate a peer's block, commit a decided block together with
 * its certificate so the next proposal carries it as `lastCommit`.
 *
 * @example
 * const app = createChainApplication(chain, { nowMs: () => clock.now() });
 * new ConsensusEngine({ chainId, address }, { app, ... });
 */
export function createChainApplication(chain: Chain, options: ChainApplicationOptions) {
  return {
    headHeight: (): number => chain.head.block.header.height,
    headCertificate: (): CommitCertificate | null => chain.headCertificate,
    propose: (input: {
      readonly timestampMs: number;
      readonly proposer: Uint8Array;
      readonly transactions: Iterable<VerifiedTx>;
      readonly lastCommit: CommitCertificate | null;
    }): Promise<ExecutedBlock> => chain.propose(input),
    validate: (block: Block): Promise<ExecutedBlock> => chain.validate(block, { nowMs: options.nowMs() }),
    commit: (executed: ExecutedBlock, certificate: CommitCertificate | null): Promise<void> =>
      chain.commit(executed, certificate),
  };
}
