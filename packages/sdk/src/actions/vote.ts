import type { Account, Address, Hash } from "viem";
import { type WriteContractErrorType, writeContract } from "viem/actions";
import { committeeAbi, SYSTEM_CONTRACT_ADDRESSES } from "../contracts.js";
import type { CharterSDKError } from "../errors.js";
import { accountOf, type WalletLikeClient } from "./propose.js";

export interface VoteParameters {
  readonly id: bigint | number;
  /** `true` votes for, `false` against. */
  readonly approve: boolean;
  /** The committee member voting (default: the client's account). */
  readonly account?: Account | Address | undefined;
}
export type VoteReturnType = Hash;
/** viem's errors (a revert: `charterRevertOf(error)` names it), or arguments the Committee would refuse. */
export type VoteErrorType = WriteContractErrorType | CharterSDKError;

/**
 * Sends `Committee.vote(id, approve)` and returns the transaction hash. The vote that makes a proposal pass
 * executes its call in the same transaction. A revert (`AlreadyVoted`, `ProposalExpired`, `ExecutionFailed` with
 * the target's own error, …) throws viem's error; `charterRevertOf(error)` names it.
 *
 * @example
 * await client.vote({ id: 3n, approve: true });
 */
export async function vote(client: WalletLikeClient, parameters: VoteParameters): Promise<VoteReturnType> {
  return writeContract(client, {
    address: SYSTEM_CONTRACT_ADDRESSES.Committee,
    abi: committeeAbi,
    functionName: "vote",
    args: [BigInt(parameters.id), parameters.approve],
    account: accountOf(client, parameters.account),
    chain: client.chain ?? null,
  });
}
