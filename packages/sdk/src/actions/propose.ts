import { VOTING_BLOCKS_MAX } from "@charter/governance";
import type { Account, Address, Chain, Client, Hash, Transport } from "viem";
import { type WriteContractErrorType, writeContract } from "viem/actions";
import { committeeAbi, SYSTEM_CONTRACT_ADDRESSES } from "../contracts.js";
import { CharterSDKError } from "../errors.js";
import type { GovernanceCall } from "../governance.js";

/** How long members may vote unless told: 600 blocks (ten minutes at one block a second). */
export const DEFAULT_VOTING_BLOCKS = 600n;

const DESCRIPTION_BYTES_MAX = 1024;
const CALL_DATA_BYTES_MAX = 8192;

export interface ProposeParameters {
  /** What the Committee is to call: a builder's result (`freezeAccount({ account })`, …). */
  readonly call: Pick<GovernanceCall, "target" | "data">;
  /** Why, for the voters and the audit trail (at most 1024 bytes). */
  readonly description: string;
  /** Members may vote until `block.number + votingBlocks` included (1 to 5,000,000; default 600). */
  readonly votingBlocks?: bigint | number | undefined;
  /** The committee member proposing (default: the client's account). */
  readonly account?: Account | Address | undefined;
}
export type ProposeReturnType = Hash;
/** viem's errors (a revert: `charterRevertOf(error)` names it), or arguments the Committee would refuse. */
export type ProposeErrorType = WriteContractErrorType | CharterSDKError;

export type WalletLikeClient = Client<Transport, Chain | undefined, Account | undefined>;

export function accountOf(
  client: WalletLikeClient,
  account: Account | Address | undefined,
): Account | Address {
  const chosen = account ?? client.account;
  if (chosen === undefined)
    throw new CharterSDKError(
      "invalid-argument",
      "No account to send from: create the wallet client with a committee member's account, or pass `account`.",
    );
  return chosen;
}

/** Checks what `Committee.propose` would refuse, before a transaction is signed. */
export function checkProposal(parameters: ProposeParameters): bigint {
  const votingBlocks = BigInt(parameters.votingBlocks ?? DEFAULT_VOTING_BLOCKS);
  if (votingBlocks < 1n || votingBlocks > BigInt(VOTING_BLOCKS_MAX))
    throw new CharterSDKError(
      "invalid-argument",
      `votingBlocks must be from 1 to ${VOTING_BLOCKS_MAX}, not ${votingBlocks}.`,
    );
  const description = new TextEncoder().encode(parameters.description).length;
  if (description > DESCRIPTION_BYTES_MAX)
    throw new CharterSDKError(
      "invalid-argument",
      `The description is ${description} bytes; at most ${DESCRIPTION_BYTES_MAX} fit a proposal.`,
    );
  const data = (parameters.call.data.length - 2) / 2;
  if (data > CALL_DATA_BYTES_MAX)
    throw new CharterSDKError(
      "invalid-argument",
      `The call is ${data} bytes; at most ${CALL_DATA_BYTES_MAX} fit a proposal.`,
    );
  return votingBlocks;
}

/**
 * Sends `Committee.propose(target, data, description, votingBlocks)` from a committee member and returns the
 * transaction hash. The proposer does not vote by proposing. A revert (not a member, a target without code, …)
 * throws viem's error; `charterRevertOf(error)` names it.
 *
 * @example
 * const client = createWalletClient({ account: privateKeyToAccount(key), transport: http(url) })
 *   .extend(charterGovernanceActions);
 * const hash = await client.propose({ call: freezeAccount({ account }), description: "court order 17" });
 */
export async function propose(
  client: WalletLikeClient,
  parameters: ProposeParameters,
): Promise<ProposeReturnType> {
  const votingBlocks = checkProposal(parameters);
  return writeContract(client, {
    address: SYSTEM_CONTRACT_ADDRESSES.Committee,
    abi: committeeAbi,
    functionName: "propose",
    args: [parameters.call.target, parameters.call.data, parameters.description, votingBlocks],
    account: accountOf(client, parameters.account),
    chain: client.chain ?? null,
  });
}
