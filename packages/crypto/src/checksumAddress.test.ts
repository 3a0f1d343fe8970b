import { hexToBytes } from "@charter/utils";
import { getAddress } from "viem";
import { describe, expect, it } from "vitest";
import { checksumAddress } from "./checksumAddress.js";

describe("checksumAddress", () => {
  it("matches EIP-55 as viem computes it", () => {
    for (const a of [
      "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
      "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
      "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359",
      "0x0000000000000000000000000000000000000000",
    ]) {
      expect(checksumAddress(hexToBytes(a))).toBe(getAddress(a));
    }
    expect(checksumAddress(hexToBytes("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"))).toBe(
      "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    );
  });
});
