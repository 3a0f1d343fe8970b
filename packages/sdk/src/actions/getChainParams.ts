import type { RequestErrorType } from "viem/utils";
import type { CharterSDKError } from "../errors.js";
import { type BlockParameter, formatChainParams, optionalBlock } from "../formatters.js";
import type { ChainParams } from "../types.js";
import { type AnyClient, charterRequest } from "./request.js";

export type GetChainParamsParameters = BlockParameter;
/** The transport's errors (`-32601` from a node without the method, …) or an answer of the wrong shape. */
export type GetChainParamsErrorType = RequestErrorType | CharterSDKError;
export type GetChainParamsReturnType = ChainParams;

/**
 * Reads the chain parameters the committee governs (block interval, block gas limit, pool caps) (`charter_getChainParams`).
 *
 * @example
 * const { blockIntervalMs, blockGasLimit } = await client.getChainParams();
 */
export async function getChainParams(
  client: AnyClient,
  parameters: GetChainParamsParameters = {},
): Promise<GetChainParamsReturnType> {
  const result = await charterRequest(client)({
    method: "charter_getChainParams",
    params: optionalBlock(parameters),
  });
  return formatChainParams(result);
}
