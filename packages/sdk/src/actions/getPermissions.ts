import type { RequestErrorType } from "viem/utils";
import type { CharterSDKError } from "../errors.js";
import { type BlockParameter, formatPermissions, optionalBlock } from "../formatters.js";
import type { PermissionSettings } from "../types.js";
import { type AnyClient, charterRequest } from "./request.js";

export type GetPermissionsParameters = BlockParameter;
/** The transport's errors (`-32601` from a node without the method, …) or an answer of the wrong shape. */
export type GetPermissionsErrorType = RequestErrorType | CharterSDKError;
export type GetPermissionsReturnType = PermissionSettings;

/**
 * Reads the deploy and transact policies: mode, allowlist and denylist (`charter_getPermissions`).
 *
 * @example
 * const { deploy, transact } = await client.getPermissions();
 */
export async function getPermissions(
  client: AnyClient,
  parameters: GetPermissionsParameters = {},
): Promise<GetPermissionsReturnType> {
  const result = await charterRequest(client)({
    method: "charter_getPermissions",
    params: optionalBlock(parameters),
  });
  return formatPermissions(result);
}
