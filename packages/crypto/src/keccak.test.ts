import { bytesToHex, utf8ToBytes } from "@charter/utils";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { keccak256 as ethersKeccak256 } from "ethers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keccak256 } from "./keccak.js";

describe("keccak256", () => {
  it("matches the published Keccak-256 values, not NIST SHA3-256", () => {
    expect(bytesToHex(keccak256(new Uint8Array()))).toBe(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
    expect(bytesToHex(keccak256(utf8ToBytes("abc")))).toBe(
      "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
    );
    // The ERC-20 Transfer event topic.
    expect(bytesToHex(keccak256(utf8ToBytes("Transfer(address,address,uint256)")))).toBe(
      "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
    );
  });

  it("agrees with ethers on random inputs, including ones longer than the 136-byte rate", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => {
        expect(bytesToHex(keccak256(data))).toBe(ethersKeccak256(data));
        expect(keccak256(data)).toEqual(keccak_256(data));
      }),
      { numRuns: 300 },
    );
  });
});
