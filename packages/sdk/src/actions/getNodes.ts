import type { RequestErrorType } from "viem/utils";
import type { CharterSDKError } from "../errors.js";
import { type BlockParameter, formatNodes, optionalBlock } from "../formatters.js";
import type { CharterNode } from "../types.js";
import { type AnyClient, charterRequest } from "./request.js";

export type GetNodesParameters = BlockParameter;
/** The transport's errors (`-32601` from a node without the method, …) or an answer of the wrong shape. */
export type GetNodesErrorType = RequestErrorType | CharterSDKError;
export type GetNodesReturnType = CharterNode[];

/**
 * Reads every node of the registry: address, organization, role, weight and public key (`charter_getNodes`).
 *
 * @example
 * const validators = (await client.getNodes()).filter((n) => n.role === "validator");
 */
export async function getNodes(
  client: AnyClient,
  parameters: GetNodesParameters = {},
): Promise<GetNodesReturnType> {
  const result = await charterRequest(client)({
    method: "charter_getNodes",
    params: optionalBlock(parameters),
  });
  return formatNodes(result);
}
