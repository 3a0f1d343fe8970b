import { CharterError } from "@charter/utils";

/**
 * Why `decodeTx` (or `toVerifiedTx`) refused a transaction. Some messages are fixed strings that ethers and viem
 * match with regular expressions to pick their own error classes; `TxDecodeMessage` lists them and they must
 * not be reworded.
 */
export type TxDecodeErrorCode =
  /** Larger than `TxLimits.txBytesMax`; checked before any decoding. */
  | "oversized"
  /**
   * Not a legacy RLP list, and not an EIP-2718 envelope of type 1, 2 or 0x53; or a type the chain's suite does
   * not sign (0x53 on an `ecdsa` chain, 0-2 on an `sm` chain).
   */
  | "invalid-type"
  /** Bad RLP, wrong field count, non-canonical integer, wrong field length, a limit exceeded, trailing bytes. */
  | "malformed"
  /** A legacy transaction signed without EIP-155 replay protection (`v` of 27 or 28). */
  | "unprotected"
  /** Signed for another chain. */
  | "invalid-chain-id"
  /** `r` or `s` zero or out of range, high `s`, or `yParity`/`v` not a valid recovery bit. */
  | "invalid-signature"
  /** A type-2 transaction whose `maxPriorityFeePerGas` exceeds its `maxFeePerGas`. */
  | "tip-above-fee-cap"
  /** The signature is well formed but recovers no public key. */
  | "invalid-sender";

export class TxDecodeError extends CharterError<TxDecodeErrorCode> {
  override name = "TxDecodeError";
}

/** Messages that JSON-RPC clients recognise by regular expression; `TxDecodeError`s use them verbatim. */
export const TxDecodeMessage = {
  invalidType: "transaction type not valid",
  unprotected: "only replay-protected (EIP-155) transactions allowed over RPC",
  invalidChainId: "invalid chain id for signer",
  invalidSignature: "invalid transaction v, r, s values",
  tipAboveFeeCap: "max priority fee per gas higher than max fee per gas",
  invalidSender: "invalid sender",
} as const;

/** Why a header, block or receipt could not be encoded or decoded. */
export type CodecErrorCode =
  /** The input exceeds the byte limit for its kind; checked before any decoding. */
  | "oversized"
  /** The bytes are not a valid encoding: bad RLP, wrong shape, wrong field length, a count limit exceeded. */
  | "malformed"
  /** A value handed to an encoder does not fit the format (wrong length, negative, too large). */
  | "invalid-value"
  /** A transaction inside a block failed `decodeTx`; the cause is the `TxDecodeError`. */
  | "invalid-transaction";

export class CodecError extends CharterError<CodecErrorCode> {
  override name = "CodecError";
}
