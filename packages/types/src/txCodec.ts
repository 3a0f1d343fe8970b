import type { CryptoSuite } from "@charter/crypto";
import { bigintToBytes, bytesToBigint, concatBytes } from "@charter/utils";
import { type Input, RLP } from "@ethereumjs/rlp";
import { CodecError, TxDecodeError, TxDecodeMessage } from "./errors.js";
import { ADDRESS_BYTES, HASH_BYTES, TX_LIMITS_DEFAULT, type TxLimits } from "./limits.js";
import { decodeRlp, type RlpItem } from "./rlp.js";
import {
  readBytes,
  readFixedBytes,
  readList,
  readOptionalFixedBytes,
  readUint,
  writeFixedBytes,
  writeUint,
} from "./rlpFields.js";
import { legacyV, signedTx } from "./signedTx.js";
import type { AccessListItem, SignedTx, TxSignature, UnsignedTx } from "./transaction.js";
import { TxType } from "./transaction.js";

const EMPTY = new Uint8Array(0);
const NO_ACCESS_LIST: readonly AccessListItem[] = Object.freeze([]);
/** Integers are at most 256 bits; nonce and gas limit at most 64, as geth decodes them into `uint64`. */
const UINT256_BYTES = 32;
const UINT64_BYTES = 8;
const SIGNATURE_BYTES = 65;
/** An SM2 signature `r ‖ s`, and the public key `x ‖ y` a type-0x53 transaction carries. */
const SM2_SIGNATURE_BYTES = 64;
const SM2_PUBLIC_KEY_BYTES = 64;
/** Legacy `v` under EIP-155 is `chainId * 2 + 35 + yParity`; 27 and 28 are the unprotected pre-EIP-155 values. */
const EIP155_V_OFFSET = 35n;
const UNPROTECTED_V = [27n, 28n];
/** List nesting of a typed transaction: fields, access list, entry, storage keys. */
const TYPED_DEPTH_MAX = 4;
const LEGACY_DEPTH_MAX = 1;
const LEGACY_FIELD_COUNT = 9;
const ACCESS_LIST_FIELD_COUNT = 11;
const FEE_MARKET_FIELD_COUNT = 12;

export interface DecodeTxOptions {
  readonly suite: CryptoSuite;
  /** The chain's id; a transaction signed for any other chain is rejected. */
  readonly chainId: bigint;
  readonly limits?: TxLimits;
}

/** What the type-specific parsers hand to the shared checks. */
interface ParsedTx {
  readonly unsigned: UnsignedTx;
  readonly yParity: bigint;
  readonly r: Uint8Array;
  readonly s: Uint8Array;
  readonly v: bigint;
  /** Type 0x53 only. */
  readonly publicKey?: Uint8Array;
  readonly signingPayload: Uint8Array;
}

/**
 * Decodes and checks an untrusted serialised transaction (`eth_sendRawTransaction`, p2p gossip, a block body):
 * EIP-2718 types 0 (legacy, EIP-155 replay protection required), 1 (EIP-2930) and 2 (EIP-1559) on an `ecdsa`
 * chain, type 0x53 (SM2) on an `sm` chain. The size is checked before any decoding, the type against the suite,
 * every field against its format, the chain id against `options.chainId`, and the signature values against the
 * suite's canonical form; the sender is not recovered (see `toVerifiedTx`). Fees
 * come back normalised as `UnsignedTx` describes. Throws `TxDecodeError`; docs/spec/encoding.md lists every rule.
 *
 * @example
 * const tx = decodeTx(hexToBytes(rawHex), { suite: createEcdsaSuite(), chainId: 1n });
 * tx.nonce; // 9n
 */
