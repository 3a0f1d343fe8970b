/**
 * A minimal in-memory chain for the system contracts' tests: the genesis state from `bootstrapSystemContracts`,
 * blocks of signed transactions run by the project's `Executor` (Prague EVM) and committed into a `StateDB` over
 * an in-memory store. (The chain package has the end-to-end test with `Chain` itself: it depends on this package,
 * so this package's tests cannot import it.)
 */
import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { type CallOutcome, Executor, genesisStateDiff } from "@charter/execution";
import { createMemoryKv, type KvStore } from "@charter/kv";
import { StateDB } from "@charter/state";
import { type Log, signTx, TxType, type VerifiedTx } from "@charter/types";
import { bytesToHex, hexToBytes } from "@charter/utils";
import {
  type Abi,
  decodeErrorResult,
  decodeEventLog,
  decodeFunctionResult,
  encodeFunctionData,
  type Hex,
} from "viem";
import {
  accountStatusArtifact,
  bootstrapSystemContracts,
  chainParamsArtifact,
  committeeArtifact,
  defaultGovernanceGenesis,
  type GovernanceGenesis,
  nodeRegistryArtifact,
  orgRegistryArtifact,
  permissionsArtifact,
  SYSTEM_ADDRESSES,
  type SystemContractName,
} from "../src/index.js";

export const suite = createEcdsaSuite();
export const CHAIN_ID = 7345n;
const GENESIS_MS = 1_700_000_000_000;

export const ABIS: Record<SystemContractName, Abi> = {
  NodeRegistry: nodeRegistryArtifact.abi as unknown as Abi,
  OrgRegistry: orgRegistryArtifact.abi as unknown as Abi,
  Committee: committeeArtifact.abi as unknown as Abi,
  Permissions: permissionsArtifact.abi as unknown as Abi,
  AccountStatus: accountStatusArtifact.abi as unknown as Abi,
  ChainParams: chainParamsArtifact.abi as unknown as Abi,
};

/** The system contracts' addresses as lower-case hex (how viem's decoded events give addresses, after lowering). */
export const SYSTEM_ADDRESSES_HEX = Object.fromEntries(
  Object.entries(SYSTEM_ADDRESSES).map(([name, address]) => [name, bytesToHex(address)]),
) as Record<SystemContractName, Hex>;

export interface Account {
  readonly key: Uint8Array;
  readonly address: Uint8Array;
  readonly hex: Hex;
  readonly publicKey: Uint8Array;
}

export function account(seed: number): Account {
  const key = keccak256(new Uint8Array([seed, 42]));
  const publicKey = suite.publicKeyFromPrivateKey(key);
  const address = suite.addressFromPublicKey(publicKey);
  return { key, address, hex: bytesToHex(address) as Hex, publicKey };
}

/** A decoded event: the emitting contract's name, the event's name and its arguments. */
export interface Event {
  readonly contract: SystemContractName | "other";
  readonly name: string;
  readonly args: Record<string, unknown>;
}

export interface TxResult {
  readonly status: 0 | 1;
  readonly logs: readonly Log[];
  readonly events: readonly Event[];
  readonly returnData: Uint8Array;
  readonly gasUsed: bigint;
  readonly contractAddress: Uint8Array | null;
  /** The custom error of a revert, decoded against every system contract's ABI. */
  readonly error?: { readonly name: string; readonly args: readonly unknown[] };
}

/** Lower-cases the checksummed addresses viem decodes, so they compare with `bytesToHex` output. */
function lowerAddresses(value: unknown): unknown {
  if (typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value)) return value.toLowerCase();
  if (Array.isArray(value)) return value.map(lowerAddresses);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lowerAddresses(v)]));
  return value;
}

export function decodeEvents(logs: readonly Log[]): Event[] {
  return logs.map((log) => {
    const entry = Object.entries(SYSTEM_ADDRESSES).find(([, a]) => bytesToHex(a) === bytesToHex(log.address));
    if (!entry) return { contract: "other", name: "?", args: {} };
    const name = entry[0] as SystemContractName;
    const decoded = decodeEventLog({
      abi: ABIS[name],
      topics: log.topics.map((t) => bytesToHex(t)) as [Hex, ...Hex[]],
      data: bytesToHex(log.data) as Hex,
    });
    return {
      contract: name,
      name: String(decoded.eventName),
      args: lowerAddresses(decoded.args ?? {}) as Record<string, unknown>,
    };
  });
}

