import { keccak256 } from "@charter/crypto";
import type { AccessListItem, TxType, VerifiedTx } from "@charter/types";
import { bigintToFixedBytes, bytesToHex, concatBytes, utf8ToBytes } from "@charter/utils";
import { type Common, createCustomCommon, Hardfork, Mainnet } from "@ethereumjs/common";
import {
  type AccessListBytes,
  createAccessList2930Tx,
  createFeeMarket1559Tx,
  createLegacyTx,
  type TypedTransaction,
} from "@ethereumjs/tx";
import { privateToAddress } from "@ethereumjs/util";

export const CHAIN_ID = 7_357n;

/** The Common both Charter (inside `Executor`) and the reference VM run with: Prague on the test chain. */
export function createTestCommon(): Common {
  return createCustomCommon({ chainId: Number(CHAIN_ID), name: "charter" }, Mainnet, {
    hardfork: Hardfork.Prague,
  });
}

export interface TestAccount {
  readonly privateKey: Uint8Array;
  readonly address: Uint8Array;
  readonly hex: string;
}

/** A deterministic key pair; `label` keeps the accounts of different tests apart. */
export function testAccount(label: string): TestAccount {
  const privateKey = keccak256(utf8ToBytes(`charter execution test key: ${label}`));
  const address = privateToAddress(privateKey);
  return { privateKey, address, hex: bytesToHex(address) };
}

export interface TxFields {
  readonly type?: TxType;
  readonly nonce: bigint;
  readonly to?: Uint8Array | null;
  readonly value?: bigint;
  readonly data?: Uint8Array;
  readonly gasLimit: bigint;
  /** Type 0 and 1. */
  readonly gasPrice?: bigint;
  /** Type 2. */
  readonly maxFeePerGas?: bigint;
  readonly maxPriorityFeePerGas?: bigint;
  readonly accessList?: readonly AccessListItem[];
}

/** Builds and signs a transaction with @ethereumjs/tx, the reference implementation. */
export function signTestTx(common: Common, from: TestAccount, fields: TxFields): TypedTransaction {
  const base = {
    nonce: fields.nonce,
    gasLimit: fields.gasLimit,
    value: fields.value ?? 0n,
    data: fields.data ?? new Uint8Array(0),
    ...(fields.to ? { to: fields.to } : {}),
  };
  const accessList: AccessListBytes = (fields.accessList ?? []).map((item) => [
    item.address,
    [...item.storageKeys],
  ]);
  const type = fields.type ?? 2;
  const opts = { common };
  if (type === 0)
    return createLegacyTx({ ...base, gasPrice: fields.gasPrice ?? 0n }, opts).sign(from.privateKey);
  if (type === 1) {
    return createAccessList2930Tx(
      { ...base, gasPrice: fields.gasPrice ?? 0n, accessList, chainId: CHAIN_ID },
      opts,
    ).sign(from.privateKey);
  }
  return createFeeMarket1559Tx(
    {
      ...base,
      maxFeePerGas: fields.maxFeePerGas ?? 0n,
      maxPriorityFeePerGas: fields.maxPriorityFeePerGas ?? 0n,
      accessList,
      chainId: CHAIN_ID,
    },
    opts,
  ).sign(from.privateKey);
}

/** The same transaction as Charter receives it after decoding and sender recovery. */
export function toVerifiedTx(tx: TypedTransaction): VerifiedTx {
  const type = tx.type as TxType;
  const v = tx.v;
  const r = tx.r;
  const s = tx.s;
  if (v === undefined || r === undefined || s === undefined) throw new Error("the transaction is not signed");
  const fees =
    "maxFeePerGas" in tx
      ? {
          gasPrice: tx.maxFeePerGas,
          maxFeePerGas: tx.maxFeePerGas,
          maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
        }
      : { gasPrice: tx.gasPrice, maxFeePerGas: tx.gasPrice, maxPriorityFeePerGas: tx.gasPrice };
  const accessList: AccessListItem[] =
    "accessList" in tx ? tx.accessList.map(([address, storageKeys]) => ({ address, storageKeys })) : [];
  return {
    type,
    chainId: tx.common.chainId(),
    nonce: tx.nonce,
    ...fees,
    gasLimit: tx.gasLimit,
    to: tx.to?.bytes ?? null,
    value: tx.value,
    data: tx.data,
    accessList,
    yParity: type === 0 ? Number(v - CHAIN_ID * 2n - 35n) : Number(v),
    r,
    s,
    v,
    raw: tx.serialize(),
    hash: tx.hash(),
    signingHash: tx.getHashedMessageToSign(),
    sender: tx.getSenderAddress().bytes,
  };
}

/**
 * A `VerifiedTx` without a real signature, for tests and benchmarks that only execute: execution trusts the
 * `sender` it is given (recovery happened before), and never reads the signature, `raw` or the hashes. The hash is
 * still unique per (sender, nonce) so that tools keying on it behave.
 */
export function unsignedTestTx(sender: Uint8Array, fields: TxFields): VerifiedTx {
  const price = fields.gasPrice ?? 0n;
  const fees =
    (fields.type ?? 2) === 2
      ? {
          gasPrice: fields.maxFeePerGas ?? 0n,
          maxFeePerGas: fields.maxFeePerGas ?? 0n,
          maxPriorityFeePerGas: fields.maxPriorityFeePerGas ?? 0n,
        }
      : { gasPrice: price, maxFeePerGas: price, maxPriorityFeePerGas: price };
  const hash = keccak256(concatBytes(sender, bigintToFixedBytes(fields.nonce, 8)));
  return {
    type: fields.type ?? 2,
    chainId: CHAIN_ID,
    nonce: fields.nonce,
    ...fees,
    gasLimit: fields.gasLimit,
    to: fields.to ?? null,
    value: fields.value ?? 0n,
    data: fields.data ?? new Uint8Array(0),
    accessList: fields.accessList ?? [],
    yParity: 0,
    r: 0n,
    s: 0n,
    v: 0n,
    raw: new Uint8Array(0),
    hash,
    signingHash: hash,
    sender,
  };
}