export function decodeTx(raw: Uint8Array, options: DecodeTxOptions): SignedTx {
  const limits = options.limits ?? TX_LIMITS_DEFAULT;
  if (raw.length > limits.txBytesMax) {
    throw new TxDecodeError(
      "oversized",
      `oversized data: the transaction is ${raw.length} bytes and the limit is ${limits.txBytesMax} bytes.`,
    );
  }
  const type = envelopeType(raw);
  checkTypeForSuite(type, options.suite);
  // An own copy, because callers may hand in a pooled network buffer that is reused after this call returns.
  const bytes = new Uint8Array(raw);
  let parsed: ParsedTx;
  try {
    parsed = type === TxType.legacy ? parseLegacy(bytes) : parseTyped(bytes, type, limits);
  } catch (error) {
    if (error instanceof CodecError) throw new TxDecodeError("malformed", error.message, { cause: error });
    throw error;
  }
  const { unsigned, yParity, r, s, v, publicKey, signingPayload } = parsed;
  if (unsigned.chainId !== options.chainId) {
    throw new TxDecodeError("invalid-chain-id", TxDecodeMessage.invalidChainId);
  }
  if (unsigned.maxPriorityFeePerGas > unsigned.maxFeePerGas) {
    throw new TxDecodeError("tip-above-fee-cap", TxDecodeMessage.tipAboveFeeCap);
  }
  if (yParity > 1n) throw new TxDecodeError("invalid-signature", TxDecodeMessage.invalidSignature);
  const signature = new Uint8Array(publicKey === undefined ? SIGNATURE_BYTES : SM2_SIGNATURE_BYTES);
  signature.set(r, 32 - r.length);
  signature.set(s, 64 - s.length);
  if (publicKey === undefined) signature[64] = Number(yParity);
  if (!options.suite.isCanonicalSignature(signature)) {
    throw new TxDecodeError("invalid-signature", TxDecodeMessage.invalidSignature);
  }
  return signedTx(
    unsigned,
    {
      yParity: Number(yParity),
      r: bytesToBigint(r),
      s: bytesToBigint(s),
      ...(publicKey === undefined ? {} : { publicKey }),
    },
    { v, raw: bytes, hash: options.suite.hash(bytes), signingHash: options.suite.hash(signingPayload) },
  );
}

/**
 * Serialises a signed transaction in its canonical EIP-2718 form: `rlp([fields…, v, r, s])` for legacy,
 * `type ‖ rlp([fields…, yParity, r, s])` for types 1 and 2, `0x53 ‖ rlp([fields…, publicKey, r, s])` for SM2.
 * Throws `CodecError("invalid-value")` when a field does not fit the format or the fees are not normalised as
 * `UnsignedTx` describes.
 */
export function encodeTx(tx: UnsignedTx & TxSignature): Uint8Array {
  const fields = unsignedFields(tx);
  if (tx.type === TxType.sm2) {
    if (tx.publicKey === undefined) {
      throw new CodecError(
        "invalid-value",
        "Cannot encode a type-0x53 transaction without the signer's publicKey.",
      );
    }
    const publicKey = writeFixedBytes(tx.publicKey, "transaction publicKey", SM2_PUBLIC_KEY_BYTES);
    const r = writeUint(tx.r, "transaction r", UINT256_BYTES);
    const s = writeUint(tx.s, "transaction s", UINT256_BYTES);
    return concatBytes(Uint8Array.of(tx.type), RLP.encode([...fields, publicKey, r, s]));
  }
  if (tx.publicKey !== undefined) {
    throw new CodecError(
      "invalid-value",
      `A type-${tx.type} transaction carries no publicKey; only type 0x53 does.`,
    );
  }
  if (tx.yParity !== 0 && tx.yParity !== 1) {
    throw new CodecError("invalid-value", `Cannot encode transaction yParity: ${tx.yParity} is not 0 or 1.`);
  }
  const r = writeUint(tx.r, "transaction r", UINT256_BYTES);
  const s = writeUint(tx.s, "transaction s", UINT256_BYTES);
  if (tx.type === TxType.legacy) {
    const v = writeUint(legacyV(tx.chainId, tx.yParity), "transaction v", UINT256_BYTES);
    return RLP.encode([...fields, v, r, s]);
  }
  return concatBytes(
    Uint8Array.of(tx.type),
    RLP.encode([...fields, writeUint(tx.yParity, "transaction yParity", 1), r, s]),
  );
}