export function decodeError(data: Uint8Array): { name: string; args: readonly unknown[] } | undefined {
  if (data.length < 4) return undefined;
  for (const abi of Object.values(ABIS)) {
    try {
      const decoded = decodeErrorResult({ abi, data: bytesToHex(data) as Hex });
      return { name: decoded.errorName, args: lowerAddresses(decoded.args ?? []) as readonly unknown[] };
    } catch {
      // Not this contract's error.
    }
  }
  return undefined;
}

/** `encodeFunctionData` for a system contract. */
export function encode(
  contract: SystemContractName,
  functionName: string,
  args: readonly unknown[] = [],
): Uint8Array {
  return hexToBytes(encodeFunctionData({ abi: ABIS[contract], functionName, args } as never));
}

export class GovChain {
  readonly state: StateDB;
  readonly executor: Executor;
  #height = 0;
  #timestampMs = GENESIS_MS;
  readonly #nonces = new Map<string, bigint>();
  readonly #kv: KvStore;

  private constructor(kv: KvStore, executor: Executor) {
    this.#kv = kv;
    this.state = new StateDB({ kv, hash: suite.hash, codeHash: keccak256 });
    this.executor = executor;
  }

  /**
   * A chain whose genesis has `validators` (all in the default organizations unless `governance` says otherwise)
   * and funded `accounts`.
   */
  static async create(options: {
    readonly validators: readonly Account[];
    readonly governance?: GovernanceGenesis;
    readonly funded?: readonly Account[];
  }): Promise<GovChain> {
    const executor = new Executor({ chainId: CHAIN_ID, blockHash: async () => undefined });
    const system = await bootstrapSystemContracts(executor, {
      governance: options.governance ?? defaultGovernanceGenesis(options.validators),
      validators: options.validators.map((v) => ({ address: v.address, publicKey: v.publicKey, weight: 1 })),
      timestampMs: GENESIS_MS,
      blockIntervalMs: 1000,
      gasLimit: 100_000_000n,
      keccakAddresses: true,
    });
    const alloc = new Map(system);
    for (const a of options.funded ?? []) alloc.set(bytesToHex(a.address), { balance: 10n ** 21n });
    const chain = new GovChain(createMemoryKv(), executor);
    await chain.#commitDiff(genesisStateDiff(alloc));
    return chain;
  }

  get height(): number {
    return this.#height;
  }

  /** Reads a storage word of the latest state. */
  read = (address: Uint8Array, slot: Uint8Array): Uint8Array => this.state.latest().getStorage(address, slot);

