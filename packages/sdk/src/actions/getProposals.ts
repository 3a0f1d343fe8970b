import type { RequestErrorType } from "viem/utils";
import type { CharterSDKError } from "../errors.js";
import { type BlockParameter, formatProposals, optionalBlock } from "../formatters.js";
import type { RpcProposalsFilter } from "../rpcSchema.js";
import type { Proposal, ProposalStateName } from "../types.js";
import { type AnyClient, charterRequest } from "./request.js";

export type GetProposalsParameters = BlockParameter & {
  /** Only proposals in this state. */
  readonly state?: ProposalStateName | undefined;
  /** Start from this id and go down (the default: the newest proposal). */
  readonly fromId?: bigint | number | undefined;
  /** At most this many (the node caps it). */
  readonly count?: number | undefined;
};
/** The transport's errors (`-32601` from a node without the method, …) or an answer of the wrong shape. */
export type GetProposalsErrorType = RequestErrorType | CharterSDKError;
export type GetProposalsReturnType = Proposal[];

const quantity = (value: bigint | number) => `0x${BigInt(value).toString(16)}` as const;

/**
 * Lists proposals, newest first (`charter_getProposals`).
 *
 * @example
 * const open = await client.getProposals({ state: "pending" });
 */
export async function getProposals(
  client: AnyClient,
  parameters: GetProposalsParameters = {},
): Promise<GetProposalsReturnType> {
  const filter: RpcProposalsFilter = {
    ...(parameters.state === undefined ? {} : { state: parameters.state }),
    ...(parameters.fromId === undefined ? {} : { fromId: quantity(parameters.fromId) }),
    ...(parameters.count === undefined ? {} : { count: quantity(parameters.count) }),
  };
  const result = await charterRequest(client)({
    method: "charter_getProposals",
    params: [filter, ...optionalBlock(parameters)],
  });
  return formatProposals(result);
}
