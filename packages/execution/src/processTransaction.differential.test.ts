/**
 * Differential test: Charter's transaction processor against @ethereumjs/vm's `runTx` (Prague), the reference
 * implementation of the same rules. Both start from the same genesis and run the same signed transactions, block
 * after block; per transaction they must agree on status, receipt gas, logs, created address, return data and
 * EVM error, and after every block on the whole state (compared through the Merkle state root, which covers every
 * account, code and slot on both sides). The one intended difference, that Charter burns fees instead of paying
 * the coinbase, is checked exactly in the priced block.
 *
 * The stages share one chain and run in order.
 */
import { keccak256 } from "@charter/crypto";
import type { VerifiedTx } from "@charter/types";
import { bigintToFixedBytes, bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@charter/utils";
import type { TypedTransaction } from "@ethereumjs/tx";
import { Address } from "@ethereumjs/util";
import type { RunTxResult, VM } from "@ethereumjs/vm";
import { encodeErrorResult, getCreate2Address, getCreateAddress, parseAbi } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { ExecutionError } from "./errors.js";
import { type BlockEnv, Executor } from "./executor.js";
import { type GenesisAccount, genesisStateDiff } from "./genesisState.js";
import { INIT_CODE_BYTES_MAX } from "./params.js";
import type { TxOutcome } from "./processTransaction.js";
import { artifact } from "./testdata/contracts.js";
import { MapState } from "./testdata/mapState.js";
import {
  createReferenceVM,
  loadState,
  observeCharter,
  observeReference,
  runReferenceTx,
  stateRootOf,
} from "./testdata/reference.js";
import { encodeCall, encodeDeploy } from "./testdata/testChain.js";
import {
  createTestCommon,
  signTestTx,
  type TestAccount,
  type TxFields,
  testAccount,
  toVerifiedTx,
} from "./testdata/txs.js";

const common = createTestCommon();
const ETHER = 10n ** 18n;
/** Large enough for a call chain to reach the 1024 depth limit despite the 63/64 rule (EIP-150). */
const BLOCK_GAS_LIMIT = 300_000_000_000n;
const CREATE2_DEPLOYER = "0x4e59b44847b379578588920ca78fbf26c0b4956c";
const MULTICALL3 = "0xca11bde05977b3631167028862be2a173976ca11";
const MULTICALL3_ABI = parseAbi([
  "struct Call3 { address target; bool allowFailure; bytes callData; }",
  "struct Result { bool success; bytes returnData; }",
  "function aggregate3(Call3[] calls) payable returns (Result[] returnData)",
]);

const alice = testAccount("alice");
const bob = testAccount("bob");
const carol = testAccount("carol");
const dave = testAccount("dave");
const poor = testAccount("poor");
const coder = testAccount("coder");
const eve = testAccount("eve").hex;
const coinbase = testAccount("coinbase").address;
const emptyAccount = testAccount("empty").hex;
const dust = testAccount("dust").hex;

const token = artifact("Token.cancun");
const tokenPrague = artifact("Token.prague");
const probe = artifact("Probe.cancun");
const factory = artifact("Factory.prague");
const doomed = artifact("Doomed.prague");

const SUPPLY = 10n ** 24n;
/** Solidity's built-in `Error(string)`, what `require(condition, message)` reverts with. */
const ERROR_STRING_ABI = [
  { type: "error", name: "Error", inputs: [{ name: "message", type: "string" }] },
] as const;
const tokenInit = encodeDeploy(token.abi, token.bytecode, [SUPPLY]);
const tokenPragueInit = encodeDeploy(tokenPrague.abi, tokenPrague.bytecode, [SUPPLY]);
const saltA = word(0xa);
const saltB = word(0xb);
const saltOccupied = word(0x7610);
/** Where the CREATE2 deployer would put Token.prague with `saltOccupied`: genesis gives that address storage. */
const occupied = getCreate2Address({
  from: CREATE2_DEPLOYER,
  salt: saltOccupied,
  bytecode: tokenPragueInit,
}).toLowerCase();

/** Init code of a contract whose runtime calls itself with all its gas: PUSH0 x5 ADDRESS GAS CALL STOP. */
const RECURSIVE_INIT = hexToBytes("0x6009600c60003960096000f35f5f5f5f5f305af100");

function word(value: bigint | number): Uint8Array {
  return bigintToFixedBytes(BigInt(value), 32);
}

function blockHashOf(height: number): Uint8Array {
  return keccak256(utf8ToBytes(`block ${height}`));
}

function blockEnv(height: number): BlockEnv {
  return {
    height,
    timestampMs: 1_700_000_000_000 + height * 1_000,
    proposer: coinbase,
    gasLimit: BLOCK_GAS_LIMIT,
  };
}

/** OpenZeppelin's ERC-20 keeps `_balances` in slot 0: a holder's balance is at keccak(holder ‖ 0). */
function balanceSlot(holder: string): Uint8Array {
  return keccak256(concatBytes(word(BigInt(holder)), word(0)));
}

interface Step {
  readonly label: string;
  readonly tx: TypedTransaction;
}

const nonces = new Map<string, bigint>();

function step(label: string, from: TestAccount, fields: Omit<TxFields, "nonce">): Step {
  const nonce = nonces.get(from.hex) ?? 0n;
  nonces.set(from.hex, nonce + 1n);
  return { label, tx: signTestTx(common, from, { nonce, ...fields }) };
}

const executor = new Executor({
  chainId: common.chainId(),
  blockHash: async (height) => blockHashOf(height),
});
let vm: VM;
let state: MapState;
let height = 0;
const created = new Map<string, string>();

interface BlockRun {
  readonly outcomes: readonly TxOutcome[];
  readonly results: readonly RunTxResult[];
  /** Charter's outcome of the step with this label. */
  readonly outcome: (label: string) => TxOutcome;
}

/** Runs one block on both sides, compares every transaction, and applies Charter's diff to the map state. */
async function runBlock(steps: readonly Step[]): Promise<BlockRun> {
  height += 1;
  const env = blockEnv(height);
  const transactions: VerifiedTx[] = steps.map((s) => toVerifiedTx(s.tx));
  const execution = await executor.executeBlock({ base: state, env, transactions, mode: "validate" });
  const results: RunTxResult[] = [];
  for (const s of steps) results.push(await runReferenceTx(vm, env, s.tx));
  expect(execution.outcomes).toHaveLength(steps.length);
  let cumulative = 0n;
  steps.forEach((s, i) => {
    const outcome = execution.outcomes[i]!;
    expect(observeCharter(outcome), s.label).toEqual(observeReference(s.tx, results[i]!));
    cumulative += outcome.gasUsed;
    const receipt = execution.receipts[i]!;
    expect(receipt.cumulativeGasUsed, s.label).toBe(cumulative);
    expect(receipt.status, s.label).toBe(outcome.status);
    if (outcome.contractAddress !== null) created.set(s.label, bytesToHex(outcome.contractAddress));
  });
  expect(execution.gasUsed).toBe(cumulative);
  state.apply(execution.diff);
  const outcome = (label: string): TxOutcome => {
    const index = steps.findIndex((s) => s.label === label);
    expect(index, `a step labelled ${label}`).toBeGreaterThanOrEqual(0);
    return execution.outcomes[index]!;
  };
  return { outcomes: execution.outcomes, results, outcome };
}

/** Whole-state equality: a readable per-account comparison first, then the state roots. */
async function expectSameState(coinbaseCredit = 0n): Promise<void> {
  for (const [key, account] of state.accounts()) {
    const address = new Address(hexToBytes(key));
    const reference = await vm.stateManager.getAccount(address);
    const expectedBalance = key === bytesToHex(coinbase) ? account.balance + coinbaseCredit : account.balance;
    expect(reference, `account ${key} exists in the reference`).toBeDefined();
    expect(
      { nonce: reference!.nonce, balance: reference!.balance, codeHash: bytesToHex(reference!.codeHash) },
      key,
    ).toEqual({ nonce: account.nonce, balance: expectedBalance, codeHash: bytesToHex(account.codeHash) });
    const slots = state.storageOf(key);
    for (const [slot, value] of slots) {
      const referenceValue = await vm.stateManager.getStorage(address, hexToBytes(slot));
      expect(BigInt(bytesToHex(referenceValue).padEnd(3, "0")), `${key} slot ${slot}`).toBe(
        BigInt(bytesToHex(value)),
      );
    }
    const referenceSlots = Object.keys(await vm.stateManager.dumpStorage!(address)).length;
    expect(referenceSlots, `number of slots of ${key}`).toBe(slots.length);
  }
  const charterRoot = await stateRootOf(
    common,
    state,
    coinbaseCredit > 0n ? { address: bytesToHex(coinbase), amount: coinbaseCredit } : undefined,
  );
  expect(charterRoot).toBe(bytesToHex(await vm.stateManager.getStateRoot()));
}

beforeAll(async () => {
  const storage = (entries: [number, number][]) =>
    new Map(entries.map(([s, v]) => [bytesToHex(word(s)), word(v)]));
  const alloc = new Map<string, GenesisAccount>([
    [alice.hex, { balance: 1_000_000n * ETHER }],
    [bob.hex, { balance: 1_000_000n * ETHER }],
    [carol.hex, { balance: 1_000_000n * ETHER }],
    [dave.hex, { balance: 1_000n * ETHER }],
    [poor.hex, { balance: 1_000n }],
    [coder.hex, { balance: ETHER, code: hexToBytes("0x00") }],
    // Empty per EIP-161: the first transaction that touches it removes it.
    [emptyAccount, { balance: 0n }],
    // Empty but for storage: removed with its storage when touched.
    [dust, { balance: 0n, storage: storage([[1, 5]]) }],
    // A CREATE2 target with storage: EIP-7610 makes creation there collide.
    [occupied, { balance: 0n, storage: storage([[0, 1]]) }],
  ]);
  const genesis = genesisStateDiff(alloc);
  state = MapState.fromDiff(genesis);
  vm = await createReferenceVM(common, blockHashOf);
  await loadState(vm.stateManager, state);
  await expectSameState();
});

describe("Charter's transaction processor agrees with @ethereumjs/vm runTx (Prague)", () => {
  it("deploys contracts (legacy, access-list and fee-market creations, CREATE2 deployer) and moves value", async () => {
    await runBlock([
      step("deploy Token (cancun) in a legacy tx", alice, { type: 0, gasLimit: 3_000_000n, data: tokenInit }),
      step("deploy Token (prague) in a type-2 tx", alice, {
        type: 2,
        gasLimit: 3_000_000n,
        data: tokenPragueInit,
      }),
      step("deploy Probe in a type-1 tx", alice, { type: 1, gasLimit: 3_000_000n, data: probe.bytecode }),
      step("deploy Factory", alice, { gasLimit: 3_000_000n, data: factory.bytecode }),
      step("transfer to a new account", bob, {
        type: 0,
        to: hexToBytes(eve),
        value: ETHER,
        gasLimit: 21_000n,
      }),
      step("transfer to an existing account", bob, {
        to: carol.address,
        value: 2n * ETHER,
        gasLimit: 30_000n,
      }),
      step("CREATE2 via the deterministic deployer", alice, {
        to: hexToBytes(CREATE2_DEPLOYER),
        data: concatBytes(saltA, tokenPragueInit),
        gasLimit: 3_000_000n,
      }),
      step("self-destructing init code (created and destroyed in one tx)", bob, {
        value: 777n,
        // PUSH20 carol SELFDESTRUCT
        data: concatBytes(hexToBytes("0x73"), carol.address, hexToBytes("0xff")),
        gasLimit: 100_000n,
      }),
      step("init code of exactly the EIP-3860 limit", carol, {
        data: new Uint8Array(INIT_CODE_BYTES_MAX),
        gasLimit: 1_000_000n,
      }),
      // Last in the block: the removal must not wait for a next transaction.
      step("zero-value call to an empty account (EIP-161)", carol, {
        to: hexToBytes(emptyAccount),
        gasLimit: 21_000n,
      }),
    ]);
    expect(created.get("deploy Token (cancun) in a legacy tx")).toBe(
      getCreateAddress({ from: alice.hex as `0x${string}`, nonce: 0n }).toLowerCase(),
    );
    expect(state.getAccount(hexToBytes(emptyAccount))).toBeUndefined();
    await expectSameState();
  });

  it("runs ERC-20 transfers, reverts, custom errors, out-of-gas, refunds, transient storage and precompiles", async () => {
    const tokenAddress = hexToBytes(created.get("deploy Token (cancun) in a legacy tx")!);
    const tokenPragueAddress = hexToBytes(created.get("deploy Token (prague) in a type-2 tx")!);
    const probeAddress = hexToBytes(created.get("deploy Probe in a type-1 tx")!);
    const factoryAddress = hexToBytes(created.get("deploy Factory")!);
    const transfer = (to: string, amount: bigint) => encodeCall(token.abi, "transfer", [to, amount]);
    const probeCall = (fn: string, args: readonly unknown[] = []) => encodeCall(probe.abi, fn, args);
    const signed = signTestTx(common, dave, { nonce: 99n, gasLimit: 21_000n });
    const digest = signed.getHashedMessageToSign();
    const ecrecoverInput = concatBytes(
      digest,
      word(27n + (signed.v ?? 0n)),
      word(signed.r!),
      word(signed.s!),
    );
    const tokenSlots = [balanceSlot(alice.hex), balanceSlot(carol.hex)];
    const { outcome } = await runBlock([
      step("ERC-20 transfer (cancun build)", alice, {
        to: tokenAddress,
        data: transfer(bob.hex, 1_000n),
        gasLimit: 100_000n,
      }),
      step("ERC-20 transfer (prague build), legacy", alice, {
        type: 0,
        to: tokenPragueAddress,
        data: transfer(carol.hex, 5_000n),
        gasLimit: 100_000n,
      }),
      step("ERC-20 transfer over balance: custom error", bob, {
        to: tokenAddress,
        data: transfer(dave.hex, 10n ** 30n),
        gasLimit: 100_000n,
      }),
      step("ERC-20 transfer with a type-1 access list", alice, {
        type: 1,
        to: tokenAddress,
        data: transfer(carol.hex, 7n),
        accessList: [{ address: tokenAddress, storageKeys: tokenSlots }],
        gasLimit: 100_000n,
      }),
      step("ERC-20 transfer with a type-2 access list naming unrelated entries", alice, {
        to: tokenAddress,
        data: transfer(carol.hex, 9n),
        accessList: [
          { address: tokenAddress, storageKeys: [tokenSlots[0]!] },
          { address: hexToBytes("0x0000000000000000000000000000000000000002"), storageKeys: [] },
          { address: hexToBytes(eve), storageKeys: [word(1), word(2)] },
        ],
        gasLimit: 100_000n,
      }),
      step("require(false, msg)", carol, {
        to: probeAddress,
        data: probeCall("check", [11n]),
        gasLimit: 100_000n,
      }),
      step("custom error", carol, { to: probeAddress, data: probeCall("guarded", [5n]), gasLimit: 100_000n }),
      step("out of gas", carol, {
        to: probeAddress,
        data: probeCall("spin", [1_000_000n]),
        gasLimit: 150_000n,
      }),
      step("SSTORE 0 -> 1", carol, {
        to: probeAddress,
        data: probeCall("writeSequence", [1n, [1n]]),
        gasLimit: 100_000n,
      }),
      step("SSTORE 0 -> 5 -> 0 (reset to original zero)", carol, {
        to: probeAddress,
        data: probeCall("writeSequence", [2n, [5n, 0n]]),
        gasLimit: 100_000n,
      }),
      step("SSTORE 0 -> 3", carol, {
        to: probeAddress,
        data: probeCall("writeSequence", [3n, [3n]]),
        gasLimit: 100_000n,
      }),
      step("fill 20 slots", carol, {
        to: probeAddress,
        data: probeCall("fill", [100n, 20n, 7n]),
        gasLimit: 1_000_000n,
      }),
      step("TSTORE/TLOAD across a call, MCOPY", carol, {
        to: probeAddress,
        data: probeCall("transientRoundTrip", [0xabcn]),
        gasLimit: 200_000n,
      }),
      step("transient storage is empty in the next tx", carol, {
        to: probeAddress,
        data: probeCall("persistTransient", [0x7700n]),
        gasLimit: 100_000n,
      }),
      step("ecrecover, sha256 and identity from a contract", carol, {
        to: probeAddress,
        data: probeCall("precompiles", [
          bytesToHex(digest),
          Number(27n + (signed.v ?? 0n)),
          bytesToHex(word(signed.r!)),
          bytesToHex(word(signed.s!)),
          "0xdeadbeefcafe",
        ]),
        gasLimit: 200_000n,
      }),
      step("tx straight to ecrecover", carol, {
        to: hexToBytes("0x0000000000000000000000000000000000000001"),
        data: ecrecoverInput,
        gasLimit: 100_000n,
      }),
      step("tx straight to sha256", carol, {
        to: hexToBytes("0x0000000000000000000000000000000000000002"),
        data: utf8ToBytes("charter"),
        gasLimit: 100_000n,
      }),
      step("tx straight to identity with value", carol, {
        to: hexToBytes("0x0000000000000000000000000000000000000004"),
        data: utf8ToBytes("echo"),
        value: 1n,
        gasLimit: 100_000n,
      }),
      step("block context", carol, { to: probeAddress, data: probeCall("blockContext"), gasLimit: 100_000n }),
      step("transaction context, BLOCKHASH, gasleft", carol, {
        to: probeAddress,
        data: probeCall("txContext"),
        gasLimit: 100_000n,
      }),
      step("calldata-heavy transfer (EIP-7623 floor)", bob, {
        to: hexToBytes(eve),
        data: new Uint8Array(20_000).fill(0x5a),
        gasLimit: 1_000_000n,
      }),
      step("calldata-heavy call whose execution costs less than the floor", bob, {
        to: probeAddress,
        data: concatBytes(probeCall("read", [1n]), new Uint8Array(4_000).fill(1)),
        gasLimit: 1_000_000n,
      }),
      step("calldata-heavy call whose execution costs more than the floor", bob, {
        to: probeAddress,
        data: concatBytes(probeCall("fill", [300n, 10n, 1n]), new Uint8Array(200).fill(1)),
        gasLimit: 1_000_000n,
      }),
      step("CREATE2 and SELFDESTRUCT in one tx (EIP-6780 deletes)", alice, {
        to: factoryAddress,
        data: encodeCall(factory.abi, "makeAndKill", [bytesToHex(saltA), carol.hex]),
        value: 1_000n,
        gasLimit: 500_000n,
      }),
      step("CREATE2 without destruction", alice, {
        to: factoryAddress,
        data: encodeCall(factory.abi, "make", [bytesToHex(saltB)]),
        value: 500n,
        gasLimit: 500_000n,
      }),
      step("CALL the coinbase, which is warm from the start (EIP-3651)", carol, {
        to: probeAddress,
        data: probeCall("poke", [bytesToHex(coinbase)]),
        gasLimit: 100_000n,
      }),
      // Last in the block: the removal must not wait for a next transaction.
      step("touch an account that is empty but for storage", carol, {
        to: probeAddress,
        data: probeCall("poke", [dust]),
        gasLimit: 100_000n,
      }),
    ]);
    // Spot checks that the sequence exercised what its labels say.
    expect(outcome("ERC-20 transfer over balance: custom error").status).toBe(0);
    expect(outcome("custom error").returnData).toEqual(
      hexToBytes(encodeErrorResult({ abi: probe.abi, errorName: "Unauthorized", args: [carol.hex, 5n] })),
    );
    expect(outcome("require(false, msg)").returnData).toEqual(
      hexToBytes(
        encodeErrorResult({ abi: ERROR_STRING_ABI, errorName: "Error", args: ["Probe: x must be below 10"] }),
      ),
    );
    expect(outcome("out of gas").error).toBe("out of gas");
    expect(outcome("out of gas").gasUsed).toBe(150_000n);
    expect(outcome("calldata-heavy transfer (EIP-7623 floor)").gasUsed).toBe(21_000n + 20_000n * 40n);
    expect(state.getAccount(hexToBytes(dust))).toBeUndefined();
    expect(BigInt(bytesToHex(state.getStorage(probeAddress, word(0x7700))))).toBe(0n);
    await expectSameState();
  });

  it("walks EIP-2200/3529 refund paths, EIP-6780 later destruction and re-creation at a freed address", async () => {
    const probeAddress = hexToBytes(created.get("deploy Probe in a type-1 tx")!);
    const factoryAddress = hexToBytes(created.get("deploy Factory")!);
    const madeB = getCreate2Address({
      from: bytesToHex(factoryAddress) as `0x${string}`,
      salt: saltB,
      bytecode: doomed.bytecode,
    });
    const sequence = (slot: bigint, values: bigint[]) =>
      encodeCall(probe.abi, "writeSequence", [slot, values]);
    const { outcome, results } = await runBlock([
      step("3 -> 5 -> 7 -> 3 (reset to original non-zero)", carol, {
        to: probeAddress,
        data: sequence(3n, [5n, 7n, 3n]),
        gasLimit: 100_000n,
      }),
      step("3 -> 0 -> 9 (clear, then recreate)", carol, {
        to: probeAddress,
        data: sequence(3n, [0n, 9n]),
        gasLimit: 100_000n,
      }),
      step("9 -> 0 (clear)", carol, { to: probeAddress, data: sequence(3n, [0n]), gasLimit: 100_000n }),
      step("1 -> 1 (no-op write)", carol, { to: probeAddress, data: sequence(1n, [1n]), gasLimit: 100_000n }),
      step("clear 20 slots (refund capped at a fifth)", carol, {
        to: probeAddress,
        data: encodeCall(probe.abi, "fill", [100n, 20n, 0n]),
        gasLimit: 1_000_000n,
      }),
      step("SELFDESTRUCT a contract created earlier (EIP-6780 keeps it)", dave, {
        to: hexToBytes(madeB),
        data: encodeCall(doomed.abi, "kill", [bob.hex]),
        gasLimit: 100_000n,
      }),
      step("CREATE2 again where the same-tx destruction freed the address", alice, {
        to: factoryAddress,
        data: encodeCall(factory.abi, "make", [bytesToHex(saltA)]),
        gasLimit: 500_000n,
      }),
      step("CREATE2 onto a live contract collides", alice, {
        to: factoryAddress,
        data: encodeCall(factory.abi, "make", [bytesToHex(saltB)]),
        gasLimit: 500_000n,
      }),
      step("CREATE2 onto an address with storage collides (EIP-7610)", alice, {
        to: hexToBytes(CREATE2_DEPLOYER),
        data: concatBytes(saltOccupied, tokenPragueInit),
        gasLimit: 3_000_000n,
      }),
    ]);
    // The 20 clears earn 20 * 4,800 gas of refund, more than the fifth of the gas used that EIP-3529 allows.
    const clears = outcome("clear 20 slots (refund capped at a fifth)");
    expect(results[4]!.gasRefund).toBe(20n * 4_800n);
    expect((clears.gasUsed * 5n) / 4n - clears.gasUsed).toBeLessThan(20n * 4_800n);
    expect(outcome("CREATE2 again where the same-tx destruction freed the address").status).toBe(1);
    expect(outcome("CREATE2 onto a live contract collides").status).toBe(0);
    expect(outcome("CREATE2 onto an address with storage collides (EIP-7610)").status).toBe(0);
    const killed = state.getAccount(hexToBytes(madeB));
    expect(killed?.balance).toBe(0n);
    expect(killed?.codeHash).toEqual(keccak256(doomed.deployedBytecode));
    await expectSameState();
  });

  it("fails creations and unwinds reverted inner calls like the reference", async () => {
    const tokenAddress = created.get("deploy Token (cancun) in a legacy tx")!;
    const probeAddress = created.get("deploy Probe in a type-1 tx")!;
    const call3 = (target: string, allowFailure: boolean, data: Uint8Array) => ({
      target,
      allowFailure,
      callData: bytesToHex(data),
    });
    const { outcome } = await runBlock([
      step("creation whose init code reverts", bob, { data: hexToBytes("0x60006000fd"), gasLimit: 100_000n }),
      step("creation of code starting with 0xEF (EIP-3541)", bob, {
        // MSTORE8(0, 0xEF) RETURN(0, 1)
        data: hexToBytes("0x60ef60005360016000f3"),
        gasLimit: 100_000n,
      }),
      step("creation of code over 24,576 bytes (EIP-170)", bob, {
        // RETURN(0, 24577)
        data: hexToBytes("0x6160016000f3"),
        gasLimit: 6_000_000n,
      }),
      step("creation that runs out of gas paying for its code", bob, {
        data: probe.bytecode,
        gasLimit: 200_000n,
      }),
      step("self-transfer", bob, { to: bob.address, value: 10n, gasLimit: 21_000n }),
      step("deploy a contract that calls itself", bob, { data: RECURSIVE_INIT, gasLimit: 100_000n }),
      step("Multicall3: logs and storage of failed inner calls are dropped", carol, {
        to: hexToBytes(MULTICALL3),
        data: encodeCall(MULTICALL3_ABI, "aggregate3", [
          [
            call3(probeAddress, false, encodeCall(probe.abi, "writeSequence", [500n, [1n]])),
            // Writes slots 500.. until it runs out of gas; the writes are reverted but warmed slots stay warm.
            call3(probeAddress, true, encodeCall(probe.abi, "fill", [500n, 100_000n, 2n])),
            call3(probeAddress, true, encodeCall(probe.abi, "check", [99n])),
            call3(tokenAddress, true, encodeCall(token.abi, "transfer", [dave.hex, 10n ** 30n])),
            // EIP-2200 must compare with the value before the transaction, not with the reverted writes.
            call3(probeAddress, false, encodeCall(probe.abi, "writeSequence", [501n, [3n, 0n]])),
            call3(probeAddress, false, encodeCall(probe.abi, "writeSequence", [500n, [0n]])),
          ],
        ]),
        gasLimit: 3_000_000n,
      }),
    ]);
    const recursive = outcome("deploy a contract that calls itself").contractAddress!;
    expect(recursive).not.toBeNull();
    const deep = await runBlock([
      step("a call chain down to the 1024 depth limit", alice, { to: recursive, gasLimit: 200_000_000_000n }),
    ]);
    // The transaction's frame and 1,024 nested ones each spend 114 gas (PUSH0 x5, ADDRESS, GAS, warm CALL); the
    // CALL at depth 1,024 fails for depth, not gas: the 63/64 rule left plenty.
    expect(deep.outcomes[0]!.gasUsed).toBe(21_000n + 1_025n * 114n);
    expect(outcome("creation whose init code reverts").status).toBe(0);
    expect(outcome("creation of code starting with 0xEF (EIP-3541)").status).toBe(0);
    expect(outcome("creation of code over 24,576 bytes (EIP-170)").status).toBe(0);
    expect(outcome("creation that runs out of gas paying for its code").status).toBe(0);
    const multicall = outcome("Multicall3: logs and storage of failed inner calls are dropped");
    expect(multicall.status).toBe(1);
    expect(multicall.logs.map((log) => bytesToHex(log.address))).toEqual([
      probeAddress,
      probeAddress,
      probeAddress,
      probeAddress,
    ]);
    await expectSameState();
  });

  it("charges priced transactions like Ethereum but burns the fee instead of paying the coinbase", async () => {
    const tokenAddress = hexToBytes(created.get("deploy Token (cancun) in a legacy tx")!);
    const probeAddress = hexToBytes(created.get("deploy Probe in a type-1 tx")!);
    const before = state.balanceOf(bytesToHex(coinbase));
    const steps = [
      step("legacy transfer at 7 wei/gas", bob, {
        type: 0,
        to: carol.address,
        value: 5n,
        gasPrice: 7n,
        gasLimit: 30_000n,
      }),
      step("type-1 ERC-20 transfer at 3 wei/gas", alice, {
        type: 1,
        to: tokenAddress,
        data: encodeCall(token.abi, "transfer", [dave.hex, 1n]),
        gasPrice: 3n * 10n ** 9n,
        gasLimit: 100_000n,
      }),
      step("type-2, tip below the fee cap", alice, {
        to: bob.address,
        maxFeePerGas: 10n * 10n ** 9n,
        maxPriorityFeePerGas: 3n * 10n ** 9n,
        gasLimit: 50_000n,
      }),
      step("type-2, tip equal to the fee cap, reverting", carol, {
        to: probeAddress,
        data: encodeCall(probe.abi, "check", [12n]),
        maxFeePerGas: 5n * 10n ** 9n,
        maxPriorityFeePerGas: 5n * 10n ** 9n,
        gasLimit: 100_000n,
      }),
      step("type-2 with refunds", carol, {
        to: probeAddress,
        data: encodeCall(probe.abi, "fill", [300n, 10n, 0n]),
        maxFeePerGas: 2n * 10n ** 9n,
        maxPriorityFeePerGas: 1n * 10n ** 9n,
        gasLimit: 300_000n,
      }),
      step("priced creation", dave, {
        data: probe.bytecode,
        maxFeePerGas: 9n,
        maxPriorityFeePerGas: 9n,
        gasLimit: 2_000_000n,
      }),
    ];
    const supplyBefore = state.accounts().reduce((sum, [, a]) => sum + a.balance, 0n);
    const { outcomes, results } = await runBlock(steps);
    const tips = [7n, 3n * 10n ** 9n, 3n * 10n ** 9n, 5n * 10n ** 9n, 1n * 10n ** 9n, 9n];
    const burned = outcomes.reduce((sum, outcome, i) => sum + outcome.gasUsed * tips[i]!, 0n);
    const paid = results.reduce((sum, result) => sum + (result.minerValue ?? 0n), 0n);
    expect(paid).toBe(burned);
    expect(state.balanceOf(bytesToHex(coinbase))).toBe(before);
    expect(state.getAccount(coinbase)).toBeUndefined();
    const supplyAfter = state.accounts().reduce((sum, [, a]) => sum + a.balance, 0n);
    expect(supplyBefore - supplyAfter).toBe(burned);
    // Every account equal to the reference's, except that the reference paid the coinbase what Charter burned.
    await expectSameState(burned);
  });

  it("rejects the transactions the reference rejects, and leaves the state alone", async () => {
    const probeAddress = hexToBytes(created.get("deploy Probe in a type-1 tx")!);
    const env = blockEnv(height + 1);
    const nonceOf = (account: TestAccount) => nonces.get(account.hex) ?? 0n;
    const cases: { label: string; code: string; tx: TypedTransaction }[] = [
      {
        label: "nonce too high",
        code: "nonce-too-high",
        tx: signTestTx(common, bob, { nonce: nonceOf(bob) + 1n, to: carol.address, gasLimit: 21_000n }),
      },
      {
        label: "nonce too low",
        code: "nonce-too-low",
        tx: signTestTx(common, bob, { nonce: nonceOf(bob) - 1n, to: carol.address, gasLimit: 21_000n }),
      },
      {
        label: "value above balance",
        code: "insufficient-funds",
        tx: signTestTx(common, poor, { nonce: 0n, to: carol.address, value: 1_001n, gasLimit: 21_000n }),
      },
      {
        label: "gas * fee cap above balance (tip is lower)",
        code: "insufficient-funds",
        tx: signTestTx(common, poor, {
          nonce: 0n,
          to: carol.address,
          maxFeePerGas: 1n,
          maxPriorityFeePerGas: 0n,
          gasLimit: 21_000n,
        }),
      },
      {
        label: "gas below intrinsic",
        code: "intrinsic-gas",
        tx: signTestTx(common, bob, {
          nonce: nonceOf(bob),
          to: probeAddress,
          data: new Uint8Array([1]),
          gasLimit: 21_015n,
        }),
      },
      {
        label: "gas above intrinsic but below the EIP-7623 floor",
        code: "intrinsic-gas",
        tx: signTestTx(common, bob, {
          nonce: nonceOf(bob),
          to: carol.address,
          data: new Uint8Array(1_000).fill(1),
          gasLimit: 50_000n,
        }),
      },
      {
        label: "gas above the block gas limit",
        code: "block-gas",
        tx: signTestTx(common, bob, {
          nonce: nonceOf(bob),
          to: carol.address,
          gasLimit: BLOCK_GAS_LIMIT + 1n,
        }),
      },
      {
        label: "sender with code (EIP-3607)",
        code: "sender-not-eoa",
        tx: signTestTx(common, coder, { nonce: 1n, to: carol.address, gasLimit: 21_000n }),
      },
    ];
    const rootBefore = bytesToHex(await vm.stateManager.getStateRoot());
    for (const { label, code, tx } of cases) {
      await expect(runReferenceTx(vm, env, tx), label).rejects.toThrow();
      const error = await executor
        .executeBlock({ base: state, env, transactions: [toVerifiedTx(tx)], mode: "validate" })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error, label).toBeInstanceOf(ExecutionError);
      expect((error as ExecutionError).code, label).toBe("invalid-block");
      expect(((error as ExecutionError).cause as ExecutionError).code, label).toBe(code);
      const built = await executor.executeBlock({
        base: state,
        env,
        transactions: [toVerifiedTx(tx)],
        mode: "build",
      });
      expect(built.transactions, label).toHaveLength(0);
      expect(
        built.rejected.map((r) => r.error.code),
        label,
      ).toEqual([code]);
      expect(built.diff.accounts, label).toHaveLength(0);
    }
    expect(bytesToHex(await vm.stateManager.getStateRoot())).toBe(rootBefore);
  });

  it("rejects init code over the EIP-3860 limit, as the reference transaction library does", async () => {
    const tooLarge = new Uint8Array(INIT_CODE_BYTES_MAX + 1);
    expect(() => signTestTx(common, bob, { nonce: 0n, data: tooLarge, gasLimit: 2_000_000n })).toThrow(
      /initcode/i,
    );
    const { createFeeMarket1559Tx } = await import("@ethereumjs/tx");
    const tx = createFeeMarket1559Tx(
      { nonce: nonces.get(bob.hex) ?? 0n, gasLimit: 2_000_000n, data: tooLarge, chainId: common.chainId() },
      { common, allowUnlimitedInitCodeSize: true },
    ).sign(bob.privateKey);
    const built = await executor.executeBlock({
      base: state,
      env: blockEnv(height + 1),
      transactions: [toVerifiedTx(tx)],
      mode: "build",
    });
    expect(built.rejected.map((r) => r.error.code)).toEqual(["init-code-size"]);
    await expect(
      executor.executeBlock({
        base: state,
        env: blockEnv(height + 1),
        transactions: [toVerifiedTx(tx)],
        mode: "validate",
      }),
    ).rejects.toThrow(ExecutionError);
  });
});