  async #commitDiff(diff: Parameters<StateDB["commit"]>[0]): Promise<void> {
    const prepared = await this.state.commit(diff);
    await this.#kv.write(prepared.ops);
    this.state.applyCommitted(prepared);
  }

  #tx(from: Account, to: Uint8Array | null, data: Uint8Array, gasLimit: bigint): VerifiedTx {
    const key = bytesToHex(from.address);
    const nonce = this.#nonces.get(key) ?? 0n;
    this.#nonces.set(key, nonce + 1n);
    const tx = signTx(
      {
        type: TxType.feeMarket,
        chainId: CHAIN_ID,
        nonce,
        gasPrice: 0n,
        maxFeePerGas: 0n,
        maxPriorityFeePerGas: 0n,
        gasLimit,
        to,
        value: 0n,
        data,
        accessList: [],
      },
      from.key,
      suite,
    );
    return { ...tx, sender: from.address };
  }

  /** Executes one block holding the given transactions and commits it. */
  async block(txs: readonly VerifiedTx[] = []): Promise<TxResult[]> {
    this.#height += 1;
    this.#timestampMs += 1000;
    const execution = await this.executor.executeBlock({
      base: this.state.latest(),
      env: {
        height: this.#height,
        timestampMs: this.#timestampMs,
        proposer: new Uint8Array(20),
        gasLimit: 100_000_000n,
      },
      transactions: txs,
      mode: "validate",
    });
    await this.#commitDiff(execution.diff);
    return execution.outcomes.map((o) => {
      const error = o.status === 0 ? decodeError(o.returnData) : undefined;
      return {
        status: o.status,
        logs: o.logs,
        events: decodeEvents(o.logs),
        returnData: o.returnData,
        gasUsed: o.gasUsed,
        contractAddress: o.contractAddress,
        ...(error ? { error } : {}),
      };
    });
  }

  /** Sends one transaction in a block of its own. */
  async send(
    from: Account,
    to: Uint8Array | null,
    data: Uint8Array,
    gasLimit = 5_000_000n,
  ): Promise<TxResult> {
    const [result] = await this.block([this.#tx(from, to, data, gasLimit)]);
    return result!;
  }

  /** Calls `functionName` on a system contract from `from`. */
  async transact(
    from: Account,
    contract: SystemContractName,
    functionName: string,
    args: readonly unknown[] = [],
  ): Promise<TxResult> {
    return this.send(from, SYSTEM_ADDRESSES[contract], encode(contract, functionName, args));
  }

  /** Advances the chain by `count` empty blocks. */
  async mine(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await this.block();
  }

  async call(to: Uint8Array, data: Uint8Array, from?: Uint8Array): Promise<CallOutcome> {
    return this.executor.call({
      base: this.state.latest(),
      env: {
        height: this.#height + 1,
        timestampMs: this.#timestampMs + 1000,
        proposer: new Uint8Array(20),
        gasLimit: 100_000_000n,
      },
      request: { to, data, ...(from ? { from } : {}) },
    });
  }

  /** `eth_call` of a system contract's view, decoded. */
  async view<T = unknown>(
    contract: SystemContractName,
    functionName: string,
    args: readonly unknown[] = [],
  ): Promise<T> {
    const outcome = await this.call(SYSTEM_ADDRESSES[contract], encode(contract, functionName, args));
    if (outcome.kind !== "success") throw new Error(`${contract}.${functionName} failed: ${outcome.kind}`);
    return lowerAddresses(
      decodeFunctionResult({
        abi: ABIS[contract],
        functionName,
        data: bytesToHex(outcome.returnData) as Hex,
      } as never),
    ) as T;
  }
}

/** Proposes a call to a system contract; returns the proposal's id and the transaction. */
export async function propose(
  chain: GovChain,
  member: Account,
  contract: SystemContractName,
  functionName: string,
  args: readonly unknown[] = [],
  options: { readonly votingBlocks?: bigint; readonly description?: string } = {},
): Promise<{ readonly id: bigint; readonly result: TxResult }> {
  const result = await chain.transact(member, "Committee", "propose", [
    bytesToHex(SYSTEM_ADDRESSES[contract]),
    bytesToHex(encode(contract, functionName, args)),
    options.description ?? `${contract}.${functionName}`,
    options.votingBlocks ?? 100n,
  ]);
  const created = result.events.find((e) => e.name === "ProposalCreated");
  return { id: (created?.args.id as bigint | undefined) ?? 0n, result };
}

/** Proposes a call and has `members` vote for it, in order, until it executes; returns the executing vote. */
export async function enact(
  chain: GovChain,
  members: readonly Account[],
  contract: SystemContractName,
  functionName: string,
  args: readonly unknown[] = [],
): Promise<TxResult> {
  const { id, result } = await propose(chain, members[0]!, contract, functionName, args);
  if (result.status !== 1) throw new Error(`propose failed: ${JSON.stringify(result.error)}`);
  for (const member of members) {
    const vote = await chain.transact(member, "Committee", "vote", [id, true]);
    if (vote.status !== 1)
      throw new Error(
        `the vote on ${contract}.${functionName} failed: ${JSON.stringify(vote.error, bigintJSON)}`,
      );
    if (vote.events.some((e) => e.name === "ProposalExecuted")) return vote;
  }
  throw new Error(`${contract}.${functionName} did not pass with these members' votes`);
}

export function bigintJSON(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
