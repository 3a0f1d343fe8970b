import { concatBytes, hexToBytes, utf8ToBytes } from "@charter/utils";
import { describe, expect, it } from "vitest";
import { revertMessage } from "./revert.js";

function word(value: bigint): Uint8Array {
  return hexToBytes(`0x${value.toString(16).padStart(64, "0")}`);
}

function errorString(text: string): Uint8Array {
  const bytes = utf8ToBytes(text);
  const padded = new Uint8Array(Math.ceil(bytes.length / 32) * 32);
  padded.set(bytes);
  return concatBytes(hexToBytes("0x08c379a0"), word(32n), word(BigInt(bytes.length)), padded);
}

describe("revertMessage", () => {
  it("decodes Error(string), including UTF-8 and empty reasons", () => {
    // The exact bytes solc emits for require(false, "user error") (geth's conformance fixture).
    const fixture = hexToBytes(
      "0x08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000000a75736572206572726f7200000000000000000000000000000000000000000000",
    );
    expect(revertMessage(fixture)).toBe("execution reverted: user error");
    expect(revertMessage(errorString("余额不足"))).toBe("execution reverted: 余额不足");
    expect(revertMessage(errorString(""))).toBe("execution reverted: ");
  });

  it("decodes panics with their meaning and code", () => {
    const panic = (code: bigint) => revertMessage(concatBytes(hexToBytes("0x4e487b71"), word(code)));
    expect(panic(0x01n)).toBe("execution reverted: panic: assert(false) (0x1)");
    expect(panic(0x12n)).toBe("execution reverted: panic: division or modulo by zero (0x12)");
    expect(panic(0x99n)).toBe("execution reverted: panic: unknown panic code (0x99)");
  });

  it("falls back to the bare message for custom errors and malformed data", () => {
    expect(revertMessage(new Uint8Array(0))).toBe("execution reverted");
    expect(revertMessage(hexToBytes("0xdeadbeef"))).toBe("execution reverted");
    // Offset points past the end.
    expect(revertMessage(concatBytes(hexToBytes("0x08c379a0"), word(1000n), word(1n)))).toBe(
      "execution reverted",
    );
    // Length larger than the data.
    expect(revertMessage(concatBytes(hexToBytes("0x08c379a0"), word(32n), word(2n ** 200n)))).toBe(
      "execution reverted",
    );
    expect(revertMessage(hexToBytes("0x08c379a0"))).toBe("execution reverted");
    expect(revertMessage(concatBytes(hexToBytes("0x4e487b71"), word(1n), word(1n)))).toBe(
      "execution reverted",
    );
  });

  it("caps very long reasons", () => {
    expect(revertMessage(errorString("x".repeat(5000))).length).toBeLessThan(1100);
  });
});
