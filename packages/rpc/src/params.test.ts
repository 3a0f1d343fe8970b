import { describe, expect, it } from "vitest";
import { parseBlockNumberOrHash } from "./blockTag.js";
import { ParamError, parseData, parseQuantity, parseStorageKey, parseUint64 } from "./params.js";

function message(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof ParamError) return error.message;
    throw error;
  }
  throw new Error("did not fail");
}

describe("quantities", () => {
  it("accepts canonical quantities only", () => {
    expect(parseQuantity("0x0")).toBe(0n);
    expect(parseQuantity("0xAbC")).toBe(0xabcn);
    expect(parseQuantity(`0x${"f".repeat(64)}`)).toBe(2n ** 256n - 1n);
    expect(message(() => parseQuantity("0x00"))).toBe("hex number with leading zero digits");
    expect(message(() => parseQuantity("0x"))).toBe('hex string "0x"');
    expect(message(() => parseQuantity("12"))).toBe('hex string without 0x prefix: "12"');
    expect(message(() => parseQuantity(`0x1${"0".repeat(64)}`))).toBe("hex number > 256 bits");
    expect(message(() => parseQuantity(12))).toBe("expected a hex quantity, got number");
    expect(parseUint64("0xffffffffffffffff")).toBe(2n ** 64n - 1n);
    expect(message(() => parseUint64("0x10000000000000000"))).toBe("hex number > 64 bits");
  });

  it("does not spend time on huge numbers", () => {
    expect(message(() => parseQuantity(`0x1${"0".repeat(1_000_000)}`))).toBe("hex number > 256 bits");
  });
});

describe("data", () => {
  it("decodes even-length hex of either case", () => {
    expect(parseData("0x")).toEqual(new Uint8Array(0));
    expect(parseData("0x0aFf")).toEqual(new Uint8Array([0x0a, 0xff]));
    expect(message(() => parseData("0x0"))).toBe("hex string has odd length");
    expect(message(() => parseData("0xgg"))).toBe('invalid hex string: "0xgg"');
    expect(message(() => parseData(null))).toBe("expected a hex string, got null");
  });

  it("left-pads short storage keys to 32 bytes", () => {
    expect(parseStorageKey("0x1")).toEqual(Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 1 : 0)));
    expect(message(() => parseStorageKey(`0x${"00".repeat(33)}`))).toBe(
      "hex string too long, want at most 32 bytes",
    );
  });
});

describe("block selectors", () => {
  it("parses tags, numbers, hashes and EIP-1898 objects", () => {
    const hash = `0x${"ab".repeat(32)}`;
    expect(parseBlockNumberOrHash("safe")).toEqual({ kind: "tag", tag: "safe" });
    expect(parseBlockNumberOrHash("0x10")).toEqual({ kind: "number", number: 16n });
    expect(parseBlockNumberOrHash(hash)).toMatchObject({ kind: "hash", requireCanonical: false });
    expect(parseBlockNumberOrHash({ blockHash: hash, requireCanonical: true })).toMatchObject({
      kind: "hash",
      requireCanonical: true,
    });
    expect(parseBlockNumberOrHash({ blockNumber: "finalized" })).toEqual({ kind: "tag", tag: "finalized" });
    expect(message(() => parseBlockNumberOrHash({ blockHash: hash, requireCanonical: "yes" }))).toBe(
      'field "requireCanonical": expected a boolean, got string',
    );
    expect(message(() => parseBlockNumberOrHash(7))).toBe(
      "expected a block tag, number, hash or EIP-1898 object, got number",
    );
  });
});
