import { describe, expect, it } from "vitest";
import type { ConsensusMutations } from "../../src/index.js";
import { runSeeds } from "./runSeeds.js";
import { runSeed, type SimOptions } from "./simulator.js";

describe("consensus simulator", () => {
  it("1,000 seeds with 4 validators: no violation, commit within f+2 rounds of heal", () => {
    const summary = runSeeds({ first: 1, count: 1000, options: { validators: 4, heights: 3 } });
    expect(summary.violations).toEqual([]);
    expect(summary.healToCommit.max).toBeLessThanOrEqual(3);
  });

  it("150 seeds with 7 validators (f = 2): no violation", () => {
    const summary = runSeeds({ first: 1, count: 150, options: { validators: 7, heights: 2 } });
    expect(summary.violations).toEqual([]);
    expect(summary.healToCommit.max).toBeLessThanOrEqual(4);
  });

  it("regression: the seeds beyond 1,000 that stalled in round 0 before the precommit relay", () => {
    // In each, one honest node left round 0 on a precommit quorum that held a byzantine precommit the other two
    // honest nodes never received, and they waited in round 0 for good (spec sections 6 and 11.2).
    for (const seed of [2478, 19870, 29411]) {
      const result = runSeed(seed, { validators: 4, heights: 3 });
      expect(result.violations).toEqual([]);
      expect(result.healToCommitRounds).toBeLessThanOrEqual(3);
    }
  });

  it("a seed reproduces bit for bit", () => {
    for (const seed of [3, 77, 901]) {
      const a = runSeed(seed, { validators: 4 });
      const b = runSeed(seed, { validators: 4 });
      expect(b.traceHash).toBe(a.traceHash);
      expect(b.events).toBe(a.events);
    }
  });

  it("real ECDSA signatures in a sample of seeds", () => {
    const summary = runSeeds({
      first: 5000,
      count: 10,
      options: { validators: 4, heights: 2, realCrypto: true },
    });
    expect(summary.violations).toEqual([]);
  });

  // Negative controls: each planted bug (mutations.ts) must be caught within 1,000 seeds.
  const mutants: [keyof ConsensusMutations, SimOptions][] = [
    ["quorumTwoF", {}],
    ["forgetLockOnRestart", {}],
    ["skipSignatureCheck", { byzantine: "always" }],
    ["countVotesTwice", {}],
    ["acceptNonValidatorVotes", { outsider: "always" }],
  ];
  for (const [mutation, extra] of mutants) {
    it(`catches the planted bug ${mutation} within 1,000 seeds`, () => {
      const summary = runSeeds({
        first: 1,
        count: 1000,
        options: { validators: 4, heights: 3, mutations: { [mutation]: true }, ...extra },
        stopAtFirst: true,
      });
      expect(summary.violations.filter((v) => v.kind !== "liveness").length).toBeGreaterThan(0);
    });
  }
});