/**
 * The bytes a sender signs: EIP-155's `rlp([nonce, gasPrice, gasLimit, to, value, data, chainId, 0, 0])` for
 * legacy, `type ‖ rlp([fields without the signature])` for types 1, 2 and 0x53.
 */
export function txSigningPayload(tx: UnsignedTx): Uint8Array {
  const fields = unsignedFields(tx);
  if (tx.type === TxType.legacy) return RLP.encode([...fields, bigintToBytes(tx.chainId), EMPTY, EMPTY]);
  return concatBytes(Uint8Array.of(tx.type), RLP.encode(fields));
}

/** The digest a sender signs: `suite.hash(txSigningPayload(tx))`. */
export function txSigningHash(tx: UnsignedTx, suite: CryptoSuite): Uint8Array {
  return suite.hash(txSigningPayload(tx));
}

/**
 * The EIP-2718 type of a serialised transaction. A first byte of 0xc0 or more starts an RLP list, which is a
 * legacy transaction; 0x01, 0x02 and 0x53 are the typed envelopes Charter accepts. Everything else, including
 * blob (0x03) and set-code (0x04) transactions and byte strings, is refused with the message viem recognises.
 */
function envelopeType(raw: Uint8Array): TxType {
  const first = raw[0];
  if (first === undefined) throw new TxDecodeError("invalid-type", TxDecodeMessage.invalidType);
  if (first >= 0xc0) return TxType.legacy;
  if (first === TxType.accessList || first === TxType.feeMarket || first === TxType.sm2) return first;
  throw new TxDecodeError("invalid-type", TxDecodeMessage.invalidType);
}

/**
 * The suite decides the signature scheme, so it decides the types: an `sm` chain (whose signatures do not
 * recover) takes only SM2 transactions, an `ecdsa` chain only secp256k1 ones. The message keeps the prefix viem
 * maps to "transaction type not supported" and says what to do instead.
 */
function checkTypeForSuite(type: TxType, suite: CryptoSuite): void {
  if (suite.recoverable && type === TxType.sm2) {
    throw new TxDecodeError(
      "invalid-type",
      `${TxDecodeMessage.invalidType}: type 0x53 (SM2) transactions are for chains on the sm suite; this chain ` +
        "uses ecdsa, so sign a type 0, 1 or 2 transaction with a secp256k1 key",
    );
  }
  if (!suite.recoverable && type !== TxType.sm2) {
    throw new TxDecodeError(
      "invalid-type",
      `${TxDecodeMessage.invalidType}: this chain uses the ${suite.name} suite and accepts only type 0x53 ` +
        `transactions signed with SM2; a type-${type} transaction is secp256k1-signed (use an SM2 account, ` +
        "e.g. @charter/sdk's privateKeyToSM2Account)",
    );
  }
}

function parseLegacy(bytes: Uint8Array): ParsedTx {
  const fields = readList(
    decodeRlp(bytes, { depthMax: LEGACY_DEPTH_MAX, label: "transaction" }),
    "legacy transaction",
    LEGACY_FIELD_COUNT,
  );
  let i = 0;
  const next = (): RlpItem => fields[i++]!;
  const nonce = readUint(next(), "transaction nonce", UINT64_BYTES);
  const gasPrice = readUint(next(), "transaction gasPrice", UINT256_BYTES);
  const gasLimit = readUint(next(), "transaction gasLimit", UINT64_BYTES);
  const to = readOptionalFixedBytes(next(), "transaction to", ADDRESS_BYTES);
  const value = readUint(next(), "transaction value", UINT256_BYTES);
  const data = readBytes(next(), "transaction data");
  const v = readUint(next(), "transaction v", UINT256_BYTES);
  const r = readScalar(next(), "transaction r");
  const s = readScalar(next(), "transaction s");
  if (UNPROTECTED_V.includes(v)) throw new TxDecodeError("unprotected", TxDecodeMessage.unprotected);
  if (v < EIP155_V_OFFSET) throw new TxDecodeError("invalid-signature", TxDecodeMessage.invalidSignature);
  const chainId = (v - EIP155_V_OFFSET) >> 1n;
  return {
    unsigned: {
      type: TxType.legacy,
      chainId,
      nonce,
      gasPrice,
      maxFeePerGas: gasPrice,
      maxPriorityFeePerGas: gasPrice,
      gasLimit,
      to,
      value,
      data,
      accessList: NO_ACCESS_LIST,
    },
    yParity: (v - EIP155_V_OFFSET) & 1n,
    r,
    s,
    v,
    // The decoded items are canonical (checked above), so re-encoding them reproduces the signed bytes.
    signingPayload: RLP.encode([...fields.slice(0, 6), bigintToBytes(chainId), EMPTY, EMPTY]),
  };
}

