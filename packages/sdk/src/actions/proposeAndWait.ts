import type { Hash, TransactionReceipt } from "viem";
import {
  type WaitForTransactionReceiptErrorType,
  type WriteContractErrorType,
  waitForTransactionReceipt,
} from "viem/actions";
import type { CharterSDKError } from "../errors.js";
import { type ProposalCreated, proposalCreatedFromReceipt } from "../receipts.js";
import { type ProposeParameters, propose, type WalletLikeClient } from "./propose.js";

/** How long the `…AndWait` actions wait for a receipt unless told. */
export const RECEIPT_TIMEOUT_MS_DEFAULT = 60_000;

export type ProposeAndWaitParameters = ProposeParameters & {
  /** How long to wait for the receipt, in milliseconds (default 60 s). */
  readonly timeout?: number | undefined;
};
/** The write's errors, a receipt that does not come in time, or a transaction that reverted in its block. */
export type ProposeAndWaitErrorType =
  | WriteContractErrorType
  | WaitForTransactionReceiptErrorType
  | CharterSDKError;
export type ProposeAndWaitReturnType = ProposalCreated & {
  readonly hash: Hash;
  readonly receipt: TransactionReceipt;
};

/**
 * `propose`, then waits for the receipt and returns the new proposal's id (from its `ProposalCreated` event).
 *
 * @example
 * const { id } = await client.proposeAndWait({ call: freezeAccount({ account }), description: "…" });
 * await client.voteAndWait({ id, approve: true });
 */
export async function proposeAndWait(
  client: WalletLikeClient,
  parameters: ProposeAndWaitParameters,
): Promise<ProposeAndWaitReturnType> {
  const hash = await propose(client, parameters);
  const receipt = await waitForTransactionReceipt(client, {
    hash,
    timeout: parameters.timeout ?? RECEIPT_TIMEOUT_MS_DEFAULT,
  });
  return { ...proposalCreatedFromReceipt(receipt), hash, receipt };
}
