import { createEcdsaSuite } from "@charter/crypto";
import { bytesToHex, concatBytes, utf8ToBytes } from "@charter/utils";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type HashFunction,
  MERKLE_PROOF_SIBLINGS_MAX,
  merkleProof,
  merkleRoot,
  verifyMerkleProof,
} from "./merkle.js";

const { hash } = createEcdsaSuite();

/** RFC 6962 §2.1 written as the recursion in the RFC, as an independent reference. */
function referenceRoot(leaves: readonly Uint8Array[], h: HashFunction): Uint8Array {
  if (leaves.length === 0) return h(new Uint8Array(0));
  if (leaves.length === 1) return h(concatBytes(Uint8Array.of(0), leaves[0]!));
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return h(
    concatBytes(Uint8Array.of(1), referenceRoot(leaves.slice(0, k), h), referenceRoot(leaves.slice(k), h)),
  );
}

const leavesArb = fc.array(fc.uint8Array({ minLength: 0, maxLength: 40 }), { minLength: 1, maxLength: 40 });

describe("merkleRoot", () => {
  it("is the RFC 6962 tree hash", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 40 }), (leaves) => {
        expect(merkleRoot(leaves, hash)).toEqual(referenceRoot(leaves, hash));
      }),
      { numRuns: 200 },
    );
  });

  it("has the documented small cases", () => {
    const [a, b, c] = ["a", "b", "c"].map(utf8ToBytes) as [Uint8Array, Uint8Array, Uint8Array];
    const leaf = (x: Uint8Array) => hash(concatBytes(Uint8Array.of(0), x));
    const node = (l: Uint8Array, r: Uint8Array) => hash(concatBytes(Uint8Array.of(1), l, r));
    expect(bytesToHex(merkleRoot([], hash))).toBe(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
    expect(merkleRoot([a], hash)).toEqual(leaf(a));
    expect(merkleRoot([a, b], hash)).toEqual(node(leaf(a), leaf(b)));
    // The odd leaf is carried up, not paired with a copy of itself.
    expect(merkleRoot([a, b, c], hash)).toEqual(node(node(leaf(a), leaf(b)), leaf(c)));
    expect(merkleRoot([a, b, c], hash)).not.toEqual(merkleRoot([a, b, c, c], hash));
  });

  it("separates leaves from inner nodes", () => {
    const [a, b] = [utf8ToBytes("a"), utf8ToBytes("b")];
    const leaf = (x: Uint8Array) => hash(concatBytes(Uint8Array.of(0), x));
    // A one-leaf tree whose leaf is the concatenation of two leaf hashes is not the two-leaf tree.
    expect(merkleRoot([concatBytes(leaf(a), leaf(b))], hash)).not.toEqual(merkleRoot([a, b], hash));
  });
});

describe("merkleProof / verifyMerkleProof", () => {
  it("proves every leaf of every tree", () => {
    fc.assert(
      fc.property(leavesArb, fc.nat(), (leaves, pick) => {
        const index = pick % leaves.length;
        const root = merkleRoot(leaves, hash);
        const proof = merkleProof(leaves, index, hash);
        expect(proof.leafCount).toBe(leaves.length);
        expect(proof.siblings.length).toBeLessThanOrEqual(Math.ceil(Math.log2(leaves.length)));
        expect(verifyMerkleProof({ root, leaf: leaves[index]!, proof, hash })).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("rejects forged leaves, positions, counts, siblings and roots", () => {
    fc.assert(
      fc.property(
        leavesArb,
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        (leaves, pick, other) => {
          const index = pick % leaves.length;
          const leaf = leaves[index]!;
          const root = merkleRoot(leaves, hash);
          const proof = merkleProof(leaves, index, hash);
          const verify = (changes: Partial<{ root: Uint8Array; leaf: Uint8Array; proof: typeof proof }>) =>
            verifyMerkleProof({ root, leaf, proof, hash, ...changes });

          if (bytesToHex(other) !== bytesToHex(leaf)) expect(verify({ leaf: other })).toBe(false);
          expect(verify({ root: hash(root) })).toBe(false);
          expect(verify({ proof: { ...proof, leafIndex: leaves.length } })).toBe(false);
          expect(verify({ proof: { ...proof, leafIndex: -1 } })).toBe(false);
          expect(verify({ proof: { ...proof, leafIndex: 0.5 } })).toBe(false);
          expect(verify({ proof: { ...proof, siblings: [...proof.siblings, root] } })).toBe(false);
          if (proof.siblings.length > 0) {
            expect(verify({ proof: { ...proof, siblings: proof.siblings.slice(1) } })).toBe(false);
            const tampered = proof.siblings.map((s, i) => (i === 0 ? hash(s) : s));
            expect(verify({ proof: { ...proof, siblings: tampered } })).toBe(false);
            // The same siblings at the neighbouring position hash in the other order, unless that position is
            // also a proof of the same leaf.
            const neighbour = index ^ 1;
            if (neighbour < leaves.length && bytesToHex(leaves[neighbour]!) !== bytesToHex(leaf)) {
              expect(verify({ proof: { ...proof, leafIndex: neighbour } })).toBe(false);
            }
          }
          // An inner node cannot be passed off as a leaf.
          if (leaves.length >= 2) {
            const left = merkleRoot(leaves.slice(0, 2), hash);
            const upper = merkleProof(leaves, 0, hash);
            expect(
              verifyMerkleProof({
                root,
                leaf: left,
                proof: {
                  leafIndex: 0,
                  leafCount: Math.ceil(leaves.length / 2),
                  siblings: upper.siblings.slice(1),
                },
                hash,
              }),
            ).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects over-long proofs without hashing them and refuses bad indices", () => {
    const leaves = [utf8ToBytes("x")];
    const root = merkleRoot(leaves, hash);
    const siblings = Array.from({ length: MERKLE_PROOF_SIBLINGS_MAX + 1 }, () => root);
    let calls = 0;
    const counting: HashFunction = (data) => {
      calls++;
      return hash(data);
    };
    expect(
      verifyMerkleProof({
        root,
        leaf: leaves[0]!,
        proof: { leafIndex: 0, leafCount: 2 ** 40, siblings },
        hash: counting,
      }),
    ).toBe(false);
    expect(calls).toBe(0);
    expect(() => merkleProof(leaves, 1, hash)).toThrow(expect.objectContaining({ code: "invalid-value" }));
    expect(() => merkleProof([], 0, hash)).toThrow(expect.objectContaining({ code: "invalid-value" }));
  });
});
