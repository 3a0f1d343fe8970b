import { bytesToHex } from "@charter/utils";
import { beforeAll, describe, expect, it } from "vitest";
import { ExecutionError } from "./errors.js";
import type { StateDiff, StateReader } from "./stateReader.js";
import { ETHER, encodeCall, TestChain } from "./testdata/testChain.js";

let chain: TestChain;

beforeAll(async () => {
  chain = await TestChain.create();
});

async function validationError(run: Promise<unknown>): Promise<ExecutionError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExecutionError);
  return error as ExecutionError;
}

/** A diff as comparable plain data. */
function diffToJSON(diff: StateDiff): unknown {
  return {
    accounts: diff.accounts.map((a) => ({
      address: bytesToHex(a.address),
      account: a.account && { ...a.account, codeHash: bytesToHex(a.account.codeHash) },
      storageCleared: a.storageCleared,
      storage: [...a.storage].map(([slot, value]) => [slot, bytesToHex(value)]),
    })),
    code: [...diff.code].map(([hash, code]) => [hash, bytesToHex(code)]),
  };
}

describe("Executor.executeBlock", () => {
  it("in validate mode, refuses a block with a transaction invalid at its position", async () => {
    const { alice, bob, poor } = chain;
    const env = chain.env({ gasLimit: 100_000n });
    const transfer = chain.peekTx(alice, { to: bob.address, value: 1n, gasLimit: 21_000n });
    const cases = [
      {
        code: "nonce-too-high",
        tx: chain.peekTx(alice, { nonce: chain.nonce(alice) + 1n, to: bob.address, gasLimit: 21_000n }),
      },
      {
        code: "nonce-too-low",
        tx: chain.peekTx(alice, { nonce: chain.nonce(alice) - 1n, to: bob.address, gasLimit: 21_000n }),
      },
      {
        code: "insufficient-funds",
        tx: chain.peekTx(poor, { to: bob.address, value: 1_001n, gasLimit: 21_000n }),
      },
      // 21,000 of the 100,000 are used by `transfer`: 80,000 is more than what is left.
      { code: "block-gas", tx: chain.peekTx(bob, { to: alice.address, gasLimit: 80_000n }) },
    ];
    for (const { code, tx } of cases) {
      const transactions = code.startsWith("nonce") ? [tx] : [transfer, tx];
      const error = await validationError(
        chain.executor.executeBlock({ base: chain.state, env, transactions, mode: "validate" }),
      );
      expect(error.code).toBe("invalid-block");
      expect((error.cause as ExecutionError).code, code).toBe(code);
      expect(error.message).toContain(`transaction ${transactions.length - 1} is invalid`);
    }
  });

  it("in build mode, leaves invalid transactions out, reports them and keeps going", async () => {
    const { alice, bob, carol, poor } = chain;
    const env = chain.env({ gasLimit: 100_000n });
    const transactions = [
      chain.peekTx(alice, { to: bob.address, value: 1n, gasLimit: 21_000n }),
      chain.peekTx(alice, { nonce: chain.nonce(alice) + 5n, to: bob.address, gasLimit: 21_000n }),
      chain.peekTx(poor, { to: bob.address, value: 5_000n, gasLimit: 21_000n }),
      chain.peekTx(bob, { to: alice.address, gasLimit: 80_000n }),
      chain.peekTx(carol, { to: alice.address, value: 2n, gasLimit: 21_000n }),
    ];
    const built = await chain.executor.executeBlock({ base: chain.state, env, transactions, mode: "build" });
    expect(built.transactions).toEqual([transactions[0], transactions[4]]);
    expect(built.rejected.map((r) => [r.tx, r.error.code])).toEqual([
      [transactions[1], "nonce-too-high"],
      [transactions[2], "insufficient-funds"],
      [transactions[3], "block-gas"],
    ]);
    expect(built.receipts.map((r) => [r.status, r.gasUsed, r.cumulativeGasUsed])).toEqual([
      [1, 21_000n, 21_000n],
      [1, 21_000n, 42_000n],
    ]);
    expect(built.gasUsed).toBe(42_000n);
    // What build mode produced is a valid block.
    const validated = await chain.executor.executeBlock({
      base: chain.state,
      env,
      transactions: built.transactions,
      mode: "validate",
    });
    expect(diffToJSON(validated.diff)).toEqual(diffToJSON(built.diff));
  });

  it("in build mode, reverts and leaves out a transaction whose state `checkState` refuses", async () => {
    const { alice, bob } = chain;
    const transactions = [1n, 7n, 2n].map((value, i) =>
      chain.peekTx(alice, {
        nonce: chain.nonce(alice) + BigInt(i),
        to: bob.address,
        value,
        gasLimit: 21_000n,
      }),
    );
    const before = chain.state.getAccount(bob.address)!.balance;
    const seen: bigint[] = [];
    const options = {
      base: chain.state,
      env: chain.env({ gasLimit: 100_000n }),
      transactions,
      // Refuses any state in which bob gained 7 or more: the state it is shown is the block's so far.
      checkState: (state: StateReader) => {
        const gained = state.getAccount(bob.address)!.balance - before;
        seen.push(gained);
        return gained >= 7n ? `bob gained ${gained}` : undefined;
      },
    };
    const built = await chain.executor.executeBlock({ ...options, mode: "build" });
    // The third is invalid at its position (its nonce follows the left-out one), so it is not asked about.
    expect(seen).toEqual([1n, 8n]);
    expect(built.transactions).toEqual([transactions[0]]);
    expect(built.rejected.map((r) => [r.tx, r.error.code, r.error.message])).toEqual([
      [transactions[1], "system-state", "bob gained 8"],
      [transactions[2], "nonce-too-high", expect.any(String)],
    ]);
    // Validate mode does not ask.
    seen.length = 0;
    await chain.executor.executeBlock({ ...options, transactions: [transactions[0]!], mode: "validate" });
    expect(seen).toEqual([]);
  });

  it("in build mode, stops once no transaction could fit", async () => {
    const { alice, bob } = chain;
    const transactions = [0n, 1n, 2n].map((i) =>
      chain.peekTx(alice, { nonce: chain.nonce(alice) + i, to: bob.address, gasLimit: 21_000n }),
    );
    const built = await chain.executor.executeBlock({
      base: chain.state,
      env: chain.env({ gasLimit: 50_000n }),
      transactions,
      mode: "build",
    });
    expect(built.transactions).toHaveLength(2);
    expect(built.rejected).toHaveLength(0);
    expect(built.gasUsed).toBe(42_000n);
  });

  it("counts cumulative gas after refunds and the calldata floor, and charges nothing to the proposer", async () => {
    const { alice, bob, carol, probe } = chain;
    const execution = await chain.commit([
      chain.tx(alice, {
        to: chain.tokenAddress,
        data: encodeCall(chain.token.abi, "transfer", [bob.hex, 10n]),
        gasLimit: 100_000n,
      }),
      chain.tx(carol, {
        to: chain.probeAddress,
        data: encodeCall(probe.abi, "fill", [10n, 3n, 1n]),
        gasLimit: 200_000n,
      }),
      chain.tx(carol, {
        to: chain.probeAddress,
        data: encodeCall(probe.abi, "fill", [10n, 3n, 0n]),
        gasLimit: 200_000n,
      }),
      chain.tx(bob, { to: carol.address, data: new Uint8Array(1_000).fill(7), gasLimit: 100_000n }),
      chain.tx(carol, {
        to: chain.probeAddress,
        data: encodeCall(probe.abi, "check", [10n]),
        gasLimit: 100_000n,
      }),
    ]);
    const gasUsed = execution.receipts.map((r) => r.gasUsed);
    let cumulative = 0n;
    for (const [i, receipt] of execution.receipts.entries()) {
      cumulative += gasUsed[i]!;
      expect(receipt.cumulativeGasUsed).toBe(cumulative);
    }
    expect(execution.gasUsed).toBe(cumulative);
    expect(execution.receipts.map((r) => r.status)).toEqual([1, 1, 1, 1, 0]);
    // The calldata floor: 21,000 + 1,000 non-zero bytes * 4 tokens * 10 gas.
    expect(gasUsed[3]).toBe(61_000n);
    // Clearing three slots earns a refund the setting transaction did not get.
    expect(gasUsed[2]!).toBeLessThan(gasUsed[1]!);
    expect(chain.state.getAccount(chain.proposer)).toBeUndefined();
    expect(execution.diff.accounts.some((a) => bytesToHex(a.address) === bytesToHex(chain.proposer))).toBe(
      false,
    );
  });

  it("is deterministic: the same block on the same state gives the same receipts and diff", async () => {
    const { alice, bob, carol, token } = chain;
    const env = chain.env();
    const transactions = [
      chain.peekTx(alice, {
        to: chain.tokenAddress,
        data: encodeCall(token.abi, "transfer", [carol.hex, 5n]),
        gasLimit: 100_000n,
      }),
      chain.peekTx(bob, { data: chain.probe.bytecode, gasLimit: 2_000_000n }),
      chain.peekTx(carol, { to: bob.address, value: ETHER, gasLimit: 21_000n }),
    ];
    const pristine = chain.state.clone();
    const before = chain.state.clone();
    const first = await chain.executor.executeBlock({
      base: chain.state,
      env,
      transactions,
      mode: "validate",
    });
    const second = await chain.executor.executeBlock({ base: before, env, transactions, mode: "build" });
    expect(second.receipts).toEqual(first.receipts);
    expect(diffToJSON(second.diff)).toEqual(diffToJSON(first.diff));
    // The diffs leave identical states behind, and the block cannot be replayed on top of itself.
    const afterFirst = chain.state.clone();
    afterFirst.apply(first.diff);
    before.apply(second.diff);
    expect(before.accounts()).toEqual(afterFirst.accounts());
    for (const [address] of afterFirst.accounts())
      expect(before.storageOf(address)).toEqual(afterFirst.storageOf(address));
    const replay = await chain.executor.executeBlock({ base: afterFirst, env, transactions, mode: "build" });
    expect(replay.rejected.map((r) => r.error.code)).toEqual([
      "nonce-too-low",
      "nonce-too-low",
      "nonce-too-low",
    ]);
    // Executing never wrote to the base state.
    expect(chain.state.accounts()).toEqual(pristine.accounts());
    for (const [address] of pristine.accounts())
      expect(chain.state.storageOf(address)).toEqual(pristine.storageOf(address));
  });

  it("lists each changed account once, sorted, with only what changed", async () => {
    const { alice, bob } = chain;
    const execution = await chain.commit([
      chain.tx(alice, { to: bob.address, value: 3n, gasLimit: 21_000n }),
      chain.tx(alice, {
        to: chain.tokenAddress,
        data: encodeCall(chain.token.abi, "transfer", [bob.hex, 1n]),
        gasLimit: 100_000n,
      }),
    ]);
    const addresses = execution.diff.accounts.map((a) => bytesToHex(a.address));
    expect(addresses).toEqual([...new Set([alice.hex, bob.hex, bytesToHex(chain.tokenAddress)])].sort());
    const tokenDiff = execution.diff.accounts.find(
      (a) => bytesToHex(a.address) === bytesToHex(chain.tokenAddress),
    )!;
    expect(tokenDiff.storage.size).toBe(2);
    expect(tokenDiff.storageCleared).toBe(false);
    expect(execution.diff.code.size).toBe(0);
  });
});
