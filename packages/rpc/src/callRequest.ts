import type { AccessListItem } from "@charter/types";
import { equalBytes } from "@charter/utils";
import type { CallRequest } from "./backend.js";
import { RPCError, RPCErrorCode } from "./errors.js";
import {
  ParamError,
  parseAddress,
  parseArray,
  parseData,
  parseField,
  parseHash,
  parseObject,
  parseQuantity,
  parseUint64,
} from "./params.js";

/** The transaction object of `eth_call`, `eth_estimateGas` and `eth_sendTransaction`, parsed. */
export interface ParsedCallRequest {
  readonly request: CallRequest;
  /** `chainId` when the client set one; it must match the node's. */
  readonly chainId?: bigint;
}

/** More entries than this cannot fit in any block's gas, so a longer access list is hostile input. */
const accessListItemsMax = 10_000;

function parseAccessList(value: unknown): readonly AccessListItem[] {
  return parseArray(value, accessListItemsMax, "access list entries").map((entry) => {
    const object = parseObject(entry);
    const address = parseField(object, "address", parseAddress);
    if (address === undefined) throw new ParamError('access list entry has no "address"');
    const keys = parseField(object, "storageKeys", (v) =>
      parseArray(v, accessListItemsMax, "storage keys").map(parseHash),
    );
    return { address, storageKeys: keys ?? [] };
  });
}

/**
 * Parses a transaction call object. Unknown fields are ignored (clients add their own, e.g. viem's `type`);
 * known fields are checked strictly. `data` and `input` are synonyms and must agree when both are given.
 */
export function parseCallRequest(value: unknown): ParsedCallRequest {
  const object = parseObject(value);
  const request: { -readonly [K in keyof CallRequest]?: CallRequest[K] } = {};
  const from = parseField(object, "from", parseAddress);
  if (from !== undefined) request.from = from;
  const to = parseField(object, "to", parseAddress);
  if (to !== undefined) request.to = to;
  const gas = parseField(object, "gas", parseUint64);
  if (gas !== undefined) request.gas = gas;
  const gasPrice = parseField(object, "gasPrice", parseQuantity);
  if (gasPrice !== undefined) request.gasPrice = gasPrice;
  const maxFeePerGas = parseField(object, "maxFeePerGas", parseQuantity);
  if (maxFeePerGas !== undefined) request.maxFeePerGas = maxFeePerGas;
  const maxPriorityFeePerGas = parseField(object, "maxPriorityFeePerGas", parseQuantity);
  if (maxPriorityFeePerGas !== undefined) request.maxPriorityFeePerGas = maxPriorityFeePerGas;
  const txValue = parseField(object, "value", parseQuantity);
  if (txValue !== undefined) request.value = txValue;
  const nonce = parseField(object, "nonce", parseUint64);
  if (nonce !== undefined) request.nonce = nonce;
  const accessList = parseField(object, "accessList", parseAccessList);
  if (accessList !== undefined) request.accessList = accessList;

  const data = parseField(object, "data", parseData);
  const input = parseField(object, "input", parseData);
  if (data !== undefined && input !== undefined && !equalBytes(data, input)) {
    throw new ParamError(
      'both "data" and "input" are set and not equal. Please use "input" to pass transaction call data',
    );
  }
  const callData = input ?? data;
  if (callData !== undefined) request.data = callData;

  if (gasPrice !== undefined && (maxFeePerGas !== undefined || maxPriorityFeePerGas !== undefined)) {
    throw new ParamError("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified");
  }
  if (
    maxFeePerGas !== undefined &&
    maxPriorityFeePerGas !== undefined &&
    maxPriorityFeePerGas > maxFeePerGas
  ) {
    throw new ParamError("max priority fee per gas higher than max fee per gas");
  }
  // The type is only checked for form: the backend picks the transaction kind from the fee fields.
  parseField(object, "type", (v) => parseQuantity(v, 8));
  const chainId = parseField(object, "chainId", parseQuantity);
  return chainId === undefined ? { request } : { request, chainId };
}

/** geth's answer to a call object signed for another chain. */
export function checkChainId(parsed: ParsedCallRequest, chainId: bigint): void {
  if (parsed.chainId !== undefined && parsed.chainId !== chainId) {
    throw new RPCError(
      RPCErrorCode.invalidInput,
      `chainId does not match node's (have=${parsed.chainId}, want=${chainId})`,
    );
  }
}

/**
 * State and block overrides (the optional 3rd and 4th parameters of `eth_call`/`eth_estimateGas`) are accepted
 * when empty, because some clients always send `{}`, and refused otherwise rather than silently ignored.
 */
export function parseOverrides(kind: "state" | "block"): (value: unknown) => true {
  return (value) => {
    const object = parseObject(value);
    if (Object.keys(object).length > 0) {
      throw new RPCError(RPCErrorCode.invalidParams, `${kind} overrides are not supported`);
    }
    return true;
  };
}
