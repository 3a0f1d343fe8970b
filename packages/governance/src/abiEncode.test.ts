import { bytesToHex, hexToBytes } from "@charter/utils";
import { encodeAbiParameters as viemEncode } from "viem";
import { describe, expect, it } from "vitest";
import { encodeAbiParameters } from "./abiEncode.js";

const a = (n: number) => new Uint8Array(20).fill(n);
const w = (n: number) => new Uint8Array(32).fill(n);
const hex = (bytes: Uint8Array) => bytesToHex(bytes) as `0x${string}`;

describe("encodeAbiParameters (the genesis' constructor arguments)", () => {
  it("matches viem for every shape the system contracts' constructors take", () => {
    const cases: [
      Parameters<typeof encodeAbiParameters>[0],
      unknown[],
      { type: string; components?: unknown[] }[],
      unknown[],
    ][] = [
      [
        ["uint", "uint"],
        [1000, 100_000_000n],
        [{ type: "uint256" }, { type: "uint64" }],
        [1000n, 100_000_000n],
      ],
      [[], [], [], []],
      [
        [{ array: "bytes32" }, { array: "string" }, { array: "bytes32" }],
        [
          [w(1), w(2)],
          ["org0", "Ünïcode name that is longer than thirty-two bytes"],
          [w(0), w(9)],
        ],
        [{ type: "bytes32[]" }, { type: "string[]" }, { type: "bytes32[]" }],
        [
          [hex(w(1)), hex(w(2))],
          ["org0", "Ünïcode name that is longer than thirty-two bytes"],
          [hex(w(0)), hex(w(9))],
        ],
      ],
      [
        [{ array: "bytes32" }, { array: "string" }, { array: "bytes32" }],
        [[], [], []],
        [{ type: "bytes32[]" }, { type: "string[]" }, { type: "bytes32[]" }],
        [[], [], []],
      ],
      [
        [{ array: { tuple: ["address", "bytes32", "uint", "uint", "bytes32", "bytes32"] } }, "bool"],
        [
          [
            [a(1), w(3), 2, 7, w(4), w(5)],
            [a(2), w(6), 1, 1, w(7), w(8)],
          ],
          true,
        ],
        [
          {
            type: "tuple[]",
            components: [
              { type: "address" },
              { type: "bytes32" },
              { type: "uint8" },
              { type: "uint96" },
              { type: "bytes32" },
              { type: "bytes32" },
            ],
          },
          { type: "bool" },
        ],
        [
          [
            [hex(a(1)), hex(w(3)), 2, 7n, hex(w(4)), hex(w(5))],
            [hex(a(2)), hex(w(6)), 1, 1n, hex(w(7)), hex(w(8))],
          ],
          true,
        ],
      ],
      [
        [{ array: "address" }, { array: "uint" }, "uint", "uint"],
        [[a(1), a(2), a(3)], [1, 2, 3], 6667, 5001],
        [{ type: "address[]" }, { type: "uint96[]" }, { type: "uint16" }, { type: "uint16" }],
        [[hex(a(1)), hex(a(2)), hex(a(3))], [1n, 2n, 3n], 6667, 5001],
      ],
      [
        [
          "uint",
          { array: "address" },
          { array: "address" },
          "uint",
          { array: "address" },
          { array: "address" },
        ],
        [1, [a(1)], [], 2, [], [a(2), a(3)]],
        [
          { type: "uint8" },
          { type: "address[]" },
          { type: "address[]" },
          { type: "uint8" },
          { type: "address[]" },
          { type: "address[]" },
        ],
        [1, [hex(a(1))], [], 2, [], [hex(a(2)), hex(a(3))]],
      ],
      [
        ["bytes", "string"],
        [new Uint8Array([1, 2, 3]), ""],
        [{ type: "bytes" }, { type: "string" }],
        ["0x010203", ""],
      ],
    ];
    for (const [types, values, viemTypes, viemValues] of cases) {
      const ours = bytesToHex(encodeAbiParameters(types, values));
      expect(ours).toBe(viemEncode(viemTypes as never, viemValues as never));
    }
  });

  it("refuses values that do not fit their type", () => {
    expect(() => encodeAbiParameters(["address"], [new Uint8Array(19)])).toThrow(/20 bytes/);
    expect(() => encodeAbiParameters(["uint"], [-1n])).toThrow(/out of range/);
    expect(() => encodeAbiParameters(["bytes32"], [hexToBytes("0x01")])).toThrow(/32 bytes/);
    expect(() => encodeAbiParameters(["uint", "uint"], [1])).toThrow(/2 types given 1 values/);
  });
});
