import type { Chain, ExecutedBlock } from "@charter/chain";
import { type ValidatorSet, verifyCommitCertificate } from "@charter/consensus";
import { type Block, type CommitCertificate, decodeBlock, hashHeader } from "@charter/types";
import { equalBytes } from "@charter/utils";
import type { BlockSyncModules, DecidedBlock } from "./blockSync.js";
import { NodeError } from "./errors.js";

export interface ChainSyncAdapterOptions {
  readonly chainId: bigint;
  /** The validator set in force at `height`. */
  readonly validatorSet: (height: number) => ValidatorSet;
  /** Pool and metrics work after a block is imported, as after a block consensus committed. */
  readonly afterImport?: (executed: ExecutedBlock) => void;
}

/**
 * The chain as block sync reads and extends it: serves committed blocks with the certificates that decided them,
 * and imports a peer's block only if its certificate is a quorum of the validator set of its height for exactly
 * that block, and its execution on the head reproduces the header.
 */
export function chainSyncAdapter(
  chain: Chain,
  options: ChainSyncAdapterOptions,
): Pick<BlockSyncModules, "headHeight" | "readDecided" | "decodeBlock" | "importBlock"> {
  const { suite } = chain;
  return {
    headHeight: () => chain.head.block.header.height,
    readDecided: (height) => readDecided(chain, height),
    decodeBlock: (bytes) => decodeBlock(bytes, { suite, chainId: options.chainId }),
    importBlock: async (block: Block, certificate: CommitCertificate) => {
      const height = block.header.height;
      // The certificate first: it is cheap next to execution, and a peer cannot make the node execute a block
      // that no quorum decided.
      verifyCommitCertificate(certificate, {
        validatorSet: options.validatorSet(height),
        chainId: options.chainId,
        blockHash: hashHeader(block.header, suite),
        height,
        crypto: suite,
      });
      const executed = await chain.validate(block);
      if (!equalBytes(executed.hash, certificate.blockHash))
        throw new NodeError("sync", `block ${height} executes to another hash than its certificate's`);
      await chain.commit(executed, certificate);
      options.afterImport?.(executed);
    },
  };
}

/** Block `height` with the certificate that committed it: the next block's `lastCommit`, or the head's own. */
async function readDecided(chain: Chain, height: number): Promise<DecidedBlock | undefined> {
  if (height > chain.head.block.header.height) return undefined;
  if (height === chain.head.block.header.height) {
    const { block } = chain.head;
    const certificate = chain.headCertificate;
    return certificate === null ? undefined : { block, certificate };
  }
  const [stored, next] = await Promise.all([
    chain.store.blockByHeight(height),
    chain.store.blockByHeight(height + 1),
  ]);
  const certificate = next?.block.header.lastCommit ?? null;
  return stored === undefined || certificate === null ? undefined : { block: stored.block, certificate };
}
