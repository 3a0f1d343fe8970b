import type { Address, BlockTag } from "viem";
import type { RequestErrorType } from "viem/utils";
import type { CharterSDKError } from "../errors.js";
import { formatGovernanceHistory } from "../formatters.js";
import type { RpcBlock, RpcHistoryFilter } from "../rpcSchema.js";
import type { GovernanceEvent } from "../types.js";
import { type AnyClient, charterRequest } from "./request.js";

export interface GetGovernanceHistoryParameters {
  /** First block searched (a number or a tag; the node's default when left out). */
  readonly fromBlock?: bigint | BlockTag | undefined;
  /** Last block searched. */
  readonly toBlock?: bigint | BlockTag | undefined;
  /** Only the events of this proposal (its creation, votes, outcome and the changes it made). */
  readonly proposalId?: bigint | number | undefined;
  /** Only the events an account sent or is named in. */
  readonly account?: Address | undefined;
}
/** The transport's errors (`-32601` from a node without the method, …) or an answer of the wrong shape. */
export type GetGovernanceHistoryErrorType = RequestErrorType | CharterSDKError;
export type GetGovernanceHistoryReturnType = GovernanceEvent[];

const block = (value: bigint | BlockTag): RpcBlock =>
  typeof value === "bigint" ? `0x${value.toString(16)}` : value;

/**
 * Reads the audit trail: every event of the system contracts in a block range, oldest first, with the sender of
 * its transaction (`charter_getGovernanceHistory`).
 *
 * @example
 * for (const e of await client.getGovernanceHistory({ proposalId: 3n }))
 *   console.log(e.blockNumber, e.sender, `${e.contract}.${e.event}`, e.args);
 */
export async function getGovernanceHistory(
  client: AnyClient,
  parameters: GetGovernanceHistoryParameters = {},
): Promise<GetGovernanceHistoryReturnType> {
  const filter: RpcHistoryFilter = {
    ...(parameters.fromBlock === undefined ? {} : { fromBlock: block(parameters.fromBlock) }),
    ...(parameters.toBlock === undefined ? {} : { toBlock: block(parameters.toBlock) }),
    ...(parameters.proposalId === undefined
      ? {}
      : { proposalId: `0x${BigInt(parameters.proposalId).toString(16)}` as const }),
    ...(parameters.account === undefined ? {} : { account: parameters.account.toLowerCase() as Address }),
  };
  const result = await charterRequest(client)({ method: "charter_getGovernanceHistory", params: [filter] });
  return formatGovernanceHistory(result);
}
