import type { RequestErrorType } from "viem/utils";
import type { CharterSDKError } from "../errors.js";
import { type BlockParameter, formatProposal, optionalBlock } from "../formatters.js";
import type { Proposal } from "../types.js";
import { type AnyClient, charterRequest } from "./request.js";

export type GetProposalParameters = BlockParameter & {
  readonly id: bigint | number;
};
/** The transport's errors (`-32601` from a node without the method, …) or an answer of the wrong shape. */
export type GetProposalErrorType = RequestErrorType | CharterSDKError;
export type GetProposalReturnType = Proposal | null;

/**
 * Reads one proposal with its votes (`charter_getProposal`); `null` for an id never used.
 *
 * @example
 * const proposal = await client.getProposal({ id: 3n });
 * if (proposal?.state === "executed") console.log("in force from block", proposal.votes.at(-1)?.blockNumber);
 */
export async function getProposal(
  client: AnyClient,
  parameters: GetProposalParameters,
): Promise<GetProposalReturnType> {
  const result = await charterRequest(client)({
    method: "charter_getProposal",
    params: [`0x${BigInt(parameters.id).toString(16)}`, ...optionalBlock(parameters)],
  });
  return formatProposal(result);
}