function parseTyped(bytes: Uint8Array, type: TxType, limits: TxLimits): ParsedTx {
  const payload = bytes.subarray(1);
  if (payload.length === 0 || payload[0]! < 0xc0) {
    throw new CodecError(
      "malformed",
      `Malformed transaction: a type-${type} transaction is its type byte followed by an RLP list.`,
    );
  }
  // Type 0x53 has type 2's field count: the public key takes the place of yParity.
  const fieldCount = type === TxType.accessList ? ACCESS_LIST_FIELD_COUNT : FEE_MARKET_FIELD_COUNT;
  const fields = readList(
    decodeRlp(payload, { depthMax: TYPED_DEPTH_MAX, label: "transaction" }),
    `type-${type} transaction`,
    fieldCount,
  );
  let i = 0;
  const next = (): RlpItem => fields[i++]!;
  const chainId = readUint(next(), "transaction chainId", UINT256_BYTES);
  const nonce = readUint(next(), "transaction nonce", UINT64_BYTES);
  let gasPrice: bigint;
  let maxPriorityFeePerGas: bigint;
  let maxFeePerGas: bigint;
  if (type === TxType.accessList) {
    gasPrice = readUint(next(), "transaction gasPrice", UINT256_BYTES);
    maxPriorityFeePerGas = gasPrice;
    maxFeePerGas = gasPrice;
  } else {
    maxPriorityFeePerGas = readUint(next(), "transaction maxPriorityFeePerGas", UINT256_BYTES);
    maxFeePerGas = readUint(next(), "transaction maxFeePerGas", UINT256_BYTES);
    gasPrice = maxFeePerGas;
  }
  const unsigned: UnsignedTx = {
    type,
    chainId,
    nonce,
    gasPrice,
    maxFeePerGas,
    maxPriorityFeePerGas,
    gasLimit: readUint(next(), "transaction gasLimit", UINT64_BYTES),
    to: readOptionalFixedBytes(next(), "transaction to", ADDRESS_BYTES),
    value: readUint(next(), "transaction value", UINT256_BYTES),
    data: readBytes(next(), "transaction data"),
    accessList: readAccessList(next(), limits),
  };
  const publicKey =
    type === TxType.sm2 ? readFixedBytes(next(), "transaction publicKey", SM2_PUBLIC_KEY_BYTES) : undefined;
  const yParity = publicKey === undefined ? readUint(next(), "transaction yParity", UINT256_BYTES) : 0n;
  const r = readScalar(next(), "transaction r");
  const s = readScalar(next(), "transaction s");
  return {
    unsigned,
    yParity,
    r,
    s,
    v: yParity,
    ...(publicKey === undefined ? {} : { publicKey }),
    signingPayload: concatBytes(Uint8Array.of(type), RLP.encode(fields.slice(0, fieldCount - 3))),
  };
}

/** A signature scalar: a canonical integer of at most 32 bytes, returned as its minimal big-endian bytes. */
function readScalar(item: RlpItem, label: string): Uint8Array {
  readUint(item, label, UINT256_BYTES);
  return readBytes(item, label);
}

