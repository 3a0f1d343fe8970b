/** JSON-RPC error codes (JSON-RPC 2.0, EIP-1474 and the geth conventions clients rely on). */
export const RPCErrorCode = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** geth convention: transaction validation failures and "filter not found". */
  invalidInput: -32000,
  resourceNotFound: -32001,
  resourceUnavailable: -32002,
  /** Permission denied (sender not allowed) or pool full. */
  transactionRejected: -32003,
  methodNotSupported: -32004,
  limitExceeded: -32005,
  /** geth convention for `eth_call` / `eth_estimateGas` reverts. */
  executionReverted: 3,
} as const;
export type RPCErrorCode = (typeof RPCErrorCode)[keyof typeof RPCErrorCode];

/** An error answered to the client as `{code, message, data}`. Messages are the verbatim strings tools match. */
export class RPCError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "RPCError";
    this.code = code;
    this.data = data;
  }
}

/**
 * The error for a method the server does not offer. Its wording matters: ethers maps `/the method .* does not exist/`
 * to UNSUPPORTED_OPERATION, and viem stops probing optional methods on -32601.
 */
export function methodNotFoundError(method: string): RPCError {
  const shown = method.length > 64 ? `${method.slice(0, 64)}…` : method;
  return new RPCError(RPCErrorCode.methodNotFound, `the method ${shown} does not exist/is not available`);
}
