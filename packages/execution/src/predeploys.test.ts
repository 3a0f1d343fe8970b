import { keccak256 } from "@charter/crypto";
import { bytesToHex, concatBytes, hexToBytes } from "@charter/utils";
import { decodeFunctionResult, getCreate2Address, parseAbi } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { genesisStateDiff } from "./genesisState.js";
import { PREDEPLOYS } from "./predeploys.js";
import { encodeCall, TestChain } from "./testdata/testChain.js";

/**
 * The code hashes of the canonical deployments, as published (mds1/multicall's README and the deterministic
 * deployment proxy's documentation) and as any chain explorer shows them. Written out here rather than taken from
 * `predeploys.ts`, so that a change of the embedded code cannot go unnoticed.
 */
const MULTICALL3 = {
  address: "0xca11bde05977b3631167028862be2a173976ca11",
  codeHash: "0xd5c15df687b16f2ff992fc8d767b4216323184a2bbc6ee2f9c398c318e770891",
  codeBytes: 3_808,
};
const CREATE2_DEPLOYER = {
  address: "0x4e59b44847b379578588920ca78fbf26c0b4956c",
  codeHash: "0x2fa86add0aed31f33a762c9d88e807c475bd51d0f52bd0955754b2608f7e4989",
  codeBytes: 69,
};

const MULTICALL3_ABI = parseAbi([
  "struct Call3 { address target; bool allowFailure; bytes callData; }",
  "struct Result { bool success; bytes returnData; }",
  "function aggregate3(Call3[] calls) payable returns (Result[] returnData)",
  "function getBlockNumber() view returns (uint256 blockNumber)",
  "function getEthBalance(address addr) view returns (uint256 balance)",
]);

describe("genesisStateDiff", () => {
  it("places Multicall3 and the CREATE2 deployer with their published code", () => {
    const diff = genesisStateDiff(new Map());
    for (const expected of [MULTICALL3, CREATE2_DEPLOYER]) {
      const entry = diff.accounts.find((a) => bytesToHex(a.address) === expected.address);
      expect(entry?.account?.nonce).toBe(1n);
      expect(bytesToHex(entry!.account!.codeHash)).toBe(expected.codeHash);
      const code = diff.code.get(expected.codeHash);
      expect(code?.length).toBe(expected.codeBytes);
      expect(bytesToHex(keccak256(code!))).toBe(expected.codeHash);
    }
    expect(PREDEPLOYS.map((p) => bytesToHex(p.address))).toEqual([
      MULTICALL3.address,
      CREATE2_DEPLOYER.address,
    ]);
  });

  it("keeps allocations and refuses one at a predeploy's address", () => {
    const diff = genesisStateDiff(
      new Map([
        ["0x00000000000000000000000000000000000000AA", { balance: 5n, code: new Uint8Array([0x00]) }],
      ]),
    );
    const entry = diff.accounts.find(
      (a) => bytesToHex(a.address) === "0x00000000000000000000000000000000000000aa",
    );
    expect(entry?.account).toEqual({ nonce: 1n, balance: 5n, codeHash: keccak256(new Uint8Array([0x00])) });
    expect(diff.accounts.map((a) => bytesToHex(a.address))).toEqual(
      [...diff.accounts.map((a) => bytesToHex(a.address))].sort(),
    );
    expect(() =>
      genesisStateDiff(new Map([[MULTICALL3.address.toUpperCase().replace("0X", "0x"), { balance: 1n }]])),
    ).toThrow(/collides with a predeployed contract/);
  });
});

describe("predeploys on a running chain", () => {
  let chain: TestChain;
  beforeAll(async () => {
    chain = await TestChain.create();
  });

  it("aggregates calls through Multicall3, with and without allowed failures", async () => {
    const { alice, token, probe } = chain;
    const calls = [
      {
        target: bytesToHex(chain.tokenAddress),
        allowFailure: false,
        callData: encodeCall(token.abi, "balanceOf", [alice.hex]),
      },
      {
        target: MULTICALL3.address,
        allowFailure: false,
        callData: encodeCall(MULTICALL3_ABI, "getBlockNumber"),
      },
      {
        target: MULTICALL3.address,
        allowFailure: false,
        callData: encodeCall(MULTICALL3_ABI, "getEthBalance", [alice.hex]),
      },
      {
        target: bytesToHex(chain.probeAddress),
        allowFailure: true,
        callData: encodeCall(probe.abi, "check", [10n]),
      },
    ].map((c) => ({ ...c, callData: bytesToHex(c.callData) as `0x${string}` }));
    const env = chain.env({ height: 42 });
    const result = await chain.executor.call({
      base: chain.state,
      env,
      request: {
        to: hexToBytes(MULTICALL3.address),
        data: encodeCall(MULTICALL3_ABI, "aggregate3", [calls]),
      },
    });
    expect(result.kind).toBe("success");
    const decoded = decodeFunctionResult({
      abi: MULTICALL3_ABI,
      functionName: "aggregate3",
      data: bytesToHex(result.kind === "success" ? result.returnData : new Uint8Array()) as `0x${string}`,
    });
    expect(decoded.map((r) => r.success)).toEqual([true, true, true, false]);
    expect(BigInt(decoded[0]!.returnData)).toBe(chain.tokenBalance(alice.address));
    expect(BigInt(decoded[1]!.returnData)).toBe(42n);
    expect(BigInt(decoded[2]!.returnData)).toBe(chain.state.getAccount(alice.address)!.balance);

    const strict = calls.map((c) => ({ ...c, allowFailure: false }));
    const reverted = await chain.executor.call({
      base: chain.state,
      env,
      request: {
        to: hexToBytes(MULTICALL3.address),
        data: encodeCall(MULTICALL3_ABI, "aggregate3", [strict]),
      },
    });
    expect(reverted.kind).toBe("revert");
  });

  it("deploys through the CREATE2 deployer at the address CREATE2 predicts", async () => {
    const salt = keccak256(new TextEncoder().encode("salt"));
    const initCode = chain.probe.bytecode;
    const expected = getCreate2Address({
      from: CREATE2_DEPLOYER.address as `0x${string}`,
      salt,
      bytecode: initCode,
    });
    const request = {
      from: chain.bob.address,
      to: hexToBytes(CREATE2_DEPLOYER.address),
      data: concatBytes(salt, initCode),
    };
    const called = await chain.executor.call({ base: chain.state, env: chain.env(), request });
    expect(bytesToHex(called.kind === "success" ? called.returnData : new Uint8Array())).toBe(
      expected.toLowerCase(),
    );
    const execution = await chain.commit([chain.tx(chain.bob, { ...request, gasLimit: 2_000_000n })]);
    expect(execution.receipts[0]!.status).toBe(1);
    const deployed = chain.state.getAccount(hexToBytes(expected));
    expect(deployed?.codeHash).toEqual(keccak256(chain.probe.deployedBytecode));
  });
});
