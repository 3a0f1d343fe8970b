import { createLastCommitVerifier, createValidatorSet, SignedType, signBytes } from "@charter/consensus";
import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { Executor } from "@charter/execution";
import { createMemoryKv } from "@charter/kv";
import { StateDB } from "@charter/state";
import type { CommitCertificate } from "@charter/types";
import { describe, expect, it } from "vitest";
import { Chain } from "./chain.js";

const suite = createEcdsaSuite();
const CHAIN_ID = 7345n;
const keys = [1, 2, 3, 4, 5].map((i) => keccak256(new Uint8Array([i])));
const pubs = keys.map((k) => suite.publicKeyFromPrivateKey(k));
const addrs = pubs.map((p) => suite.addressFromPublicKey(p));
// Four validators; key 4 is an outsider.
const set = createValidatorSet(
  pubs.slice(0, 4).map((publicKey, i) => ({ address: addrs[i]!, publicKey, weight: 1 })),
);

async function openChain(withVerifier = true): Promise<Chain> {
  const kv = createMemoryKv();
  return Chain.open({
    kv,
    suite,
    state: new StateDB({ kv, hash: suite.hash, codeHash: keccak256 }),
    executor: new Executor({ chainId: CHAIN_ID, blockHash: async () => undefined }),
    genesis: {
      chainId: CHAIN_ID,
      timestampMs: 1_700_000_000_000,
      gasLimit: 30_000_000n,
      alloc: new Map(),
      validators: set.validators,
      extraData: new Uint8Array(0),
    },
    ...(withVerifier
      ? {
          verifyLastCommit: createLastCommitVerifier({
            chainId: CHAIN_ID,
            crypto: suite,
            validatorSet: () => set,
          }),
        }
      : {}),
  });
}

function certify(height: number, blockHash: Uint8Array, signers: number[], round = 0): CommitCertificate {
  const digest = suite.hash(
    signBytes({ chainId: CHAIN_ID, type: SignedType.precommit, height, round, blockHash }),
  );
  return {
    height,
    round,
    blockHash,
    signatures: signers.map((i) => ({ validator: addrs[i]!, signature: suite.sign(digest, keys[i]!) })),
  };
}

const propose = (chain: Chain, lastCommit: CommitCertificate | null) =>
  chain.propose({
    timestampMs: chain.head.block.header.timestampMs + 1000,
    proposer: addrs[0]!,
    transactions: [],
    lastCommit,
  });

describe("Chain rule 1b: lastCommit certifies the parent", () => {
  it("accepts a quorum certificate of the parent, stores it with the head and reloads it", async () => {
    const a = await openChain();
    const b = await openChain();
    const first = await propose(a, null);
    await b.commit(await b.validate(first.block), certify(1, first.hash, [0, 1, 2]));
    await a.commit(first, certify(1, first.hash, [1, 2, 3]));
    expect(a.headCertificate?.height).toBe(1);
    const second = await propose(a, a.headCertificate);
    const validated = await b.validate(second.block);
    expect(validated.hash).toEqual(second.hash);
  });

  it("refuses a certificate at height 1", async () => {
    const a = await openChain();
    const b = await openChain();
    const first = await propose(a, certify(0, a.head.hash, [0, 1, 2]));
    await expect(b.validate(first.block)).rejects.toThrow(/lastCommit must be null at height 1/);
  });

  const cases: [string, (parent: Uint8Array) => CommitCertificate | null, RegExp][] = [
    ["missing", () => null, /lastCommit is missing/],
    ["under quorum", (p) => certify(1, p, [0, 1]), /not more than two thirds/],
    ["for another block", () => certify(1, new Uint8Array(32).fill(9), [0, 1, 2]), /certifies block/],
    ["for another height", (p) => certify(2, p, [0, 1, 2]), /is for height 2/],
    ["with a duplicate signer", (p) => certify(1, p, [0, 1, 1]), /twice/],
    ["signed by an outsider", (p) => certify(1, p, [0, 1, 4]), /not a validator/],
    [
      "with a forged signature",
      (p) => {
        const good = certify(1, p, [0, 1, 2]);
        const other = certify(1, p, [3], 1);
        // Validator 2's slot carries validator 3's signature of another round: a valid signature, wrong bytes.
        return {
          ...good,
          signatures: [
            good.signatures[0]!,
            good.signatures[1]!,
            { validator: addrs[2]!, signature: other.signatures[0]!.signature },
          ],
        };
      },
      /does not verify/,
    ],
  ];
  for (const [name, make, message] of cases) {
    it(`refuses a certificate ${name}`, async () => {
      const a = await openChain(false);
      const b = await openChain();
      const first = await propose(a, null);
      await a.commit(first);
      await b.commit(await b.validate(first.block), certify(1, first.hash, [0, 1, 2]));
      const second = await propose(a, make(first.hash));
      const error = await b.validate(second.block).catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe("invalid-block");
      expect((error as Error).message).toMatch(message);
      expect(b.head.block.header.height).toBe(1);
    });
  }
});
