import {
  type AccessListItem,
  CodecError,
  encodeTx,
  TxType,
  txSigningPayload,
  type UnsignedTx,
} from "@charter/types";
import {
  bytesToHex,
  type Hex,
  hexToBigInt,
  hexToBytes,
  isAddress,
  isHex,
  type TransactionSerializableGeneric,
  type TransactionSerializedGeneric,
} from "viem";
import { CharterSDKError } from "./errors.js";

/**
 * Type 0x53, the one transaction type of an `sm` chain: the EIP-1559 fields signed with SM2, with the signer's
 * public key in the place of yParity.
 *
 *   signed:  0x53 ‖ rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data,
 *                        accessList, publicKey (64 bytes x ‖ y), r, s])
 *   payload: 0x53 ‖ rlp([the first 9 fields]);  signing hash: SM3(payload), signed as the SM2 message.
 */

/** The EIP-2718 type byte of an SM2 transaction, as JSON-RPC writes it. */
export const SM2_TRANSACTION_TYPE_HEX = "0x53";
/** The name the `sm` chain's formatters give type 0x53 (viem's `type` field). */
export const SM2_TRANSACTION_TYPE = "sm2";

/**
 * What an SM2 account signs and the `sm` chain serialises: any transaction viem prepares (`eip1559`, `legacy` or
 * `eip2930` shaped; `type` may also be `"sm2"`), optionally with the signer's `publicKey` (as
 * `getTransaction` returns it on an `sm` chain).
 */
export type SM2TransactionSerializable = TransactionSerializableGeneric & {
  /** The signer's SM2 public key: 64 bytes `x ‖ y`, or 65 bytes `0x04 ‖ x ‖ y`. */
  publicKey?: Hex | undefined;
};

/** viem's signature object plus the SM2 public key a type-0x53 transaction must carry. */
export interface SM2TransactionSignature {
  readonly r: Hex;
  readonly s: Hex;
  /** Always 0 for type 0x53 (an SM2 signature recovers nothing); accepted and ignored. */
  readonly yParity?: number | undefined;
  /** Ignored, as `yParity`. */
  readonly v?: bigint | undefined;
  /** The signer's SM2 public key: 64 bytes `x ‖ y`, or 65 bytes `0x04 ‖ x ‖ y`. */
  readonly publicKey?: Hex | undefined;
}

const TYPES_ACCEPTED: readonly (string | undefined)[] = [
  undefined,
  "legacy",
  "eip2930",
  "eip1559",
  SM2_TRANSACTION_TYPE,
];

/**
 * The `@charter/types` form of a viem transaction, as type 0x53. Fees map as Charter normalises them: a
 * `legacy`/`eip2930`-shaped transaction's `gasPrice` becomes both `maxFeePerGas` and `maxPriorityFeePerGas`;
 * an `eip1559`/`sm2` one keeps its fee caps (and ignores a `gasPrice`, which on a fetched transaction is the price it
 * paid); missing numbers are 0 and missing data empty, as viem's own serializer treats them. Throws
 * `CharterSDKError("invalid-transaction")` without a `chainId`, for blob (eip4844) or set-code (eip7702)
 * transactions, for `gasPrice` next to fee caps on an untyped, legacy or eip2930 transaction, and for malformed
 * fields.
 *
 * @example
 * toSM2UnsignedTx({ chainId: 7345, nonce: 0, gas: 21_000n, to, value: 1n }).type; // 0x53
 */
export function toSM2UnsignedTx(transaction: SM2TransactionSerializable): UnsignedTx {
  const { type, chainId, gasPrice, maxFeePerGas, maxPriorityFeePerGas } = transaction;
  if (!TYPES_ACCEPTED.includes(type)) {
    throw invalid(
      `An sm chain has only type-0x53 (SM2) transactions, which carry the EIP-1559 fields; a "${type}" ` +
        "transaction cannot be expressed as one. Leave `type` unset or use eip1559, legacy or eip2930 fields.",
    );
  }
  if (
    (transaction.blobs?.length ?? 0) > 0 ||
    (transaction.blobVersionedHashes?.length ?? 0) > 0 ||
    (transaction.sidecars !== undefined && transaction.sidecars !== false) ||
    transaction.maxFeePerBlobGas !== undefined ||
    (transaction.authorizationList?.length ?? 0) > 0
  ) {
    throw invalid(
      "Charter has no blob (EIP-4844) or set-code (EIP-7702) transactions; remove blobs, " +
        "blobVersionedHashes, maxFeePerBlobGas and authorizationList.",
    );
  }
  if (chainId === undefined) {
    throw invalid(
      "An SM2 transaction needs its chainId (it is signed for one chain). Give the client a chain, e.g. " +
        'defineCharterChain({ id, rpcUrl, crypto: "sm" }), or pass chainId.',
    );
  }
  if (!Number.isSafeInteger(chainId) || chainId < 0) {
    throw invalid(`The chainId ${String(chainId)} is not a non-negative integer.`);
  }
  const hasFeeCaps = maxFeePerGas !== undefined || maxPriorityFeePerGas !== undefined;
  // An eip1559/sm2 transaction's gasPrice, if any, is what a mined one paid (as getTransaction returns it); it is
  // not part of what was signed. For the other types, and untyped objects, the two kinds of fee must not mix.
  const feeMarket = type === "eip1559" || type === SM2_TRANSACTION_TYPE;
  if (!feeMarket && gasPrice !== undefined && hasFeeCaps) {
    throw invalid(
      type === undefined
        ? "Give either gasPrice or maxFeePerGas/maxPriorityFeePerGas, not both."
        : `A "${type}" transaction takes gasPrice, not maxFeePerGas or maxPriorityFeePerGas.`,
    );
  }
  const to = transaction.to;
  if (to !== undefined && to !== null && !isAddress(to, { strict: false })) {
    throw invalid(`The transaction's to, ${String(to)}, is not an address (0x and 40 hex digits).`);
  }
  const data = transaction.data ?? "0x";
  if (!isHex(data, { strict: true }) || data.length % 2 !== 0) {
    throw invalid("The transaction's data is not hex bytes (0x followed by an even number of hex digits).");
  }
  const nonce = transaction.nonce ?? 0;
  if (!Number.isSafeInteger(nonce) || nonce < 0) {
    throw invalid(`The nonce ${String(nonce)} is not a non-negative integer.`);
  }
  const legacyFees = !feeMarket && gasPrice !== undefined;
  const feeCap = (legacyFees ? gasPrice : maxFeePerGas) ?? 0n;
  const tip = (legacyFees ? gasPrice : maxPriorityFeePerGas) ?? 0n;
  return {
    type: TxType.sm2,
    chainId: BigInt(chainId),
    nonce: BigInt(nonce),
    gasPrice: feeCap,
    maxFeePerGas: feeCap,
    maxPriorityFeePerGas: tip,
    gasLimit: transaction.gas ?? 0n,
    to: to === undefined || to === null ? null : hexToBytes(to),
    value: transaction.value ?? 0n,
    data: hexToBytes(data),
    accessList: (transaction.accessList ?? []).map(accessListItem),
  };
}

