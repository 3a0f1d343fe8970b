import { type Log, parseEventLogs, type TransactionReceipt } from "viem";
import { committeeAbi, SYSTEM_CONTRACT_ADDRESSES } from "./contracts.js";
import { CharterSDKError } from "./errors.js";

/** What a `propose` transaction's receipt says. */
export interface ProposalCreated {
  readonly id: bigint;
  readonly proposer: `0x${string}`;
  readonly target: `0x${string}`;
  /** The last block in which a vote counts. */
  readonly deadline: bigint;
}

/** What a `vote` did: the proposal is still open, or this vote decided it. */
export type VoteOutcome = "pending" | "executed" | "rejected";

function committeeLogs(logs: readonly Log[]) {
  return parseEventLogs({
    abi: committeeAbi,
    logs: logs.filter((log) => log.address.toLowerCase() === SYSTEM_CONTRACT_ADDRESSES.Committee) as Log[],
  });
}

function requireSuccess(receipt: TransactionReceipt, what: string): void {
  if (receipt.status !== "success")
    throw new CharterSDKError(
      "transaction-failed",
      `The ${what} transaction ${receipt.transactionHash} reverted in block ${receipt.blockNumber}; the state changed between the gas estimate and the block (read the proposal again and retry).`,
    );
}

/** The proposal a `propose` receipt created (from its `ProposalCreated` event). */
export function proposalCreatedFromReceipt(receipt: TransactionReceipt): ProposalCreated {
  requireSuccess(receipt, "propose");
  for (const log of committeeLogs(receipt.logs)) {
    if (log.eventName === "ProposalCreated")
      return {
        id: log.args.id,
        proposer: log.args.proposer.toLowerCase() as `0x${string}`,
        target: log.args.target.toLowerCase() as `0x${string}`,
        deadline: log.args.deadline,
      };
  }
  throw new CharterSDKError(
    "transaction-failed",
    `Transaction ${receipt.transactionHash} emitted no ProposalCreated event: it is not a Committee.propose call.`,
  );
}

/** The outcome of a `vote` receipt: `executed` or `rejected` if this vote decided the proposal. */
export function voteOutcomeFromReceipt(receipt: TransactionReceipt): { id: bigint; outcome: VoteOutcome } {
  requireSuccess(receipt, "vote");
  let id: bigint | undefined;
  let outcome: VoteOutcome = "pending";
  for (const log of committeeLogs(receipt.logs)) {
    if (log.eventName === "Voted") id = log.args.id;
    else if (log.eventName === "ProposalExecuted") outcome = "executed";
    else if (log.eventName === "ProposalRejected") outcome = "rejected";
  }
  if (id === undefined)
    throw new CharterSDKError(
      "transaction-failed",
      `Transaction ${receipt.transactionHash} emitted no Voted event: it is not a Committee.vote call.`,
    );
  return { id, outcome };
}
