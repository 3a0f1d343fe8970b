import { SYSTEM_CONTRACT_ERRORS } from "@charter/governance";
import { BaseError, ContractFunctionRevertedError, encodeErrorResult, type Hex, stringToHex } from "viem";
import { describe, expect, it } from "vitest";
import {
  accountStatusAbi,
  committeeAbi,
  errorSignature,
  nodeRegistryAbi,
  orgRegistryAbi,
  SYSTEM_CONTRACT_ABIS,
  systemContractErrorsAbi,
} from "./contracts.js";
import { charterRevertOf, decodeCharterRevert, revertDataOf } from "./revert.js";

const member = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

describe("decodeCharterRevert", () => {
  it("names a Committee error with its arguments", () => {
    const data = encodeErrorResult({ abi: committeeAbi, errorName: "AlreadyVoted", args: [3n, member] });
    expect(decodeCharterRevert(data)).toMatchObject({
      name: "AlreadyVoted",
      signature: "AlreadyVoted(uint256,address)",
      message: `AlreadyVoted(3, ${member})`,
      data,
    });
  });

  it("shows enums by name and organization ids as text", () => {
    const closed = encodeErrorResult({ abi: committeeAbi, errorName: "ProposalClosed", args: [4n, 2] });
    expect(decodeCharterRevert(closed)?.message).toBe("ProposalClosed(4, executed)");
    const org = encodeErrorResult({
      abi: orgRegistryAbi,
      errorName: "OrgHasNodes",
      args: [stringToHex("bank", { size: 32 }), 2n],
    });
    expect(decodeCharterRevert(org)?.message).toBe('OrgHasNodes("bank", 2)');
  });

  it("decodes the target's own error inside ExecutionFailed", () => {
    const inner = encodeErrorResult({ abi: accountStatusAbi, errorName: "AccountAbolished", args: [member] });
    const data = encodeErrorResult({ abi: committeeAbi, errorName: "ExecutionFailed", args: [7n, inner] });
    const revert = decodeCharterRevert(data);
    expect(revert?.message).toBe(`ExecutionFailed(7, AccountAbolished(${member}))`);
    expect(revert?.cause?.name).toBe("AccountAbolished");
    const bare = encodeErrorResult({ abi: committeeAbi, errorName: "ExecutionFailed", args: [7n, "0x"] });
    expect(decodeCharterRevert(bare)?.message).toBe("ExecutionFailed(7, no reason)");
  });

  it("knows every error of every system contract, once", () => {
    const names = new Set(
      Object.values(SYSTEM_CONTRACT_ABIS).flatMap((abi) =>
        abi.filter((item) => item.type === "error").map((item) => (item as { name: string }).name),
      ),
    );
    expect(new Set(systemContractErrorsAbi.map((e) => e.name))).toEqual(names);
    // `OnlyCommittee` is declared in five contracts and `InvalidWeight` in two, with the same signatures.
    const onlyCommittee = encodeErrorResult({
      abi: nodeRegistryAbi,
      errorName: "OnlyCommittee",
      args: [member],
    });
    expect(decodeCharterRevert(onlyCommittee)?.message).toBe(`OnlyCommittee(${member})`);
  });

  it("decodes every selector of the artifacts' SYSTEM_CONTRACT_ERRORS table to its signature", () => {
    for (const [selector, signature] of Object.entries(SYSTEM_CONTRACT_ERRORS)) {
      const item = systemContractErrorsAbi.find((e) => errorSignature(e) === signature);
      expect(item, signature).toBeDefined();
      const data = encodeErrorResult({
        abi: [item!],
        errorName: item!.name,
        args: item!.inputs.map((input) =>
          input.type === "address"
            ? member
            : input.type === "bytes"
              ? "0x"
              : input.type === "bytes32"
                ? `0x${"00".repeat(32)}`
                : 1n,
        ),
      } as never);
      expect(data.slice(0, 10)).toBe(selector);
      expect(decodeCharterRevert(data)?.signature).toBe(signature);
    }
  });

  it("decodes Solidity's Error(string) and leaves unknown data alone", () => {
    const reason = encodeErrorResult({
      abi: [{ type: "error", name: "Error", inputs: [{ type: "string", name: "message" }] }],
      errorName: "Error",
      args: ["nope"],
    });
    expect(decodeCharterRevert(reason)?.message).toBe('Error("nope")');
    expect(decodeCharterRevert("0x12345678")).toBeUndefined();
    expect(decodeCharterRevert("0x")).toBeUndefined();
  });
});

describe("charterRevertOf", () => {
  it("finds the revert data in viem's error chain", () => {
    const data = encodeErrorResult({ abi: committeeAbi, errorName: "NotMember", args: [member] });
    const reverted = new ContractFunctionRevertedError({ abi: committeeAbi, data, functionName: "vote" });
    const wrapped = new BaseError("The contract function failed", { cause: reverted });
    expect(charterRevertOf(wrapped)?.message).toBe(`NotMember(${member})`);
  });

  it("finds it in an RPC error's data ({ code: 3, data }) and in nested data objects", () => {
    const data = encodeErrorResult({ abi: committeeAbi, errorName: "UnknownProposal", args: [9n] });
    const rpc = Object.assign(new Error("execution reverted"), { code: 3, data });
    expect(charterRevertOf(new Error("outer", { cause: rpc }))?.message).toBe("UnknownProposal(9)");
    expect(revertDataOf({ data: { data } })).toBe(data);
    expect(revertDataOf(new Error("no data"))).toBeUndefined();
    expect(charterRevertOf({ data: "0x12345678" as Hex })).toBeUndefined();
  });
});
