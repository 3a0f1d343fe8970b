import { keccak256 } from "@charter/crypto";
import type { VerifiedTx } from "@charter/types";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@charter/utils";
import { type Abi, encodeDeployData, encodeFunctionData } from "viem";
import { type BlockEnv, type BlockExecution, Executor } from "../executor.js";
import { type GenesisAccount, genesisStateDiff } from "../genesisState.js";
import { artifact } from "./contracts.js";
import { MapState } from "./mapState.js";
import {
  CHAIN_ID,
  createTestCommon,
  signTestTx,
  type TestAccount,
  type TxFields,
  testAccount,
  toVerifiedTx,
} from "./txs.js";

export const ETHER = 10n ** 18n;
export const TOKEN_SUPPLY = 10n ** 24n;

export function encodeCall(abi: Abi, functionName: string, args: readonly unknown[] = []): Uint8Array {
  return hexToBytes(encodeFunctionData({ abi, functionName, args }));
}

export function encodeDeploy(abi: Abi, bytecode: Uint8Array, args: readonly unknown[] = []): Uint8Array {
  return hexToBytes(encodeDeployData({ abi, bytecode: bytesToHex(bytecode) as `0x${string}`, args }));
}

export function blockHashOf(height: number): Uint8Array {
  return keccak256(utf8ToBytes(`block ${height}`));
}

/**
 * A small chain for executor tests: funded accounts, a deployed ERC-20 (whole supply with `alice`) and a `Probe`,
 * over a `MapState` that each block's diff is applied to. Transactions are signed with @ethereumjs/tx.
 */
export class TestChain {
  readonly common = createTestCommon();
  readonly executor = new Executor({ chainId: CHAIN_ID, blockHash: async (height) => blockHashOf(height) });
  readonly proposer = testAccount("proposer").address;
  readonly alice = testAccount("alice");
  readonly bob = testAccount("bob");
  readonly carol = testAccount("carol");
  readonly poor = testAccount("poor");
  readonly token = artifact("Token.prague");
  readonly probe = artifact("Probe.cancun");
  state: MapState;
  height = 0;
  tokenAddress: Uint8Array = new Uint8Array(20);
  probeAddress: Uint8Array = new Uint8Array(20);
  readonly #nonces = new Map<string, bigint>();

  private constructor(extra: ReadonlyMap<string, GenesisAccount>) {
    const alloc = new Map<string, GenesisAccount>([
      [this.alice.hex, { balance: 1_000_000n * ETHER }],
      [this.bob.hex, { balance: 1_000_000n * ETHER }],
      [this.carol.hex, { balance: 1_000_000n * ETHER }],
      [this.poor.hex, { balance: 1_000n }],
      ...extra,
    ]);
    this.state = MapState.fromDiff(genesisStateDiff(alloc));
  }

  static async create(extra: ReadonlyMap<string, GenesisAccount> = new Map()): Promise<TestChain> {
    const chain = new TestChain(extra);
    const deployed = await chain.commit([
      chain.tx(chain.alice, {
        data: encodeDeploy(chain.token.abi, chain.token.bytecode, [TOKEN_SUPPLY]),
        gasLimit: 3_000_000n,
      }),
      chain.tx(chain.alice, { data: chain.probe.bytecode, gasLimit: 3_000_000n }),
    ]);
    chain.tokenAddress = deployed.receipts[0]!.contractAddress!;
    chain.probeAddress = deployed.receipts[1]!.contractAddress!;
    return chain;
  }

  env(overrides: Partial<BlockEnv> = {}): BlockEnv {
    const height = overrides.height ?? this.height + 1;
    return {
      height,
      timestampMs: 1_700_000_000_000 + height * 1_000,
      proposer: this.proposer,
      gasLimit: 30_000_000n,
      ...overrides,
    };
  }

  nonce(account: TestAccount): bigint {
    return this.#nonces.get(account.hex) ?? 0n;
  }

  /** Signs a transaction at the sender's next nonce (unless `nonce` is given) and advances that nonce. */
  tx(from: TestAccount, fields: Omit<TxFields, "nonce"> & { nonce?: bigint }): VerifiedTx {
    const nonce = fields.nonce ?? this.nonce(from);
    this.#nonces.set(from.hex, nonce + 1n);
    return toVerifiedTx(signTestTx(this.common, from, { ...fields, nonce }));
  }

  /** Signs a transaction without advancing the sender's nonce, for blocks that will not be committed. */
  peekTx(from: TestAccount, fields: Omit<TxFields, "nonce"> & { nonce?: bigint }): VerifiedTx {
    return toVerifiedTx(
      signTestTx(this.common, from, { ...fields, nonce: fields.nonce ?? this.nonce(from) }),
    );
  }

  /** Validates a block of transactions on the current state and commits its diff. */
  async commit(transactions: readonly VerifiedTx[], env: BlockEnv = this.env()): Promise<BlockExecution> {
    const execution = await this.executor.executeBlock({
      base: this.state,
      env,
      transactions,
      mode: "validate",
    });
    this.state.apply(execution.diff);
    this.height = env.height;
    return execution;
  }

  tokenBalance(holder: Uint8Array): bigint {
    // OpenZeppelin's ERC-20 keeps `_balances` in slot 0.
    const slot = keccak256(new Uint8Array([...new Uint8Array(12), ...holder, ...new Uint8Array(32)]));
    return BigInt(bytesToHex(this.state.getStorage(this.tokenAddress, slot)));
  }
}
