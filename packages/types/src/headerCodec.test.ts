import { createEcdsaSuite } from "@charter/crypto";
import { bytesToHex } from "@charter/utils";
import { RLP } from "@ethereumjs/rlp";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Header } from "./block.js";
import { CodecError } from "./errors.js";
import { decodeHeader, encodeHeader, hashHeader } from "./headerCodec.js";
import { HEADER_LIMITS_DEFAULT } from "./limits.js";

const suite = createEcdsaSuite();
const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const safeInteger = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

const headerArb: fc.Arbitrary<Header> = fc.record({
  parentHash: bytes(32),
  height: safeInteger,
  timestampMs: safeInteger,
  proposer: bytes(20),
  transactionsRoot: bytes(32),
  receiptsRoot: bytes(32),
  stateRoot: bytes(32),
  logsBloom: bytes(256),
  gasUsed: uint64,
  gasLimit: uint64,
  baseFeePerGas: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
  validatorsHash: bytes(32),
  lastCommit: fc.option(
    fc.record({
      height: safeInteger,
      round: safeInteger,
      blockHash: bytes(32),
      signatures: fc.array(fc.record({ validator: bytes(20), signature: bytes(65) }), { maxLength: 7 }),
    }),
    { nil: null },
  ),
  extraData: fc.uint8Array({ maxLength: 32 }),
});

function sampleHeader(overrides: Partial<Header> = {}): Header {
  return {
    parentHash: new Uint8Array(32).fill(1),
    height: 7,
    timestampMs: 1_700_000_000_123,
    proposer: new Uint8Array(20).fill(2),
    transactionsRoot: new Uint8Array(32).fill(3),
    receiptsRoot: new Uint8Array(32).fill(4),
    stateRoot: new Uint8Array(32).fill(5),
    logsBloom: new Uint8Array(256),
    gasUsed: 21_000n,
    gasLimit: 30_000_000n,
    baseFeePerGas: 0n,
    validatorsHash: new Uint8Array(32).fill(6),
    lastCommit: {
      height: 6,
      round: 0,
      blockHash: new Uint8Array(32).fill(7),
      signatures: [{ validator: new Uint8Array(20).fill(8), signature: new Uint8Array(65).fill(9) }],
    },
    extraData: new Uint8Array(0),
    ...overrides,
  };
}

/** The header's RLP fields, for building hostile variants. */
function fields(header: Header = sampleHeader()): unknown[] {
  return RLP.decode(encodeHeader(header)) as unknown[];
}

function withField(index: number, value: unknown): Uint8Array {
  return RLP.encode(fields().map((field, i) => (i === index ? value : field)) as Uint8Array[]);
}

function expectMalformed(encoded: Uint8Array, pattern: RegExp): void {
  expect(() => decodeHeader(encoded)).toThrow(pattern);
  expect(() => decodeHeader(encoded)).toThrow(CodecError);
}

