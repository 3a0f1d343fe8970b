import { bytesToHex, CharterError } from "@charter/utils";

/**
 * Why the pool refused a transaction. Each code carries a typed detail, and each message starts with the text
 * geth sends for the same case, because ethers, viem and Hardhat classify node errors by regular expressions
 * on the message (ethers: `nonce` + `too low`, `replacement transaction` + `underpriced`, `insufficient funds`;
 * viem: `nonce too high`, `already known`, `nonce has max value`, `exceeds block gas limit`).
 */
export const MempoolErrorCode = {
  alreadyKnown: "already-known",
  gasLimitExceeded: "gas-limit-exceeded",
  nonceMax: "nonce-max",
  nonceTooLow: "nonce-too-low",
  nonceTooHigh: "nonce-too-high",
  insufficientFunds: "insufficient-funds",
  replacementUnderpriced: "replacement-underpriced",
  senderFull: "sender-full",
  poolFull: "pool-full",
} as const;
export type MempoolErrorCode = (typeof MempoolErrorCode)[keyof typeof MempoolErrorCode];

export type MempoolErrorDetail =
  | { readonly code: "already-known"; readonly hash: Uint8Array }
  | { readonly code: "gas-limit-exceeded"; readonly gasLimit: bigint; readonly txGasMax: bigint }
  | { readonly code: "nonce-max"; readonly nonce: bigint }
  | { readonly code: "nonce-too-low"; readonly nonceNext: bigint; readonly nonce: bigint }
  | {
      readonly code: "nonce-too-high";
      readonly nonceNext: bigint;
      readonly nonce: bigint;
      readonly nonceGapMax: bigint;
    }
  | { readonly code: "insufficient-funds"; readonly balance: bigint; readonly cost: bigint }
  | {
      readonly code: "replacement-underpriced";
      readonly replaced: Uint8Array;
      readonly priceBumpPercent: bigint;
    }
  | { readonly code: "sender-full"; readonly sender: Uint8Array; readonly perSenderMax: number }
  | {
      readonly code: "pool-full";
      readonly txCount: number;
      readonly txCountMax: number;
      readonly bytes: number;
      readonly bytesMax: number;
    };

/** A transaction the pool refused. `detail.code === code`; `message` is what JSON-RPC clients should see. */
export class MempoolError extends CharterError<MempoolErrorCode> {
  readonly detail: MempoolErrorDetail;
  constructor(detail: MempoolErrorDetail) {
    super(detail.code, mempoolErrorMessage(detail));
    this.name = "MempoolError";
    this.detail = detail;
  }
}

export function isMempoolError(value: unknown): value is MempoolError {
  return value instanceof MempoolError;
}

/**
 * The message for a refusal. The leading phrase of each is fixed (see `MempoolErrorCode`); what follows the
 * colon is for people and may change.
 */
export function mempoolErrorMessage(detail: MempoolErrorDetail): string {
  switch (detail.code) {
    case "already-known":
      // Exactly geth's text: clients treat it as "this transaction was sent before", not as a failure.
      return "already known";
    case "gas-limit-exceeded":
      return `exceeds block gas limit: tx gas ${detail.gasLimit}, block gas limit ${detail.txGasMax}`;
    case "nonce-max":
      return `nonce has max value: tx nonce ${detail.nonce}`;
    case "nonce-too-low":
      // geth's format, so that scripts parsing "next nonce N" keep working.
      return `nonce too low: next nonce ${detail.nonceNext}, tx nonce ${detail.nonce}`;
    case "nonce-too-high":
      return (
        `nonce too high: next nonce ${detail.nonceNext}, tx nonce ${detail.nonce}; the pool keeps at most ` +
        `${detail.nonceGapMax} nonces ahead of the next one, so send the missing transactions first`
      );
    case "insufficient-funds": {
      const overshot = detail.cost - detail.balance;
      return (
        `insufficient funds for gas * price + value: balance ${detail.balance}, tx cost ${detail.cost}, ` +
        `overshot ${overshot}`
      );
    }
    case "replacement-underpriced":
      // Exactly geth's text: ethers matches "replacement transaction" and "underpriced".
      return "replacement transaction underpriced";
    case "sender-full":
      return (
        `txpool is full: sender ${bytesToHex(detail.sender)} already has ${detail.perSenderMax} transactions ` +
        "in the pool, the most allowed per sender; wait until some are included"
      );
    case "pool-full":
      return "txpool is full";
  }
}
