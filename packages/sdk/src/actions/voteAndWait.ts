import type { Hash, TransactionReceipt } from "viem";
import {
  type WaitForTransactionReceiptErrorType,
  type WriteContractErrorType,
  waitForTransactionReceipt,
} from "viem/actions";
import type { CharterSDKError } from "../errors.js";
import { type VoteOutcome, voteOutcomeFromReceipt } from "../receipts.js";
import type { WalletLikeClient } from "./propose.js";
import { RECEIPT_TIMEOUT_MS_DEFAULT } from "./proposeAndWait.js";
import { type VoteParameters, vote } from "./vote.js";

export type VoteAndWaitParameters = VoteParameters & {
  /** How long to wait for the receipt, in milliseconds (default 60 s). */
  readonly timeout?: number | undefined;
};
/** The write's errors, a receipt that does not come in time, or a transaction that reverted in its block. */
export type VoteAndWaitErrorType =
  | WriteContractErrorType
  | WaitForTransactionReceiptErrorType
  | CharterSDKError;
export interface VoteAndWaitReturnType {
  readonly hash: Hash;
  readonly receipt: TransactionReceipt;
  /** `executed` or `rejected` when this vote decided the proposal, else `pending`. */
  readonly outcome: VoteOutcome;
}

/**
 * `vote`, then waits for the receipt and says whether this vote decided the proposal.
 *
 * @example
 * const { outcome } = await client.voteAndWait({ id: 3n, approve: true });
 */
export async function voteAndWait(
  client: WalletLikeClient,
  parameters: VoteAndWaitParameters,
): Promise<VoteAndWaitReturnType> {
  const hash = await vote(client, parameters);
  const receipt = await waitForTransactionReceipt(client, {
    hash,
    timeout: parameters.timeout ?? RECEIPT_TIMEOUT_MS_DEFAULT,
  });
  return { hash, receipt, outcome: voteOutcomeFromReceipt(receipt).outcome };
}
