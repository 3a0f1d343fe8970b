import type { RequestErrorType } from "viem/utils";
import type { CharterSDKError } from "../errors.js";
import { type BlockParameter, formatCommittee, optionalBlock } from "../formatters.js";
import type { Committee } from "../types.js";
import { type AnyClient, charterRequest } from "./request.js";

export type GetCommitteeParameters = BlockParameter;
/** The transport's errors (`-32601` from a node without the method, …) or an answer of the wrong shape. */
export type GetCommitteeErrorType = RequestErrorType | CharterSDKError;
export type GetCommitteeReturnType = Committee;

/**
 * Reads the committee: members and weights, thresholds, version and proposal count (`charter_getCommittee`).
 *
 * @example
 * const { members, participationBps, approvalBps } = await client.getCommittee();
 */
export async function getCommittee(
  client: AnyClient,
  parameters: GetCommitteeParameters = {},
): Promise<GetCommitteeReturnType> {
  const result = await charterRequest(client)({
    method: "charter_getCommittee",
    params: optionalBlock(parameters),
  });
  return formatCommittee(result);
}
