import { bytesToHex, hexToBytes } from "@charter/utils";
import type { Common, StateManagerInterface } from "@ethereumjs/common";
import type { EVMMockBlockchainInterface } from "@ethereumjs/evm";
import type { TypedTransaction } from "@ethereumjs/tx";
import { Address, createAccount } from "@ethereumjs/util";
import { createVM, type RunTxResult, runTx, type VM } from "@ethereumjs/vm";
import type { BlockEnv } from "../executor.js";
import type { TxOutcome } from "../processTransaction.js";
import type { MapState } from "./mapState.js";

/**
 * The reference side of the differential tests: @ethereumjs/vm's own `runTx` (Prague) on its default
 * `MerkleStateManager`, fed the same genesis and the same signed transactions as Charter's executor.
 */
export async function createReferenceVM(
  common: Common,
  blockHash: (height: number) => Uint8Array,
): Promise<VM> {
  const blockchain: EVMMockBlockchainInterface = {
    async getBlock(height: number) {
      return { hash: () => blockHash(height) };
    },
    async putBlock() {},
    shallowCopy() {
      return blockchain;
    },
  };
  return createVM({ common: common.copy(), blockchain });
}

/** Writes every account, code and slot of `state` into an ethereumjs state manager. */
export async function loadState(
  target: StateManagerInterface,
  state: MapState,
  extraBalance?: { address: string; amount: bigint },
): Promise<void> {
  let extraDone = extraBalance === undefined || extraBalance.amount === 0n;
  for (const [key, account] of state.accounts()) {
    const address = new Address(hexToBytes(key));
    let balance = account.balance;
    if (extraBalance !== undefined && key === extraBalance.address.toLowerCase()) {
      balance += extraBalance.amount;
      extraDone = true;
    }
    await target.putAccount(address, createAccount({ nonce: account.nonce, balance }));
    const code = state.getCode(account.codeHash);
    if (code.length > 0) await target.putCode(address, code);
    for (const [slot, value] of state.storageOf(key))
      await target.putStorage(address, hexToBytes(slot), value);
  }
  if (!extraDone && extraBalance !== undefined) {
    await target.putAccount(
      new Address(hexToBytes(extraBalance.address)),
      createAccount({ nonce: 0n, balance: extraBalance.amount }),
    );
  }
}

/**
 * The Merkle-Patricia state root of a `MapState`, computed by ethereumjs so that it can be compared with the
 * reference VM's: equal roots mean equal accounts, code and storage, with nothing extra on either side.
 * `extraBalance` credits one account first (the coinbase, which Ethereum pays and Charter does not).
 */
export async function stateRootOf(
  common: Common,
  state: MapState,
  extraBalance?: { address: string; amount: bigint },
): Promise<string> {
  const scratch = await createVM({ common: common.copy() });
  await loadState(scratch.stateManager, state, extraBalance);
  return bytesToHex(await scratch.stateManager.getStateRoot());
}

/** The block `runTx` sees: the same fields Charter's executor gives the EVM for `env`. */
export function referenceBlock(env: BlockEnv): never {
  return {
    header: {
      number: BigInt(env.height),
      coinbase: new Address(env.proposer),
      timestamp: BigInt(Math.floor(env.timestampMs / 1000)),
      difficulty: 0n,
      prevRandao: new Uint8Array(32),
      gasLimit: env.gasLimit,
      gasUsed: 0n,
      baseFeePerGas: 0n,
      getBlobGasPrice: () => 1n,
    },
  } as never;
}

export async function runReferenceTx(vm: VM, env: BlockEnv, tx: TypedTransaction): Promise<RunTxResult> {
  return runTx(vm, { tx, block: referenceBlock(env), skipHardForkValidation: true });
}

/** What the differential tests compare per transaction, as plain hex so that failures print readably. */
export interface Observed {
  readonly status: 0 | 1;
  readonly gasUsed: bigint;
  readonly logs: readonly { address: string; topics: string[]; data: string }[];
  readonly contractAddress: string | null;
  readonly returnData: string;
  readonly error: string | null;
}

export function observeCharter(outcome: TxOutcome): Observed {
  return {
    status: outcome.status,
    gasUsed: outcome.gasUsed,
    logs: outcome.logs.map((log) => ({
      address: bytesToHex(log.address),
      topics: log.topics.map(bytesToHex),
      data: bytesToHex(log.data),
    })),
    contractAddress: outcome.contractAddress === null ? null : bytesToHex(outcome.contractAddress),
    returnData: bytesToHex(outcome.returnData),
    error: outcome.error ?? null,
  };
}

export function observeReference(tx: TypedTransaction, result: RunTxResult): Observed {
  const failed = result.execResult.exceptionError !== undefined;
  return {
    status: failed ? 0 : 1,
    gasUsed: result.totalGasSpent,
    logs: (result.execResult.logs ?? []).map(([address, topics, data]) => ({
      address: bytesToHex(address),
      topics: topics.map(bytesToHex),
      data: bytesToHex(data),
    })),
    contractAddress:
      !failed && tx.to === undefined && result.createdAddress
        ? bytesToHex(result.createdAddress.bytes)
        : null,
    returnData: bytesToHex(result.execResult.returnValue),
    error: result.execResult.exceptionError?.error ?? null,
  };
}
