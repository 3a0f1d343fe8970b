import { TxType, type VerifiedTx } from "@charter/types";

/** Shape of a test transaction: only what the pool reads matters, the rest is filled with fixed values. */
export interface TestTxFields {
  /** A small number becomes a 20-byte address ending in it. */
  readonly sender: number;
  readonly nonce: bigint;
  readonly gasLimit?: bigint;
  /** Fee cap; `gasPrice` is set to it, as decoding normalises legacy transactions. */
  readonly fee?: bigint;
  readonly tip?: bigint;
  readonly value?: bigint;
  /** Encoded size in bytes. */
  readonly bytes?: number;
}

let counter = 0;

export function testAddress(n: number): Uint8Array {
  const out = new Uint8Array(20);
  new DataView(out.buffer).setUint32(16, n);
  return out;
}

/**
 * A `VerifiedTx` for pool tests. The pool never checks signatures or hashes, so the hash is a fresh counter:
 * two calls with the same fields give two different transactions, as two signings with different data would.
 */
export function testTx(fields: TestTxFields): VerifiedTx {
  counter++;
  const hash = new Uint8Array(32);
  new DataView(hash.buffer).setUint32(28, counter);
  hash[0] = 0xee;
  const fee = fields.fee ?? 0n;
  return {
    type: TxType.feeMarket,
    chainId: 1n,
    nonce: fields.nonce,
    gasPrice: fee,
    maxFeePerGas: fee,
    maxPriorityFeePerGas: fields.tip ?? fee,
    gasLimit: fields.gasLimit ?? 21_000n,
    to: testAddress(0xffff),
    value: fields.value ?? 0n,
    data: new Uint8Array(0),
    accessList: [],
    yParity: 0,
    r: 1n,
    s: 1n,
    v: 0n,
    raw: new Uint8Array(fields.bytes ?? 100),
    hash,
    signingHash: hash,
    sender: testAddress(fields.sender),
  };
}