/**
 * The `sm` chain's transaction serializer (viem's `chain.serializers.transaction`). Without a signature it returns
 * the signing payload `0x53 ‖ rlp([9 fields])` (SM3 of it is what the sender signs); with one, the signed
 * transaction `eth_sendRawTransaction` takes, for which the signer's public key is needed: on the signature
 * (`{ r, s, yParity, publicKey }`) or on the transaction (`publicKey`, as `getTransaction` returns it). Like
 * viem's serializers, r and s may also come from the transaction itself. Throws
 * `CharterSDKError("invalid-transaction")` as `toSM2UnsignedTx` does, and when a signature comes without a key —
 * which is what happens when a secp256k1 account signs for an `sm` chain: use `privateKeyToSM2Account`.
 *
 * @example
 * const payload = serializeSM2Transaction({ chainId: 7345, nonce: 0, gas: 21_000n, to, value: 1n });
 * const raw = serializeSM2Transaction(transaction, { r, s, yParity: 0, publicKey });
 */
export function serializeSM2Transaction(
  transaction: SM2TransactionSerializable,
  signature?: SM2TransactionSignature | undefined,
): TransactionSerializedGeneric {
  const unsigned = toSM2UnsignedTx(transaction);
  const signed =
    signature ??
    (transaction.r !== undefined && transaction.s !== undefined
      ? { r: transaction.r, s: transaction.s }
      : undefined);
  if (signed === undefined) return encoded(() => txSigningPayload(unsigned));
  const publicKey = signature?.publicKey ?? transaction.publicKey;
  if (publicKey === undefined) {
    throw invalid(
      "A signed type-0x53 transaction carries its signer's SM2 public key, and none was given. On an sm chain sign " +
        "with an SM2 account (privateKeyToSM2Account from @charter/sdk): a secp256k1 account's signature cannot " +
        "be used there. To serialise a signature yourself, pass { r, s, yParity: 0, publicKey }.",
    );
  }
  const r = scalar(signed.r, "r");
  const s = scalar(signed.s, "s");
  return encoded(() => encodeTx({ ...unsigned, yParity: 0, r, s, publicKey: publicKeyXY(publicKey) }));
}

function accessListItem(item: { address: Hex; storageKeys: readonly Hex[] }): AccessListItem {
  if (!isAddress(item.address, { strict: false })) {
    throw invalid(`The access list entry ${String(item.address)} is not an address.`);
  }
  return {
    address: hexToBytes(item.address),
    storageKeys: item.storageKeys.map((key) => {
      if (!isHex(key, { strict: true }) || key.length !== 66) {
        throw invalid(`The access list storage key ${String(key)} is not 32 bytes of hex.`);
      }
      return hexToBytes(key);
    }),
  };
}

function publicKeyXY(publicKey: Hex): Uint8Array {
  if (isHex(publicKey, { strict: true })) {
    const bytes = hexToBytes(publicKey);
    if (bytes.length === 64) return bytes;
    if (bytes.length === 65 && bytes[0] === 0x04) return bytes.subarray(1);
  }
  throw invalid(
    "The SM2 public key must be 64 bytes of hex (x ‖ y) or 65 bytes (0x04 ‖ x ‖ y), as privateKeyToSM2Account's " +
      "publicKey is.",
  );
}

function scalar(value: Hex, name: string): bigint {
  if (!isHex(value, { strict: true }) || value.length > 66) {
    throw invalid(`The signature's ${name} is not a hex integer of at most 32 bytes.`);
  }
  return value === "0x" ? 0n : hexToBigInt(value);
}

/** Runs an encoder of `@charter/types`, turning its `CodecError` (a field that does not fit) into ours. */
function encoded(encode: () => Uint8Array): TransactionSerializedGeneric {
  try {
    return bytesToHex(encode()) as TransactionSerializedGeneric;
  } catch (error) {
    if (error instanceof CodecError) throw invalid(error.message, error);
    throw error;
  }
}

function invalid(message: string, cause?: unknown): CharterSDKError {
  return new CharterSDKError("invalid-transaction", message, cause === undefined ? undefined : { cause });
}
