import type { Address } from "viem";
import type { RequestErrorType } from "viem/utils";
import type { CharterSDKError } from "../errors.js";
import { type BlockParameter, formatAccountStatus, optionalBlock } from "../formatters.js";
import type { AccountStatusName } from "../types.js";
import { type AnyClient, charterRequest } from "./request.js";

export type GetAccountStatusParameters = BlockParameter & {
  readonly address: Address;
};
/** The transport's errors (`-32601` from a node without the method, …) or an answer of the wrong shape. */
export type GetAccountStatusErrorType = RequestErrorType | CharterSDKError;
export type GetAccountStatusReturnType = AccountStatusName;

/**
 * Reads whether an account or contract is `normal`, `frozen` or `abolished` (`charter_getAccountStatus`).
 *
 * @example
 * if ((await client.getAccountStatus({ address })) !== "normal") console.log("its transactions are refused");
 */
export async function getAccountStatus(
  client: AnyClient,
  parameters: GetAccountStatusParameters,
): Promise<GetAccountStatusReturnType> {
  const result = await charterRequest(client)({
    method: "charter_getAccountStatus",
    params: [parameters.address.toLowerCase() as Address, ...optionalBlock(parameters)],
  });
  return formatAccountStatus(result);
}
