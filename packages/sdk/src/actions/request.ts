import type { Client, EIP1193RequestFn } from "viem";
import type { CharterRpcSchema } from "../rpcSchema.js";

/** Any viem client: the read actions need only its transport. */
export type AnyClient = Pick<Client, "request">;

/** Calls a `charter_*` method through the client's transport (retries, batching and errors are viem's). */
export function charterRequest(client: AnyClient): EIP1193RequestFn<CharterRpcSchema> {
  return client.request as unknown as EIP1193RequestFn<CharterRpcSchema>;
}
