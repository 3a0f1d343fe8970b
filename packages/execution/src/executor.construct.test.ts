import { keccak256 } from "@charter/crypto";
import { bytesToHex, hexToBytes } from "@charter/utils";
import { describe, expect, it } from "vitest";
import { Executor } from "./executor.js";
import type { StateReader } from "./stateReader.js";

const executor = new Executor({ chainId: 7345n, blockHash: async () => undefined });
const env = {
  height: 0,
  timestampMs: 1_700_000_000_000,
  proposer: new Uint8Array(20),
  gasLimit: 30_000_000n,
};
const empty: StateReader = {
  getAccount: () => undefined,
  getStorage: () => new Uint8Array(32),
  getCode: () => new Uint8Array(0),
};

describe("Executor.construct", () => {
  it("returns the deployed code and the constructor's storage, without touching the base state", async () => {
    // SSTORE(0, 42); SSTORE(1, 0); then return one byte of runtime code, 0x00 (STOP).
    const initCode = hexToBytes("0x602a6000556000600155600060005360016000f3");
    const outcome = await executor.construct({ base: empty, env, initCode, gasLimit: 1_000_000n });
    expect(outcome.kind).toBe("success");
    if (outcome.kind !== "success") return;
    expect(bytesToHex(outcome.code)).toBe("0x00");
    // Slot 1 was written with zero: it is left out.
    expect([...outcome.storage.entries()].map(([slot, value]) => [slot, bytesToHex(value)])).toEqual([
      [bytesToHex(new Uint8Array(32)), `0x${"00".repeat(31)}2a`],
    ]);
    expect(keccak256(outcome.code)).toHaveLength(32);
  });

  it("reports a reverting constructor with its data, and takes init code beyond the EIP-3860 limit", async () => {
    const reverting = await executor.construct({
      base: empty,
      env,
      initCode: hexToBytes("0x60ff60005360016000fd"),
      gasLimit: 1_000_000n,
    });
    expect(reverting).toMatchObject({ kind: "revert" });
    if (reverting.kind === "revert") expect(bytesToHex(reverting.returnData)).toBe("0xff");
    // STOP followed by 60 KiB of constructor arguments: more than the 48 KiB a transaction may carry.
    const large = new Uint8Array(60 * 1024);
    const outcome = await executor.construct({ base: empty, env, initCode: large, gasLimit: 10_000_000n });
    expect(outcome.kind).toBe("success");
    if (outcome.kind === "success") expect(outcome.code).toHaveLength(0);
  });
});
