import type { AccessListItem, Log, VerifiedTx } from "@charter/types";
import { bytesToHex, equalBytes } from "@charter/utils";
import type { EVM, EVMResult } from "@ethereumjs/evm";
import { Address, createAddressFromString, KECCAK256_NULL } from "@ethereumjs/util";
import { ExecutionError } from "./errors.js";
import { GAS, INIT_CODE_BYTES_MAX } from "./params.js";
import type { StateOverlay } from "./stateOverlay.js";

/** The EVM's view of the block being executed (`block` option of `evm.runCall`). */
export interface EVMBlock {
  readonly header: {
    readonly number: bigint;
    readonly coinbase: Address;
    readonly timestamp: bigint;
    readonly difficulty: bigint;
    readonly prevRandao: Uint8Array;
    readonly gasLimit: bigint;
    readonly baseFeePerGas: bigint;
    getBlobGasPrice(): bigint;
  };
}

export interface TxOutcome {
  readonly status: 0 | 1;
  /** Gas charged to the transaction after refunds and the EIP-7623 floor. */
  readonly gasUsed: bigint;
  readonly logs: readonly Log[];
  readonly contractAddress: Uint8Array | null;
  readonly returnData: Uint8Array;
  /** Present when the EVM stopped with an exception; `"revert"` for REVERT. */
  readonly error?: string;
}

export interface IntrinsicGas {
  /** Gas charged before execution starts. */
  readonly intrinsic: bigint;
  /** EIP-7623 floor: the least a transaction pays whatever it does. */
  readonly floor: bigint;
}

/** Intrinsic gas and calldata floor of a transaction (Prague rules). */
export function intrinsicGas(tx: {
  readonly to: Uint8Array | null;
  readonly data: Uint8Array;
  readonly accessList: readonly AccessListItem[];
}): IntrinsicGas {
  let zeros = 0n;
  let nonZeros = 0n;
  for (const byte of tx.data) {
    if (byte === 0) zeros++;
    else nonZeros++;
  }
  let intrinsic = GAS.txBase + zeros * GAS.txDataZero + nonZeros * GAS.txDataNonZero;
  if (tx.to === null) {
    intrinsic += GAS.txCreate + GAS.initCodeWord * BigInt(Math.ceil(tx.data.length / 32));
  }
  for (const item of tx.accessList) {
    intrinsic += GAS.accessListAddress + GAS.accessListStorageKey * BigInt(item.storageKeys.length);
  }
  const tokens = zeros + nonZeros * 4n;
  return { intrinsic, floor: GAS.txBase + tokens * GAS.floorPerToken };
}

/** Price actually paid per gas with a zero base fee: min(fee cap, tip). */
export function effectiveGasPrice(tx: {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}): bigint {
  return tx.maxPriorityFeePerGas < tx.maxFeePerGas ? tx.maxPriorityFeePerGas : tx.maxFeePerGas;
}

export interface ProcessContext {
  readonly evm: EVM;
  readonly state: StateOverlay;
  readonly block: EVMBlock;
  /** Gas still available in the block. */
  readonly blockGasRemaining: bigint;
}

/**
 * Applies one transaction to the overlay with Ethereum's Prague semantics, except that fees are burned rather
 * than paid to the proposer (Charter has no block reward; with the usual zero price nothing moves at all).
 *
 * Throws `ExecutionError` when the transaction is not valid in this position (wrong nonce, unaffordable,
 * too little gas for its intrinsic cost, larger than the gas left in the block, sender with code): such a
 * transaction must not be in a block, and a block containing one is invalid. Everything the EVM itself does
 * (including reverts and out-of-gas) is a valid, included transaction with status 0.
 */
