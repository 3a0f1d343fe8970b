import { Bloom } from "@ethereumjs/vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bloomBits, bloomHasBits as bloomMayContain, logsBloom } from "./bloom.js";

describe("logsBloom", () => {
  it("matches @ethereumjs/vm's bloom for random logs", () => {
    const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
    const log = fc.record({
      address: bytes(20),
      topics: fc.array(bytes(32), { maxLength: 4 }),
      data: bytes(0),
    });
    fc.assert(
      fc.property(fc.array(log, { maxLength: 5 }), (logs) => {
        const reference = new Bloom();
        for (const l of logs) {
          reference.add(l.address);
          for (const t of l.topics) reference.add(t);
        }
        expect(logsBloom(logs)).toEqual(reference.bitvector);
      }),
      { numRuns: 100 },
    );
  });

  it("never rules out a value that was added", () => {
    const address = new Uint8Array(20).fill(7);
    const bloom = logsBloom([{ address, topics: [], data: new Uint8Array(0) }]);
    expect(bloomMayContain(bloom, bloomBits(address))).toBe(true);
    expect(bloomMayContain(new Uint8Array(256), bloomBits(address))).toBe(false);
  });
});
