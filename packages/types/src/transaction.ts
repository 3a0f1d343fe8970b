/**
 * Transactions as Charter accepts them: EIP-2718 types 0 (legacy, EIP-155 only), 1 (EIP-2930) and 2 (EIP-1559),
 * signed with secp256k1 on an `ecdsa` chain, and type 0x53 (`sm2`: the EIP-1559 fields signed with SM2, carrying
 * the signer's public key) on an `sm` chain. Every field is normalised so that processing never branches on the
 * type for fees: a legacy or type-1 transaction has `maxFeePerGas = maxPriorityFeePerGas = gasPrice`.
 */
export const TxType = { legacy: 0, accessList: 1, feeMarket: 2, sm2: 0x53 } as const;
export type TxType = (typeof TxType)[keyof typeof TxType];

export interface AccessListItem {
  readonly address: Uint8Array;
  readonly storageKeys: readonly Uint8Array[];
}

export interface UnsignedTx {
  readonly type: TxType;
  readonly chainId: bigint;
  readonly nonce: bigint;
  /** For type 0 and 1 the declared gas price; for types 2 and 0x53 equal to `maxFeePerGas`. */
  readonly gasPrice: bigint;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly gasLimit: bigint;
  /** `null` for contract creation. */
  readonly to: Uint8Array | null;
  readonly value: bigint;
  readonly data: Uint8Array;
  readonly accessList: readonly AccessListItem[];
}

/** The signature fields of a transaction, as they are serialised. */
export interface TxSignature {
  /** 0 or 1; always 0 for type 0x53, whose signature recovers nothing. */
  readonly yParity: number;
  readonly r: bigint;
  readonly s: bigint;
  /**
   * Type 0x53 only: the signer's SM2 public key, 64 bytes `x ‖ y`. An SM2 signature cannot be recovered to a key
   * (its digest already depends on the key through Z_A), so the transaction names its signer and the signature is
   * verified against it.
   */
  readonly publicKey?: Uint8Array;
}

export interface SignedTx extends UnsignedTx, TxSignature {
  /** The `v` as it appears on the wire and in JSON-RPC: `chainId*2+35+yParity` for legacy, else `yParity`. */
  readonly v: bigint;
  /** The canonical EIP-2718 serialisation (what `eth_sendRawTransaction` takes). */
  readonly raw: Uint8Array;
  /** `suite.hash(raw)`. */
  readonly hash: Uint8Array;
  /** The digest the sender signed. */
  readonly signingHash: Uint8Array;
}

/** A transaction whose sender has been recovered and checked. */
export interface VerifiedTx extends SignedTx {
  readonly sender: Uint8Array;
}