export async function processTransaction(ctx: ProcessContext, tx: VerifiedTx): Promise<TxOutcome> {
  const { evm, state } = ctx;
  const { intrinsic, floor } = intrinsicGas(tx);
  const gasRequired = intrinsic > floor ? intrinsic : floor;
  if (tx.gasLimit < gasRequired) {
    throw new ExecutionError(
      "intrinsic-gas",
      `intrinsic gas too low: have ${tx.gasLimit}, want ${gasRequired}`,
    );
  }
  if (tx.gasLimit > ctx.blockGasRemaining) {
    throw new ExecutionError(
      "block-gas",
      `exceeds block gas limit: transaction gas ${tx.gasLimit}, gas left in block ${ctx.blockGasRemaining}`,
    );
  }
  if (tx.to === null && tx.data.length > INIT_CODE_BYTES_MAX) {
    throw new ExecutionError(
      "init-code-size",
      `max initcode size exceeded: code size ${tx.data.length}, limit ${INIT_CODE_BYTES_MAX}`,
    );
  }
  const sender = state.readAccount(tx.sender) ?? { nonce: 0n, balance: 0n, codeHash: KECCAK256_NULL };
  if (sender.nonce !== tx.nonce) {
    throw new ExecutionError(
      tx.nonce < sender.nonce ? "nonce-too-low" : "nonce-too-high",
      `${tx.nonce < sender.nonce ? "nonce too low" : "nonce too high"}: address ${bytesToHex(tx.sender)}, tx: ${tx.nonce} state: ${sender.nonce}`,
    );
  }
  if (sender.nonce >= 2n ** 64n - 1n) {
    throw new ExecutionError("nonce-max", "nonce has max value");
  }
  if (!equalBytes(sender.codeHash, KECCAK256_NULL)) {
    // EIP-3607: an address with code cannot originate transactions.
    throw new ExecutionError("sender-not-eoa", `sender not an eoa: address ${bytesToHex(tx.sender)}`);
  }
  const price = effectiveGasPrice(tx);
  const upfront = tx.gasLimit * tx.maxFeePerGas + tx.value;
  if (sender.balance < upfront) {
    throw new ExecutionError(
      "insufficient-funds",
      `insufficient funds for gas * price + value: address ${bytesToHex(tx.sender)} have ${sender.balance} want ${upfront}`,
    );
  }

  // Transaction-scoped EVM bookkeeping: warm sets (EIP-2929/2930/3651) and original storage values (EIP-2200).
  await evm.journal.cleanup();
  state.originalStorageCache.clear();
  const caller = new Address(tx.sender);
  for (const precompile of evm.precompiles.keys()) evm.journal.addAlwaysWarmAddress(precompile);
  evm.journal.addAlwaysWarmAddress(caller.toString());
  if (tx.to !== null) evm.journal.addAlwaysWarmAddress(bytesToHex(tx.to));
  evm.journal.addAlwaysWarmAddress(ctx.block.header.coinbase.toString());
  for (const item of tx.accessList) {
    const address = bytesToHex(item.address);
    evm.journal.addAlwaysWarmAddress(address);
    for (const key of item.storageKeys) evm.journal.addAlwaysWarmSlot(address, bytesToHex(key).slice(2));
  }

  // Buy the gas and bump the nonce outside the execution checkpoint: a failed execution keeps both.
  state.writeAccount(tx.sender, {
    nonce: sender.nonce + 1n,
    balance: sender.balance - tx.gasLimit * price,
    codeHash: sender.codeHash,
  });

  await evm.journal.checkpoint();
  let result: EVMResult;
  try {
    result = await evm.runCall({
      block: ctx.block as never,
      gasPrice: price,
      origin: caller,
      caller,
      gasLimit: tx.gasLimit - intrinsic,
      ...(tx.to === null ? {} : { to: new Address(tx.to) }),
      value: tx.value,
      data: tx.data,
      skipNonceIncrement: true,
    });
  } catch (error) {
    await evm.journal.revert();
    throw error;
  }
  await evm.journal.commit();

  const exec = result.execResult;
  let gasUsed = intrinsic + exec.executionGasUsed;
  const refund = exec.gasRefund ?? 0n;
  if (refund > 0n) {
    const maxRefund = gasUsed / GAS.refundQuotient;
    gasUsed -= refund < maxRefund ? refund : maxRefund;
  }
  if (gasUsed < floor) gasUsed = floor;

  // Return the unused gas; what was used is burned.
  const after = state.readAccount(tx.sender);
  if (after !== undefined && price > 0n) {
    state.writeAccount(tx.sender, { ...after, balance: after.balance + (tx.gasLimit - gasUsed) * price });
  }

  // EIP-6780: SELFDESTRUCT deletes an account only when it was created in the same transaction.
  if (exec.selfdestruct !== undefined && exec.exceptionError === undefined) {
    for (const address of [...exec.selfdestruct.keys()].sort()) {
      if (exec.createdAddresses?.has(address)) await state.deleteAccount(createAddressFromString(address));
    }
  }
  // EIP-161: touched accounts that ended empty are removed.
  await evm.journal.cleanup();

  const failed = exec.exceptionError !== undefined;
  const logs: Log[] = failed
    ? []
    : (exec.logs ?? []).map(([address, topics, data]) => ({ address, topics, data }));
  return {
    status: failed ? 0 : 1,
    gasUsed,
    logs,
    contractAddress: !failed && tx.to === null && result.createdAddress ? result.createdAddress.bytes : null,
    returnData: exec.returnValue,
    ...(failed ? { error: exec.exceptionError!.error } : {}),
  };
}
