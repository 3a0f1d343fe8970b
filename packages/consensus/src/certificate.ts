import type { CommitCertificate, Header } from "@charter/types";
import { bytesToHex, equalBytes } from "@charter/utils";
import type { ConsensusCrypto } from "./consensusCore.js";
import { ROUND_MAX } from "./consensusCore.js";
import { ConsensusError } from "./errors.js";
import { SignedType } from "./messages.js";
import { signBytes } from "./signBytes.js";
import type { ValidatorSet } from "./validatorSet.js";

export interface VerifyCommitCertificateContext {
  /** The validator set of the certified height. */
  readonly validatorSet: ValidatorSet;
  readonly chainId: bigint;
  /** The block the certificate must certify. */
  readonly blockHash: Uint8Array;
  readonly height: number;
  readonly crypto: ConsensusCrypto;
}

/**
 * Checks that `certificate` commits block `blockHash` at `height` (spec section 7): every signature is a
 * precommit for (height, round, blockHash) over the domain-separated signing bytes, by a distinct member of the
 * set, and together they carry a quorum (3w > 2W). Throws `ConsensusError("invalid-certificate")` naming the
 * first rule broken. Pure: the same answer on every node, so block validity never depends on who checks.
 *
 * @example
 * verifyCommitCertificate(header.lastCommit, { validatorSet, chainId: 7n, blockHash: parent.hash, height: 4, crypto: suite });
 */
export function verifyCommitCertificate(
  certificate: CommitCertificate,
  context: VerifyCommitCertificateContext,
): void {
  const fail = (why: string) => new ConsensusError("invalid-certificate", `The commit certificate ${why}.`);
  const { validatorSet, crypto } = context;
  if (certificate.height !== context.height)
    throw fail(`is for height ${certificate.height}, expected ${context.height}`);
  if (!equalBytes(certificate.blockHash, context.blockHash))
    throw fail(
      `certifies block ${bytesToHex(certificate.blockHash)}, expected ${bytesToHex(context.blockHash)}`,
    );
  if (!Number.isInteger(certificate.round) || certificate.round < 0 || certificate.round > ROUND_MAX)
    throw fail(`has round ${certificate.round}, outside [0, ${ROUND_MAX}]`);
  // Bounded before any signature is verified: a member signs at most once, so a longer list is never valid and
  // must not cost a verification per entry.
  if (certificate.signatures.length > validatorSet.validators.length)
    throw fail(
      `has ${certificate.signatures.length} signatures, more than the ${validatorSet.validators.length} validators`,
    );
  const digest = crypto.hash(
    signBytes({
      chainId: context.chainId,
      type: SignedType.precommit,
      height: certificate.height,
      round: certificate.round,
      blockHash: certificate.blockHash,
    }),
  );
  const seen = new Set<string>();
  let weight = 0;
  for (const { validator, signature } of certificate.signatures) {
    const who = bytesToHex(validator);
    if (seen.has(who)) throw fail(`lists validator ${who} twice`);
    seen.add(who);
    const member = validatorSet.byAddress(validator);
    if (member === undefined) throw fail(`is signed by ${who}, not a validator at height ${context.height}`);
    if (!crypto.verify(digest, signature, member.publicKey))
      throw fail(`carries a signature of ${who} that does not verify`);
    weight += member.weight;
  }
  if (!validatorSet.hasQuorum(weight))
    throw fail(`carries weight ${weight} of ${validatorSet.totalWeight}, not more than two thirds`);
}

export interface LastCommitVerifierOptions {
  readonly chainId: bigint;
  readonly crypto: ConsensusCrypto;
  /** The validator set in force at `height`. */
  readonly validatorSet: (height: number) => ValidatorSet;
}

/**
 * The check a BFT chain plugs into block validation (chain.md rule 1b, `ChainOptions.verifyLastCommit`): the
 * header's `lastCommit` must certify the parent under the set of the parent's height. Height-1 and missing
 * certificates are the chain's own rule; this is called only with a certificate present.
 *
 * @example
 * const chain = await Chain.open({ ..., verifyLastCommit: createLastCommitVerifier({ chainId, crypto: suite, validatorSet: () => set }) });
 */
export function createLastCommitVerifier(
  options: LastCommitVerifierOptions,
): (header: Header, parent: { readonly hash: Uint8Array; readonly height: number }) => void {
  return (header, parent) => {
    if (header.lastCommit === null)
      throw new ConsensusError(
        "invalid-certificate",
        `Block ${header.height} carries no commit certificate.`,
      );
    verifyCommitCertificate(header.lastCommit, {
      validatorSet: options.validatorSet(parent.height),
      chainId: options.chainId,
      blockHash: parent.hash,
      height: parent.height,
      crypto: options.crypto,
    });
  };
}
