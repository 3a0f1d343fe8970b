/**
 * Fixed sizes of the wire formats. These are protocol rules, the same on every node; the `*Limits` objects below
 * are policy that a node may tighten.
 */
export const ADDRESS_BYTES = 20;
export const HASH_BYTES = 32;
export const BLOOM_BYTES = 256;
/** `Header.extraData` holds at most this many bytes, as in Ethereum. */
export const EXTRA_DATA_BYTES_MAX = 32;
/** LOG0 to LOG4: a log has at most four topics. */
export const LOG_TOPICS_MAX = 4;

/** Bounds that `decodeTx` enforces on untrusted transactions. */
export interface TxLimits {
  /** Largest serialised transaction, checked before any decoding (geth's txpool uses the same 128 KiB). */
  readonly txBytesMax: number;
  /** Most entries (addresses) in an access list. */
  readonly accessListAddressesMax: number;
  /** Most storage keys summed over all access list entries. */
  readonly accessListKeysMax: number;
}

export const TX_LIMITS_DEFAULT: TxLimits = Object.freeze({
  txBytesMax: 128 * 1024,
  accessListAddressesMax: 1024,
  accessListKeysMax: 2048,
});

/** Bounds that `decodeHeader` enforces. */
export interface HeaderLimits {
  /** Largest encoded header, checked before any decoding. */
  readonly headerBytesMax: number;
  /** Most signatures in the header's `lastCommit` (one per validator). */
  readonly commitSignaturesMax: number;
  /** Longest single commit signature; suites define the exact length, this only bounds the allocation. */
  readonly commitSignatureBytesMax: number;
}

export const HEADER_LIMITS_DEFAULT: HeaderLimits = Object.freeze({
  headerBytesMax: 256 * 1024,
  commitSignaturesMax: 1024,
  commitSignatureBytesMax: 128,
});

/** Bounds that `decodeBlock` enforces. */
export interface BlockLimits {
  /** Largest encoded block, checked before any decoding. */
  readonly blockBytesMax: number;
  /** Most transactions in one block. */
  readonly txCountMax: number;
  readonly header: HeaderLimits;
  readonly tx: TxLimits;
}

export const BLOCK_LIMITS_DEFAULT: BlockLimits = Object.freeze({
  blockBytesMax: 16 * 1024 * 1024,
  txCountMax: 20_000,
  header: HEADER_LIMITS_DEFAULT,
  tx: TX_LIMITS_DEFAULT,
});

/** Bounds that `decodeReceipt` enforces. */
export interface ReceiptLimits {
  /** Largest encoded receipt, checked before any decoding. */
  readonly receiptBytesMax: number;
  /** Most logs in one receipt. */
  readonly logsMax: number;
}

export const RECEIPT_LIMITS_DEFAULT: ReceiptLimits = Object.freeze({
  receiptBytesMax: 32 * 1024 * 1024,
  logsMax: 262_144,
});
