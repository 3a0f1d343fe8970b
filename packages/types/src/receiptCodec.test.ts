import { RLP } from "@ethereumjs/rlp";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Receipt } from "./block.js";
import { CodecError } from "./errors.js";
import { RECEIPT_LIMITS_DEFAULT } from "./limits.js";
import { decodeReceipt, encodeReceipt } from "./receiptCodec.js";

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const logArb = fc.record({
  address: bytes(20),
  topics: fc.array(bytes(32), { maxLength: 4 }),
  data: fc.uint8Array({ maxLength: 100 }),
});
const receiptArb: fc.Arbitrary<Receipt> = fc.record({
  status: fc.constantFrom(0 as const, 1 as const),
  gasUsed: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  cumulativeGasUsed: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  logs: fc.array(logArb, { maxLength: 4 }),
  contractAddress: fc.option(bytes(20), { nil: null }),
});

const sample: Receipt = {
  status: 1,
  gasUsed: 21_000n,
  cumulativeGasUsed: 42_000n,
  logs: [
    { address: new Uint8Array(20).fill(1), topics: [new Uint8Array(32).fill(2)], data: Uint8Array.of(3) },
  ],
  contractAddress: null,
};

function withField(index: number, value: unknown): Uint8Array {
  const fields = RLP.decode(encodeReceipt(sample)) as unknown[];
  return RLP.encode(fields.map((field, i) => (i === index ? value : field)) as Uint8Array[]);
}

describe("receipt codec", () => {
  it("round-trips any valid receipt", () => {
    fc.assert(
      fc.property(receiptArb, (receipt) => {
        const encoded = encodeReceipt(receipt);
        expect(decodeReceipt(encoded)).toEqual(receipt);
        expect(encodeReceipt(decodeReceipt(encoded))).toEqual(encoded);
      }),
      { numRuns: 300 },
    );
  });

  it("encodes [status, gasUsed, cumulativeGasUsed, contractAddress, logs]", () => {
    expect(RLP.decode(encodeReceipt(sample))).toEqual([
      Uint8Array.of(1),
      Uint8Array.of(0x52, 0x08),
      Uint8Array.of(0xa4, 0x10),
      new Uint8Array(0),
      [[sample.logs[0]!.address, [sample.logs[0]!.topics[0]], Uint8Array.of(3)]],
    ]);
    expect(encodeReceipt({ ...sample, status: 0, logs: [] })[1]).toBe(0x80);
  });

  it("refuses to encode invalid receipts", () => {
    const log = sample.logs[0]!;
    const bad: Receipt[] = [
      { ...sample, status: 2 as 0 },
      { ...sample, contractAddress: new Uint8Array(19) },
      { ...sample, gasUsed: -1n },
      { ...sample, logs: [{ ...log, topics: Array.from({ length: 5 }, () => new Uint8Array(32)) }] },
      { ...sample, logs: [{ ...log, topics: [new Uint8Array(31)] }] },
      { ...sample, logs: [{ ...log, address: new Uint8Array(32) }] },
    ];
    for (const receipt of bad) {
      expect(() => encodeReceipt(receipt)).toThrow(expect.objectContaining({ code: "invalid-value" }));
    }
  });

  it("refuses malformed encodings and enforces the limits", () => {
    const cases: [Uint8Array, RegExp][] = [
      [withField(0, 2n), /status: 2 is not 0 or 1/],
      [withField(0, Uint8Array.of(0)), /leading zero/],
      [withField(3, new Uint8Array(19)), /contractAddress/],
      [
        withField(4, [[new Uint8Array(20), [], new Uint8Array(0), new Uint8Array(0)]]),
        /expected a list of 3 items/,
      ],
      [
        withField(4, [
          [new Uint8Array(20), Array.from({ length: 5 }, () => new Uint8Array(32)), new Uint8Array(0)],
        ]),
        /5 topics/,
      ],
      [withField(4, [[new Uint8Array(20), [new Uint8Array(33)], new Uint8Array(0)]]), /log topic/],
      [RLP.encode([new Uint8Array(0)]), /expected a list of 5 items/],
    ];
    for (const [encoded, pattern] of cases) {
      expect(() => decodeReceipt(encoded)).toThrow(pattern);
      expect(() => decodeReceipt(encoded)).toThrow(CodecError);
    }
    const encoded = encodeReceipt({ ...sample, logs: [sample.logs[0]!, sample.logs[0]!] });
    expect(() => decodeReceipt(encoded, { limits: { ...RECEIPT_LIMITS_DEFAULT, logsMax: 1 } })).toThrow(
      /2 logs exceed the limit of 1/,
    );
    expect(() =>
      decodeReceipt(encoded, { limits: { ...RECEIPT_LIMITS_DEFAULT, receiptBytesMax: 10 } }),
    ).toThrow(expect.objectContaining({ code: "oversized" }));
  });
});
