import { decodeErrorResult, type Hex, isHex } from "viem";
import { formatAbiValue } from "./abiValues.js";
import { type AbiErrorItem, errorSignature, systemContractErrorsAbi } from "./contracts.js";

/** A revert of a system contract, decoded into its custom error. */
export interface CharterRevert {
  /** The error's name, e.g. `AlreadyVoted`; `Error` or `Panic` for Solidity's built-in reverts. */
  readonly name: string;
  /** The error's signature, e.g. `AlreadyVoted(uint256,address)`. */
  readonly signature: string;
  /** The decoded arguments, as viem decodes them (integers as bigint, addresses checksummed). */
  readonly args: readonly unknown[];
  /** The raw revert data. */
  readonly data: Hex;
  /** For `ExecutionFailed(id, reason)`: the target's own revert, decoded when it is a known error. */
  readonly cause?: CharterRevert;
  /** The error as a person reads it: `AlreadyVoted(3, 0x…)`, `ExecutionFailed(4, OnlyCommittee(0x…))`. */
  readonly message: string;
}

/**
 * Decodes revert data of a system contract (or a Solidity `Error(string)` / `Panic(uint256)`) into its error
 * name and arguments; `undefined` for data no system contract produces.
 *
 * @example
 * decodeCharterRevert("0x04f9da63…")?.message // "AlreadyVoted(3, 0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266)"
 */
export function decodeCharterRevert(data: Hex): CharterRevert | undefined {
  if (!isHex(data) || data.length < 10) return undefined;
  let decoded: { abiItem: unknown; args?: readonly unknown[] | undefined };
  try {
    decoded = decodeErrorResult({ abi: systemContractErrorsAbi, data });
  } catch {
    return undefined;
  }
  const item = decoded.abiItem as AbiErrorItem;
  const args = decoded.args ?? [];
  const signature = errorSignature(item);
  let cause: CharterRevert | undefined;
  const parts = item.inputs.map((input, i) => {
    const value = args[i];
    if (item.name === "ExecutionFailed" && input.name === "reason" && typeof value === "string") {
      cause = decodeCharterRevert(value as Hex);
      if (cause) return cause.message;
      return value === "0x" ? "no reason" : value;
    }
    return formatAbiValue(input, value);
  });
  return {
    name: item.name,
    signature,
    args,
    data,
    ...(cause ? { cause } : {}),
    message: `${item.name}(${parts.join(", ")})`,
  };
}

/** How deep `charterRevertOf` follows `cause` links. */
const CAUSE_DEPTH_MAX = 16;

/**
 * The revert data carried anywhere in an error's `cause` chain: viem's `ContractFunctionRevertedError.raw`,
 * a `RawContractError`'s or an RPC error's `data` (a node answers a revert with `{ code: 3, data }`).
 */
export function revertDataOf(error: unknown): Hex | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < CAUSE_DEPTH_MAX && current !== null && typeof current === "object"; depth++) {
    const candidate = current as { raw?: unknown; data?: unknown; cause?: unknown };
    if (typeof candidate.raw === "string" && isHex(candidate.raw) && candidate.raw !== "0x")
      return candidate.raw;
    if (typeof candidate.data === "string" && isHex(candidate.data) && candidate.data !== "0x")
      return candidate.data;
    const nested = candidate.data as { data?: unknown } | undefined;
    if (nested && typeof nested === "object" && typeof nested.data === "string" && isHex(nested.data))
      return nested.data;
    current = candidate.cause;
  }
  return undefined;
}

/**
 * The decoded system-contract revert behind an error thrown by viem (`writeContract`, `estimateGas`, `call`, …),
 * or `undefined` when the error is not such a revert.
 *
 * @example
 * try {
 *   await client.vote({ id: 3n, approve: true });
 * } catch (error) {
 *   const revert = charterRevertOf(error);
 *   if (revert?.name === "AlreadyVoted") console.log("already voted");
 * }
 */
export function charterRevertOf(error: unknown): CharterRevert | undefined {
  const data = revertDataOf(error);
  return data === undefined ? undefined : decodeCharterRevert(data);
}
