import type { VerifiedTx } from "@charter/types";
import { bytesToHex, concatBytes, hexToBytes } from "@charter/utils";
import { decodeFunctionResult, encodeErrorResult, parseAbi } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import type { CallParams } from "./executor.js";
import { encodeCall, encodeDeploy, TestChain, TOKEN_SUPPLY } from "./testdata/testChain.js";
import type { TestAccount } from "./testdata/txs.js";
import { testAccount } from "./testdata/txs.js";

const ERROR_STRING_ABI = [
  { type: "error", name: "Error", inputs: [{ name: "message", type: "string" }] },
] as const;
const MULTICALL3 = hexToBytes("0xca11bde05977b3631167028862be2a173976ca11");
const MULTICALL3_ABI = parseAbi([
  "struct Call3 { address target; bool allowFailure; bytes callData; }",
  "struct Result { bool success; bytes returnData; }",
  "function aggregate3(Call3[] calls) payable returns (Result[] returnData)",
]);

let chain: TestChain;

beforeAll(async () => {
  chain = await TestChain.create();
});

/**
 * Runs `request` as a real transaction from `from` with exactly `gas`, on the current state, and says how it
 * went: included with status 1 or 0, or left out of the block as invalid.
 */
async function sendWithGas(
  from: TestAccount,
  request: CallParams,
  gas: bigint,
): Promise<"success" | "failed" | string> {
  const tx: VerifiedTx = chain.peekTx(from, {
    ...(request.to ? { to: request.to } : {}),
    ...(request.data ? { data: request.data } : {}),
    ...(request.value ? { value: request.value } : {}),
    gasLimit: gas,
  });
  const built = await chain.executor.executeBlock({
    base: chain.state,
    env: chain.env(),
    transactions: [tx],
    mode: "build",
  });
  if (built.rejected.length > 0) return built.rejected[0]!.error.code;
  return built.receipts[0]!.status === 1 ? "success" : "failed";
}

async function estimate(request: CallParams): Promise<bigint> {
  const outcome = await chain.executor.estimateGas({ base: chain.state, env: chain.env(), request });
  if (outcome.kind !== "success")
    throw new Error(
      `estimate failed: ${JSON.stringify(outcome, (_, v) => (typeof v === "bigint" ? `${v}` : v))}`,
    );
  return outcome.gas;
}

describe("Executor.estimateGas", () => {
  const cases: { name: string; from: () => TestAccount; request: () => CallParams; atLeast?: bigint }[] = [
    {
      name: "a value transfer",
      from: () => chain.alice,
      request: () => ({ from: chain.alice.address, to: chain.bob.address, value: 5n }),
    },
    {
      name: "an ERC-20 transfer to a new holder",
      from: () => chain.alice,
      request: () => ({
        from: chain.alice.address,
        to: chain.tokenAddress,
        data: encodeCall(chain.token.abi, "transfer", [testAccount("fresh holder").hex, 1n]),
      }),
    },
    {
      name: "a contract deployment",
      from: () => chain.bob,
      request: () => ({
        from: chain.bob.address,
        data: encodeDeploy(chain.token.abi, chain.token.bytecode, [1n]),
      }),
    },
    {
      name: "a call earning refunds (EIP-3529), which needs more gas than it is charged",
      from: () => chain.carol,
      request: () => ({
        from: chain.carol.address,
        to: chain.probeAddress,
        data: encodeCall(chain.probe.abi, "fill", [50n, 5n, 0n]),
      }),
    },
    {
      name: "a call through Multicall3, which keeps 1/64 of the gas at each CALL (EIP-150)",
      from: () => chain.alice,
      request: () => ({
        from: chain.alice.address,
        to: MULTICALL3,
        data: encodeCall(MULTICALL3_ABI, "aggregate3", [
          [
            {
              target: bytesToHex(chain.probeAddress),
              allowFailure: false,
              callData: bytesToHex(encodeCall(chain.probe.abi, "fill", [70n, 3n, 9n])),
            },
          ],
        ]),
      }),
    },
    {
      name: "a transfer whose calldata makes the EIP-7623 floor apply",
      from: () => chain.bob,
      request: () => ({
        from: chain.bob.address,
        to: chain.carol.address,
        data: new Uint8Array(3_000).fill(0xff),
      }),
      atLeast: 21_000n + 3_000n * 40n,
    },
  ];

  beforeAll(async () => {
    // Storage for the refund case to clear.
    await chain.commit([
      chain.tx(chain.carol, {
        to: chain.probeAddress,
        data: encodeCall(chain.probe.abi, "fill", [50n, 5n, 1n]),
        gasLimit: 300_000n,
      }),
    ]);
  });

  for (const { name, from, request, atLeast } of cases) {
    it(`finds the least gas for ${name}`, async () => {
      const gas = await estimate(request());
      if (atLeast !== undefined) expect(gas).toBe(atLeast);
      expect(await sendWithGas(from(), request(), gas)).toBe("success");
      expect(await sendWithGas(from(), request(), gas - 1n)).not.toBe("success");
    });
  }

  it("finds exactly 21,000 for a plain transfer, and one less is not a valid transaction", async () => {
    const request = { from: chain.alice.address, to: chain.bob.address };
    expect(await estimate(request)).toBe(21_000n);
    expect(await sendWithGas(chain.alice, request, 20_999n)).toBe("intrinsic-gas");
  });

  it("reports revert data of Error(string) and of custom errors byte for byte", async () => {
    const { carol, probe } = chain;
    const env = chain.env();
    const message = {
      from: carol.address,
      to: chain.probeAddress,
      data: encodeCall(probe.abi, "check", [10n]),
    };
    const expectedMessage = hexToBytes(
      encodeErrorResult({ abi: ERROR_STRING_ABI, errorName: "Error", args: ["Probe: x must be below 10"] }),
    );
    const custom = {
      from: carol.address,
      to: chain.probeAddress,
      data: encodeCall(probe.abi, "guarded", [7n]),
    };
    const expectedCustom = hexToBytes(
      encodeErrorResult({ abi: probe.abi, errorName: "Unauthorized", args: [carol.hex, 7n] }),
    );
    const insufficient = {
      from: carol.address,
      to: chain.tokenAddress,
      data: encodeCall(chain.token.abi, "transfer", [chain.bob.hex, 1n]),
    };
    const expectedInsufficient = hexToBytes(
      encodeErrorResult({
        abi: chain.token.abi,
        errorName: "ERC20InsufficientBalance",
        args: [carol.hex, 0n, 1n],
      }),
    );
    for (const [request, expected] of [
      [message, expectedMessage],
      [custom, expectedCustom],
      [insufficient, expectedInsufficient],
    ] as const) {
      const called = await chain.executor.call({ base: chain.state, env, request });
      expect(called.kind).toBe("revert");
      expect(bytesToHex(called.kind === "revert" ? called.returnData : new Uint8Array())).toBe(
        bytesToHex(expected),
      );
      const estimated = await chain.executor.estimateGas({ base: chain.state, env, request });
      expect(estimated.kind).toBe("revert");
      expect(bytesToHex(estimated.kind === "revert" ? estimated.returnData : new Uint8Array())).toBe(
        bytesToHex(expected),
      );
    }
  });

  it("says the gas required exceeds the allowance when the call runs out of gas under the cap", async () => {
    const request = {
      from: chain.carol.address,
      to: chain.probeAddress,
      data: encodeCall(chain.probe.abi, "spin", [100_000n]),
      gas: 80_000n,
    };
    const estimated = await chain.executor.estimateGas({ base: chain.state, env: chain.env(), request });
    expect(estimated).toMatchObject({ kind: "error", message: "gas required exceeds allowance (80000)" });
    const called = await chain.executor.call({ base: chain.state, env: chain.env(), request });
    expect(called).toMatchObject({ kind: "error", message: "out of gas", gasUsed: 80_000n });
  });

  it("never returns less than the EIP-7623 floor, even under a cap below it", async () => {
    const data = new Uint8Array(3_000).fill(0xff);
    const floor = 21_000n + 3_000n * 40n;
    const request = { from: chain.bob.address, to: chain.carol.address, data, gas: floor - 1n };
    const estimated = await chain.executor.estimateGas({ base: chain.state, env: chain.env(), request });
    expect(estimated).toMatchObject({
      kind: "error",
      message: `intrinsic gas too low: have ${floor - 1n}, want ${floor}`,
    });
    expect(await sendWithGas(chain.bob, request, floor - 1n)).toBe("intrinsic-gas");
  });
});