describe("header codec", () => {
  it("round-trips any valid header", () => {
    fc.assert(
      fc.property(headerArb, (header) => {
        const encoded = encodeHeader(header);
        expect(decodeHeader(encoded)).toEqual(header);
        expect(encodeHeader(decodeHeader(encoded))).toEqual(encoded);
      }),
      { numRuns: 300 },
    );
  });

  it("lays the fields out in declaration order with lastCommit as a nested list", () => {
    const header = sampleHeader();
    const list = fields(header) as (Uint8Array | unknown[])[];
    expect(list).toHaveLength(14);
    expect(list[0]).toEqual(header.parentHash);
    expect(list[1]).toEqual(Uint8Array.of(7));
    expect(list[3]).toEqual(header.proposer);
    expect(list[10]).toEqual(new Uint8Array(0));
    expect(list[12]).toEqual([
      Uint8Array.of(6),
      new Uint8Array(0),
      header.lastCommit!.blockHash,
      [[header.lastCommit!.signatures[0]!.validator, header.lastCommit!.signatures[0]!.signature]],
    ]);
    expect(fields(sampleHeader({ lastCommit: null }))[12]).toEqual([]);
  });

  it("hashes the encoding with the suite's hash", () => {
    const header = sampleHeader();
    expect(hashHeader(header, suite)).toEqual(suite.hash(encodeHeader(header)));
    expect(bytesToHex(hashHeader(header, suite))).not.toBe(
      bytesToHex(hashHeader(sampleHeader({ height: 8 }), suite)),
    );
  });

  it("refuses to encode fields that do not fit", () => {
    const bad: Partial<Header>[] = [
      { parentHash: new Uint8Array(31) },
      { proposer: new Uint8Array(32) },
      { logsBloom: new Uint8Array(255) },
      { extraData: new Uint8Array(33) },
      { height: -1 },
      { height: 2 ** 53 },
      { timestampMs: 1.5 },
      { gasUsed: 2n ** 64n },
      { baseFeePerGas: -1n },
    ];
    for (const overrides of bad) {
      expect(() => encodeHeader(sampleHeader(overrides))).toThrow(
        expect.objectContaining({ code: "invalid-value" }),
      );
    }
  });

  it("refuses malformed encodings", () => {
    expectMalformed(RLP.encode(fields().slice(0, 13) as Uint8Array[]), /expected a list of 14 items, got 13/);
    expectMalformed(RLP.encode([...fields(), new Uint8Array()] as Uint8Array[]), /got 15/);
    expectMalformed(withField(0, new Uint8Array(31)), /header parentHash: expected 32 bytes/);
    expectMalformed(withField(3, new Uint8Array(21)), /header proposer/);
    expectMalformed(withField(7, new Uint8Array(257)), /header logsBloom/);
    expectMalformed(withField(13, new Uint8Array(33)), /header extraData: expected at most 32 bytes/);
    expectMalformed(withField(1, Uint8Array.of(0, 7)), /header height.*leading zero/);
    expectMalformed(withField(1, 2n ** 53n), /exceeds 2\^53 - 1/);
    expectMalformed(withField(8, 2n ** 64n), /header gasUsed/);
    expectMalformed(withField(12, [new Uint8Array(1)]), /lastCommit: expected an empty list or 4 items/);
    expectMalformed(withField(12, new Uint8Array(1)), /lastCommit: expected a list/);
    const commit = fields()[12] as unknown[];
    expectMalformed(
      withField(12, [...commit.slice(0, 3), [[new Uint8Array(19), new Uint8Array(65)]]]),
      /validator/,
    );
    expectMalformed(
      withField(12, [...commit.slice(0, 3), [[new Uint8Array(20)]]]),
      /expected a list of 2 items/,
    );
    expectMalformed(RLP.encode(new Uint8Array(10)), /expected a list/);
    expectMalformed(new Uint8Array([...encodeHeader(sampleHeader()), 0]), /trailing bytes/);
  });

  it("enforces the header limits", () => {
    const signatures = Array.from({ length: 3 }, () => ({
      validator: new Uint8Array(20),
      signature: new Uint8Array(65),
    }));
    const header = sampleHeader({
      lastCommit: { height: 1, round: 0, blockHash: new Uint8Array(32), signatures },
    });
    const encoded = encodeHeader(header);
    const limits = { ...HEADER_LIMITS_DEFAULT, commitSignaturesMax: 2 };
    expect(() => decodeHeader(encoded, { limits })).toThrow(/3 signatures exceed the limit of 2/);
    expect(() =>
      decodeHeader(encoded, { limits: { ...HEADER_LIMITS_DEFAULT, commitSignatureBytesMax: 64 } }),
    ).toThrow(/lastCommit signature: expected at most 64 bytes/);
    expect(() =>
      decodeHeader(encoded, { limits: { ...HEADER_LIMITS_DEFAULT, headerBytesMax: encoded.length - 1 } }),
    ).toThrow(expect.objectContaining({ code: "oversized" }));
    expect(
      decodeHeader(encoded, { limits: { ...HEADER_LIMITS_DEFAULT, headerBytesMax: encoded.length } }),
    ).toEqual(header);
  });
});
