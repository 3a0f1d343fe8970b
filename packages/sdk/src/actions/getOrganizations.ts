import type { RequestErrorType } from "viem/utils";
import type { CharterSDKError } from "../errors.js";
import { type BlockParameter, formatOrganizations, optionalBlock } from "../formatters.js";
import type { Organization } from "../types.js";
import { type AnyClient, charterRequest } from "./request.js";

export type GetOrganizationsParameters = BlockParameter;
/** The transport's errors (`-32601` from a node without the method, …) or an answer of the wrong shape. */
export type GetOrganizationsErrorType = RequestErrorType | CharterSDKError;
export type GetOrganizationsReturnType = Organization[];

/**
 * Reads every organization: id, name and CA fingerprint (`charter_getOrganizations`).
 *
 * @example
 * const orgs = await client.getOrganizations({ blockTag: "latest" });
 */
export async function getOrganizations(
  client: AnyClient,
  parameters: GetOrganizationsParameters = {},
): Promise<GetOrganizationsReturnType> {
  const result = await charterRequest(client)({
    method: "charter_getOrganizations",
    params: optionalBlock(parameters),
  });
  return formatOrganizations(result);
}
