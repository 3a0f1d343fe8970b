import { createEcdsaSuite } from "@charter/crypto";
import { describe, expect, it } from "vitest";
import type { Receipt } from "./block.js";
import { merkleProof, merkleRoot, verifyMerkleProof } from "./merkle.js";
import { encodeReceipt } from "./receiptCodec.js";
import { hashReceipt, receiptsRoot, transactionsRoot } from "./roots.js";

const suite = createEcdsaSuite();

const receipts: Receipt[] = Array.from({ length: 5 }, (_, i) => ({
  status: (i % 2) as 0 | 1,
  gasUsed: 21_000n,
  cumulativeGasUsed: 21_000n * BigInt(i + 1),
  logs: [
    { address: new Uint8Array(20).fill(i), topics: [new Uint8Array(32).fill(i)], data: Uint8Array.of(i) },
  ],
  contractAddress: null,
}));

describe("transactionsRoot / receiptsRoot", () => {
  it("are Merkle roots over transaction hashes and receipt hashes", () => {
    const hashes = Array.from({ length: 5 }, (_, i) => suite.hash(Uint8Array.of(i)));
    expect(
      transactionsRoot(
        hashes.map((hash) => ({ hash })),
        suite,
      ),
    ).toEqual(merkleRoot(hashes, suite.hash));
    expect(hashReceipt(receipts[0]!, suite)).toEqual(suite.hash(encodeReceipt(receipts[0]!)));
    expect(receiptsRoot(receipts, suite)).toEqual(
      merkleRoot(
        receipts.map((r) => suite.hash(encodeReceipt(r))),
        suite.hash,
      ),
    );
    expect(transactionsRoot([], suite)).toEqual(suite.hash(new Uint8Array(0)));
  });

  it("let a light client prove one receipt against the header's receiptsRoot", () => {
    const root = receiptsRoot(receipts, suite);
    const leaves = receipts.map((r) => hashReceipt(r, suite));
    const proof = merkleProof(leaves, 3, suite.hash);
    expect(verifyMerkleProof({ root, leaf: hashReceipt(receipts[3]!, suite), proof, hash: suite.hash })).toBe(
      true,
    );
    const forged = { ...receipts[3]!, status: 0 as const };
    expect(verifyMerkleProof({ root, leaf: hashReceipt(forged, suite), proof, hash: suite.hash })).toBe(
      false,
    );
  });
});
