import { keccak256 } from "@charter/crypto";
import { bytesToHex, hexToBytes } from "@charter/utils";
import { Bloom } from "@ethereumjs/vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Log } from "./block.js";
import { bloomContains, bloomMatches, logsBloom, orBlooms } from "./bloom.js";

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const logArb: fc.Arbitrary<Log> = fc.record({
  address: bytes(20),
  topics: fc.array(bytes(32), { maxLength: 4 }),
  data: fc.uint8Array({ maxLength: 8 }),
});

function ethereumjsBloom(logs: readonly Log[]): Uint8Array {
  const bloom = new Bloom();
  for (const log of logs) {
    bloom.add(log.address);
    for (const topic of log.topics) bloom.add(topic);
  }
  return bloom.bitvector;
}

const TRANSFER = hexToBytes("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
const TOKEN = hexToBytes("0xdac17f958d2ee523a2206206994597c13d831ec7");

describe("logsBloom", () => {
  it("sets exactly the three bits the yellow paper derives from Keccak-256", () => {
    // keccak256(TOKEN) starts 0xab14 0xd688 0x02a7; masked to 11 bits these are bits 788, 1672 and 679, and
    // bit b lives in byte 255 - b/8 (the bloom is big-endian).
    expect(bytesToHex(keccak256(TOKEN).subarray(0, 6))).toBe("0xab14d68802a7");
    const bloom = logsBloom([{ address: TOKEN, topics: [], data: new Uint8Array() }]);
    expect(setBits(bloom)).toEqual([679, 788, 1672]);
    expect(setBits(bloom)).toEqual(
      setBits(ethereumjsBloom([{ address: TOKEN, topics: [], data: new Uint8Array() }])),
    );
  });

  it("equals @ethereumjs/vm's Bloom for random logs", () => {
    fc.assert(
      fc.property(fc.array(logArb, { maxLength: 6 }), (logs) => {
        expect(bytesToHex(logsBloom(logs))).toBe(bytesToHex(ethereumjsBloom(logs)));
      }),
      { numRuns: 200 },
    );
  });

  it("is all zeros for no logs", () => {
    expect(logsBloom([])).toEqual(new Uint8Array(256));
  });
});

function setBits(bloom: Uint8Array): number[] {
  const bits: number[] = [];
  for (let bit = 0; bit < 2048; bit++) if (bloom[255 - (bit >> 3)]! & (1 << (bit & 7))) bits.push(bit);
  return bits;
}

describe("bloomContains / bloomMatches / orBlooms", () => {
  const log: Log = { address: TOKEN, topics: [TRANSFER, new Uint8Array(32).fill(1)], data: new Uint8Array() };
  const bloom = logsBloom([log]);
  const absent = new Uint8Array(32).fill(0xee);

  it("finds every added value", () => {
    fc.assert(
      fc.property(fc.array(logArb, { minLength: 1, maxLength: 5 }), (logs) => {
        const bloom = logsBloom(logs);
        for (const l of logs) {
          expect(bloomContains(bloom, l.address)).toBe(true);
          for (const topic of l.topics) expect(bloomContains(bloom, topic)).toBe(true);
          expect(bloomMatches(bloom, { address: l.address, topics: l.topics })).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("applies eth_getLogs filter semantics", () => {
    expect(bloomContains(bloom, absent)).toBe(false);
    expect(bloomMatches(bloom, {})).toBe(true);
    expect(bloomMatches(new Uint8Array(256), {})).toBe(true);
    expect(bloomMatches(bloom, { address: [] })).toBe(true);
    expect(bloomMatches(bloom, { address: TOKEN })).toBe(true);
    expect(bloomMatches(bloom, { address: [absent, TOKEN] })).toBe(true);
    expect(bloomMatches(bloom, { address: absent })).toBe(false);
    expect(bloomMatches(bloom, { address: [absent] })).toBe(false);
    expect(bloomMatches(bloom, { topics: [TRANSFER] })).toBe(true);
    expect(bloomMatches(bloom, { topics: [null, [absent, log.topics[1]!]] })).toBe(true);
    expect(bloomMatches(bloom, { topics: [[], TRANSFER] })).toBe(true);
    expect(bloomMatches(bloom, { topics: [TRANSFER, absent] })).toBe(false);
    expect(bloomMatches(bloom, { address: TOKEN, topics: [[absent]] })).toBe(false);
  });

  it("unions blooms", () => {
    const other = logsBloom([{ address: absent.subarray(0, 20), topics: [], data: new Uint8Array() }]);
    const union = orBlooms([bloom, other]);
    expect(bloomContains(union, TOKEN)).toBe(true);
    expect(bloomContains(union, absent.subarray(0, 20))).toBe(true);
    expect(orBlooms([])).toEqual(new Uint8Array(256));
    const direct = logsBloom([log, { address: absent.subarray(0, 20), topics: [], data: new Uint8Array() }]);
    expect(union).toEqual(direct);
  });
});
