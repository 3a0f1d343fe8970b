import type { SignedTx, TxSignature, UnsignedTx } from "./transaction.js";

/** Legacy `v` under EIP-155: `chainId * 2 + 35 + yParity`. */
export function legacyV(chainId: bigint, yParity: number): bigint {
  return chainId * 2n + 35n + BigInt(yParity);
}

/**
 * Assembles a `SignedTx` from its parts, copying only the declared fields so that `signTx` and `decodeTx` build
 * objects of the same shape and no caller's extra properties leak into a transaction.
 */
export function signedTx(
  unsigned: UnsignedTx,
  signature: TxSignature,
  derived: {
    readonly v: bigint;
    readonly raw: Uint8Array;
    readonly hash: Uint8Array;
    readonly signingHash: Uint8Array;
  },
): SignedTx {
  return {
    type: unsigned.type,
    chainId: unsigned.chainId,
    nonce: unsigned.nonce,
    gasPrice: unsigned.gasPrice,
    maxFeePerGas: unsigned.maxFeePerGas,
    maxPriorityFeePerGas: unsigned.maxPriorityFeePerGas,
    gasLimit: unsigned.gasLimit,
    to: unsigned.to,
    value: unsigned.value,
    data: unsigned.data,
    accessList: unsigned.accessList,
    yParity: signature.yParity,
    r: signature.r,
    s: signature.s,
    ...(signature.publicKey === undefined ? {} : { publicKey: signature.publicKey }),
    v: derived.v,
    raw: derived.raw,
    hash: derived.hash,
    signingHash: derived.signingHash,
  };
}
