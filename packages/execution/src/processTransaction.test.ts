import { bigintToFixedBytes } from "@charter/utils";
import { createFeeMarket1559Tx, getCalldataFloorGas } from "@ethereumjs/tx";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { effectiveGasPrice, intrinsicGas } from "./processTransaction.js";
import { CHAIN_ID, createTestCommon } from "./testdata/txs.js";

const common = createTestCommon();

describe("intrinsicGas", () => {
  it("matches @ethereumjs/tx's intrinsic gas and EIP-7623 floor for any calldata, creation and access list", () => {
    const bytes = fc.uint8Array({ maxLength: 300 }).chain((random) =>
      // Half the bytes zero, so that both calldata prices are exercised.
      fc.constant(random.map((b) => (b % 2 === 0 ? 0 : b))),
    );
    const accessList = fc.array(
      fc.record({
        address: fc.uint8Array({ minLength: 20, maxLength: 20 }),
        storageKeys: fc.array(
          fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }).map((k) => bigintToFixedBytes(k, 32)),
          {
            maxLength: 3,
          },
        ),
      }),
      { maxLength: 3 },
    );
    fc.assert(
      fc.property(bytes, fc.boolean(), accessList, (data, create, list) => {
        const to = create ? null : new Uint8Array(20).fill(0x11);
        const reference = createFeeMarket1559Tx(
          {
            chainId: CHAIN_ID,
            gasLimit: 10_000_000n,
            data,
            ...(to ? { to } : {}),
            accessList: list.map((item) => [item.address, [...item.storageKeys]]),
          },
          { common },
        );
        const ours = intrinsicGas({ to, data, accessList: list });
        expect(ours.intrinsic).toBe(reference.getIntrinsicGas());
        expect(ours.floor).toBe(getCalldataFloorGas(reference));
      }),
      { numRuns: 300 },
    );
  });

  it("charges two gas per word of init code on top of the creation cost (EIP-3860)", () => {
    const call = intrinsicGas({ to: new Uint8Array(20), data: new Uint8Array(33), accessList: [] });
    const create = intrinsicGas({ to: null, data: new Uint8Array(33), accessList: [] });
    expect(create.intrinsic - call.intrinsic).toBe(32_000n + 2n * 2n);
  });
});

describe("effectiveGasPrice", () => {
  it("is the tip, capped by the fee cap, since the base fee is zero", () => {
    expect(effectiveGasPrice({ maxFeePerGas: 10n, maxPriorityFeePerGas: 3n })).toBe(3n);
    expect(effectiveGasPrice({ maxFeePerGas: 4n, maxPriorityFeePerGas: 4n })).toBe(4n);
    expect(effectiveGasPrice({ maxFeePerGas: 0n, maxPriorityFeePerGas: 0n })).toBe(0n);
  });
});
