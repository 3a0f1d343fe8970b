import { concatBytes } from "@charter/utils";
import { type NestedUint8Array, RLP } from "@ethereumjs/rlp";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError } from "./errors.js";
import { decodeRlp } from "./rlp.js";

const deep = { depthMax: 64, label: "test item" };

type Tree = Uint8Array | Tree[];
const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.uint8Array({ maxLength: 80 }),
    fc.array(tie("tree"), { maxLength: 5 }),
  ),
})).tree;

function depthOf(tree: Tree): number {
  return Array.isArray(tree) ? 1 + Math.max(0, ...tree.map(depthOf)) : 0;
}

describe("decodeRlp", () => {
  it("decodes what @ethereumjs/rlp encodes", () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        expect(decodeRlp(RLP.encode(tree as NestedUint8Array), deep)).toEqual(tree);
      }),
      { numRuns: 300 },
    );
  });

  it("accepts exactly the inputs @ethereumjs/rlp accepts, for random and mutated encodings", () => {
    const mutatedArb = fc
      .tuple(treeArb, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 3 }))
      .map(([tree, at, byte, cut]) => {
        const bytes = RLP.encode(tree as NestedUint8Array).slice();
        if (bytes.length > 0) bytes[at % bytes.length] = byte;
        return bytes.subarray(0, Math.max(0, bytes.length - cut));
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutatedArb), (bytes) => {
        let theirs: unknown;
        let theirsFailed = bytes.length === 0; // @ethereumjs/rlp returns an empty string for empty input
        try {
          if (!theirsFailed) theirs = RLP.decode(bytes);
        } catch {
          theirsFailed = true;
        }
        let ours: unknown;
        let oursFailed = false;
        try {
          ours = decodeRlp(bytes, deep);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
          oursFailed = true;
        }
        expect(oursFailed).toBe(theirsFailed);
        if (!oursFailed) expect(ours).toEqual(theirs);
      }),
      { numRuns: 2000 },
    );
  });

  it("bounds the nesting depth", () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        const bytes = RLP.encode(tree as NestedUint8Array);
        const depth = depthOf(tree);
        expect(() => decodeRlp(bytes, { depthMax: depth, label: "x" })).not.toThrow();
        if (depth > 0) {
          expect(() => decodeRlp(bytes, { depthMax: depth - 1, label: "x" })).toThrow(/deeper than/);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("reports empty input, trailing bytes and lengths beyond the input", () => {
    expect(() => decodeRlp(new Uint8Array(0), deep)).toThrow(/The test item is not valid RLP: it is empty/);
    expect(() => decodeRlp(Uint8Array.of(0x01, 0x02), deep)).toThrow(/1 trailing bytes/);
    expect(() =>
      decodeRlp(Uint8Array.of(0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), deep),
    ).toThrow(/claims more bytes/);
    expect(() => decodeRlp(concatBytes(Uint8Array.of(0xb9, 0x01, 0x00), new Uint8Array(255)), deep)).toThrow(
      /container ends first/,
    );
  });
});
