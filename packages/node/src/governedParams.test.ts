import type { ChainParam, GovernanceView } from "@charter/governance";
import { describe, expect, it } from "vitest";
import { applyPoolCap, readGovernedParams } from "./governedParams.js";

/** A view that answers only `chainParam`, which is all the node's parameters read. */
function viewOf(values: Partial<Record<ChainParam, bigint>>): GovernanceView {
  return { chainParam: (param: ChainParam) => values[param] ?? 0n } as unknown as GovernanceView;
}

describe("governed parameters", () => {
  it("reads the block interval and the pool caps from ChainParams; 0 leaves a cap to the node", () => {
    expect(
      readGovernedParams(viewOf({ blockIntervalMs: 500n, poolTxCountMax: 5_000n }), {
        fallbackBlockIntervalMs: 1_000,
      }),
    ).toEqual({ blockIntervalMs: 500, poolTxCountMax: 5_000, poolPerSenderMax: undefined });
    // A chain without system contracts reads zeros: the genesis interval applies.
    expect(readGovernedParams(viewOf({}), { fallbackBlockIntervalMs: 1_000 }).blockIntervalMs).toBe(1_000);
  });

  it("applies a pool cap as the smaller of the node's configuration and the cap", () => {
    expect(applyPoolCap(20_000, 5_000)).toBe(5_000);
    expect(applyPoolCap(1_000, 5_000)).toBe(1_000);
    expect(applyPoolCap(1_000, undefined)).toBe(1_000);
  });
});
