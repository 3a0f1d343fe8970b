/** What went wrong in an SDK call that is not the node's or a contract's own error. */
export type CharterSDKErrorCode =
  /** A builder or action was given a value it cannot encode (a malformed address, an out-of-range weight, …). */
  | "invalid-argument"
  /** The node answered a `charter_*` method with a value of the wrong shape. */
  | "unexpected-response"
  /** A governance transaction was included but reverted, or its receipt lacks the event it must emit. */
  | "transaction-failed"
  /**
   * An SM2 private key that is not 32 bytes of hex, is outside [1, n − 2], or a PEM file that holds no usable SM2
   * key (another curve, encrypted, malformed).
   */
  | "invalid-private-key"
  /** A transaction an SM2 account cannot sign or the `sm` chain cannot serialise (no chain id, blobs, …). */
  | "invalid-transaction";

/** An expected failure of the SDK, with a code to branch on and a message that says what to do. */
export class CharterSDKError extends Error {
  override name = "CharterSDKError";
  readonly code: CharterSDKErrorCode;
  constructor(code: CharterSDKErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Whether `error` is a `CharterSDKError` (optionally with `code`). */
export function isCharterSDKError(error: unknown, code?: CharterSDKErrorCode): error is CharterSDKError {
  return error instanceof CharterSDKError && (code === undefined || error.code === code);
}
