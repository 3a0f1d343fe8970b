import { CodecError } from "./errors.js";
import { type AccessListItem, TxType, type UnsignedTx } from "./transaction.js";

export interface CreateUnsignedTxParameters {
  readonly type: TxType;
  readonly chainId: bigint;
  readonly nonce: bigint;
  readonly gasLimit: bigint;
  /** Omitted or `null` for contract creation. */
  readonly to?: Uint8Array | null;
  readonly value?: bigint;
  readonly data?: Uint8Array;
  /** Types 1, 2 and 0x53 only. */
  readonly accessList?: readonly AccessListItem[];
  /** Types 0 and 1 only; 0 if omitted, since gas is free on Charter. */
  readonly gasPrice?: bigint;
  /** Types 2 and 0x53 only; 0 if omitted. */
  readonly maxFeePerGas?: bigint;
  /** Types 2 and 0x53 only; 0 if omitted. */
  readonly maxPriorityFeePerGas?: bigint;
}

/**
 * Builds an `UnsignedTx` with its fees normalised (for types 0 and 1 all three fee fields are the gas price; for
 * type 2 `gasPrice` is `maxFeePerGas`) and defaults for the optional fields. Throws `CodecError("invalid-value")`
 * when fee fields of the other kind are given, or an access list on a legacy transaction.
 *
 * @example
 * createUnsignedTx({ type: TxType.legacy, chainId: 1n, nonce: 9n, gasLimit: 21_000n, gasPrice: 20n * 10n ** 9n, to });
 */
export function createUnsignedTx(parameters: CreateUnsignedTxParameters): UnsignedTx {
  const { type } = parameters;
  const common = {
    type,
    chainId: parameters.chainId,
    nonce: parameters.nonce,
    gasLimit: parameters.gasLimit,
    to: parameters.to ?? null,
    value: parameters.value ?? 0n,
    data: parameters.data ?? new Uint8Array(0),
    accessList: parameters.accessList ?? [],
  };
  if (type === TxType.legacy && common.accessList.length > 0) {
    throw new CodecError(
      "invalid-value",
      "A legacy transaction cannot carry an access list; use type 1 or 2.",
    );
  }
  if (type === TxType.feeMarket || type === TxType.sm2) {
    if (parameters.gasPrice !== undefined) {
      throw new CodecError(
        "invalid-value",
        `A type-${type} transaction takes maxFeePerGas and maxPriorityFeePerGas, not gasPrice.`,
      );
    }
    const maxFeePerGas = parameters.maxFeePerGas ?? 0n;
    return {
      ...common,
      gasPrice: maxFeePerGas,
      maxFeePerGas,
      maxPriorityFeePerGas: parameters.maxPriorityFeePerGas ?? 0n,
    };
  }
  if (parameters.maxFeePerGas !== undefined || parameters.maxPriorityFeePerGas !== undefined) {
    throw new CodecError(
      "invalid-value",
      `A type-${type} transaction takes gasPrice, not maxFeePerGas or maxPriorityFeePerGas.`,
    );
  }
  const gasPrice = parameters.gasPrice ?? 0n;
  return { ...common, gasPrice, maxFeePerGas: gasPrice, maxPriorityFeePerGas: gasPrice };
}