function readAccessList(item: RlpItem, limits: TxLimits): AccessListItem[] {
  const entries = readList(item, "transaction accessList");
  if (entries.length > limits.accessListAddressesMax) {
    throw new CodecError(
      "malformed",
      `Malformed transaction accessList: ${entries.length} entries exceed the limit of ${limits.accessListAddressesMax}.`,
    );
  }
  const out: AccessListItem[] = [];
  let keyCount = 0;
  for (const entry of entries) {
    const [address, keys] = readList(entry, "transaction accessList entry", 2) as [RlpItem, RlpItem];
    const storageKeys = readList(keys, "transaction accessList storageKeys");
    keyCount += storageKeys.length;
    if (keyCount > limits.accessListKeysMax) {
      throw new CodecError(
        "malformed",
        `Malformed transaction accessList: more than ${limits.accessListKeysMax} storage keys in total.`,
      );
    }
    out.push({
      address: readFixedBytes(address, "transaction accessList address", ADDRESS_BYTES),
      storageKeys: storageKeys.map((key) =>
        readFixedBytes(key, "transaction accessList storage key", HASH_BYTES),
      ),
    });
  }
  return out;
}

/** The unsigned fields in wire order, checked against the format. */
function unsignedFields(tx: UnsignedTx): Input[] {
  const nonce = writeUint(tx.nonce, "transaction nonce", UINT64_BYTES);
  const gasLimit = writeUint(tx.gasLimit, "transaction gasLimit", UINT64_BYTES);
  const to = tx.to === null ? EMPTY : writeFixedBytes(tx.to, "transaction to", ADDRESS_BYTES);
  const value = writeUint(tx.value, "transaction value", UINT256_BYTES);
  if (!(tx.data instanceof Uint8Array)) {
    throw new CodecError("invalid-value", "Cannot encode transaction data: it must be a Uint8Array.");
  }
  const chainId = writeUint(tx.chainId, "transaction chainId", UINT256_BYTES);
  switch (tx.type) {
    case TxType.legacy:
    case TxType.accessList: {
      if (tx.maxFeePerGas !== tx.gasPrice || tx.maxPriorityFeePerGas !== tx.gasPrice) {
        throw new CodecError(
          "invalid-value",
          `Cannot encode a type-${tx.type} transaction whose maxFeePerGas and maxPriorityFeePerGas differ from its ` +
            "gasPrice; set all three to the gas price.",
        );
      }
      const gasPrice = writeUint(tx.gasPrice, "transaction gasPrice", UINT256_BYTES);
      if (tx.type === TxType.legacy) {
        if (tx.accessList.length > 0) {
          throw new CodecError("invalid-value", "Cannot encode a legacy transaction with an access list.");
        }
        return [nonce, gasPrice, gasLimit, to, value, tx.data];
      }
      return [chainId, nonce, gasPrice, gasLimit, to, value, tx.data, accessListFields(tx.accessList)];
    }
    case TxType.feeMarket:
    case TxType.sm2: {
      if (tx.gasPrice !== tx.maxFeePerGas) {
        throw new CodecError(
          "invalid-value",
          `Cannot encode a type-${tx.type} transaction whose gasPrice differs from its maxFeePerGas; set gasPrice to it.`,
        );
      }
      if (tx.maxPriorityFeePerGas > tx.maxFeePerGas) {
        throw new CodecError(
          "invalid-value",
          `Cannot encode the transaction: ${TxDecodeMessage.tipAboveFeeCap}.`,
        );
      }
      const maxPriorityFeePerGas = writeUint(
        tx.maxPriorityFeePerGas,
        "transaction maxPriorityFeePerGas",
        UINT256_BYTES,
      );
      const maxFeePerGas = writeUint(tx.maxFeePerGas, "transaction maxFeePerGas", UINT256_BYTES);
      const accessList = accessListFields(tx.accessList);
      return [chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, tx.data, accessList];
    }
    default:
      throw new CodecError("invalid-value", `Cannot encode a transaction of type ${String(tx.type)}.`);
  }
}

function accessListFields(accessList: readonly AccessListItem[]): Input[] {
  return accessList.map((item) => [
    writeFixedBytes(item.address, "transaction accessList address", ADDRESS_BYTES),
    item.storageKeys.map((key) => writeFixedBytes(key, "transaction accessList storage key", HASH_BYTES)),
  ]);
}