describe("Executor.call", () => {
  it("returns what a view returns, at the requested block context, without changing the state", async () => {
    const { alice, token } = chain;
    const env = chain.env({ height: 77 });
    const balance = await chain.executor.call({
      base: chain.state,
      env,
      request: { to: chain.tokenAddress, data: encodeCall(token.abi, "balanceOf", [alice.hex]) },
    });
    expect(balance.kind).toBe("success");
    const [value] = [
      decodeFunctionResult({
        abi: token.abi,
        functionName: "balanceOf",
        data: bytesToHex(balance.kind === "success" ? balance.returnData : new Uint8Array()) as `0x${string}`,
      }),
    ];
    expect(value).toBe(chain.tokenBalance(alice.address));
    expect(value).toBeLessThanOrEqual(TOKEN_SUPPLY);
    const context = await chain.executor.call({
      base: chain.state,
      env,
      request: { to: chain.probeAddress, data: encodeCall(chain.probe.abi, "blockContext") },
    });
    const words = context.kind === "success" ? context.returnData : new Uint8Array();
    expect(BigInt(bytesToHex(words.slice(0, 32)))).toBe(77n);
    expect(BigInt(bytesToHex(words.slice(32, 64)))).toBe(BigInt(Math.floor(env.timestampMs / 1000)));
    expect(bytesToHex(words.slice(76, 96))).toBe(bytesToHex(chain.proposer));
  });

  it("lets a call send value the caller does not have, and writes nothing", async () => {
    const nobody = testAccount("nobody");
    const before = chain.state.accounts();
    const result = await chain.executor.call({
      base: chain.state,
      env: chain.env(),
      request: { from: nobody.address, to: chain.probeAddress, value: 10n ** 30n, data: new Uint8Array() },
    });
    expect(result.kind).toBe("success");
    expect(chain.state.accounts()).toEqual(before);
  });

  it("runs a creation at the sender's next address and returns the runtime code", async () => {
    const result = await chain.executor.call({
      base: chain.state,
      env: chain.env(),
      request: { from: chain.bob.address, data: encodeDeploy(chain.token.abi, chain.token.bytecode, [1n]) },
    });
    expect(result.kind).toBe("success");
    expect(bytesToHex(result.kind === "success" ? result.returnData : new Uint8Array())).toBe(
      bytesToHex(chain.token.deployedBytecode),
    );
  });

  it("reports intrinsic gas too low for a gas limit below the transaction's intrinsic cost", async () => {
    const result = await chain.executor.call({
      base: chain.state,
      env: chain.env(),
      request: {
        from: chain.bob.address,
        to: chain.carol.address,
        data: concatBytes(new Uint8Array(10).fill(1)),
        gas: 21_100n,
      },
    });
    expect(result).toMatchObject({ kind: "error" });
    expect(result.kind === "error" && result.message).toMatch(/^intrinsic gas too low/);
  });
});
