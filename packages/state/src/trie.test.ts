import { createHash } from "node:crypto";
import { createMemoryKv, type KvStore } from "@charter/kv";
import { AssertionError, bytesToHex, hexToBytes, utf8ToBytes } from "@charter/utils";
import { createMerkleProof, createMPT, type MerklePatriciaTrie, verifyMerkleProof } from "@ethereumjs/mpt";
import { keccak_256 } from "@noble/hashes/sha3.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StateError } from "./errors.js";
import { trieNodeKey } from "./keys.js";
import { TrieNodeCache } from "./nodeCache.js";
import { emptyTrieRoot, Trie, type TrieUpdate } from "./trie.js";

const hash = (data: Uint8Array) => keccak_256(data);

/** Writes an update's ops to the store and moves the trie, as a block commit does. */
async function commit(kv: KvStore, trie: Trie, update: TrieUpdate): Promise<void> {
  await kv.write(update.ops);
  trie.applyCommitted(update);
}

async function expectStateError(run: () => unknown, code: string): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(StateError);
  expect((error as StateError).code).toBe(code);
}

type Op = readonly [key: Uint8Array, value: Uint8Array | null];

/**
 * Keys from a small alphabet, so random sets share prefixes and exercise extensions, branch values (one key a
 * prefix of another), splits and collapses.
 */
const keyArb = fc
  .array(fc.constantFrom(0x00, 0x01, 0x10, 0x11, 0x1f, 0xf0, 0xff), { minLength: 1, maxLength: 4 })
  .map((bytes) => Uint8Array.from(bytes));
/** Values from 1 to 40 bytes, so nodes land on both sides of the 32-byte embedding threshold. */
const valueArb = fc.uint8Array({ minLength: 1, maxLength: 40 });
const opArb: fc.Arbitrary<Op> = fc.tuple(keyArb, fc.option(valueArb, { freq: 3, nil: null }));
const batchesArb = fc.array(fc.array(opArb, { minLength: 1, maxLength: 25 }), { minLength: 1, maxLength: 6 });

async function applyToReference(reference: MerklePatriciaTrie, ops: readonly Op[]): Promise<void> {
  for (const [key, value] of ops) {
    if (value === null) await reference.del(key);
    else await reference.put(key, value);
  }
}

describe("Trie", () => {
  it("has Ethereum's empty root and the well-known example roots", async () => {
    const kv = createMemoryKv();
    const trie = new Trie({ hash, kv });
    expect(bytesToHex(trie.root)).toBe("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
    expect(trie.get(utf8ToBytes("dog"))).toBeUndefined();
    const update = trie.batchUpdate(
      [
        ["do", "verb"],
        ["horse", "stallion"],
        ["doge", "coin"],
        ["dog", "puppy"],
      ].map(([k, v]) => [utf8ToBytes(k!), utf8ToBytes(v!)] as const),
    );
    expect(bytesToHex(update.root)).toBe(
      "0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84",
    );
    // batchUpdate writes nothing and leaves the handle where it was.
    expect(bytesToHex(trie.root)).toBe(bytesToHex(emptyTrieRoot(hash)));
    await commit(kv, trie, update);
    expect(trie.get(utf8ToBytes("doge"))).toEqual(utf8ToBytes("coin"));
    expect(trie.get(utf8ToBytes("do"))).toEqual(utf8ToBytes("verb"));
    expect(trie.get(utf8ToBytes("d"))).toBeUndefined();
    expect(trie.get(utf8ToBytes("dogs"))).toBeUndefined();
  });

  it("computes the same roots as @ethereumjs/mpt for random insert, update and delete sequences", async () => {
    await fc.assert(
      fc.asyncProperty(batchesArb, fc.boolean(), async (batches, tinyCache) => {
        const kv = createMemoryKv();
        // A two-node cache forces reads through the store on almost every step.
        const trie = new Trie({
          hash,
          kv,
          ...(tinyCache ? { cache: new TrieNodeCache({ nodesMax: 2 }) } : {}),
        });
        const model = new Map<string, Uint8Array>();
        for (const ops of batches) {
          const update = trie.batchUpdate(ops);
          for (const [key, value] of ops) {
            if (value === null) model.delete(bytesToHex(key));
            else model.set(bytesToHex(key), value);
          }
          // The reference is built from the resulting contents with puts only: @ethereumjs/mpt 10.1.3 loses a
          // branch value when it deletes a key below it (put ff00, put ff, put fff0, del ff00 → get(ff) is
          // null), so replaying deletes of variable-length keys into it is not a sound oracle. The next test
          // replays deletes with fixed-length keys, where that case cannot arise.
          const reference = await createMPT({ useKeyHashing: false });
          for (const [key, value] of model) await reference.put(hexToBytes(key), value);
          expect(bytesToHex(update.root)).toBe(bytesToHex(reference.root()));
          await commit(kv, trie, update);
        }
        for (const [key, value] of model) expect(trie.get(hexToBytes(key))).toEqual(value);
      }),
      { numRuns: 150 },
    );
  });

  it("computes the same roots as @ethereumjs/mpt replaying the same puts and deletes (fixed-length keys)", async () => {
    const fixedKeyArb = fc
      .array(fc.constantFrom(0x00, 0x01, 0x10, 0xf0, 0xff), { minLength: 3, maxLength: 3 })
      .map((bytes) => Uint8Array.from(bytes));
    const fixedOpArb: fc.Arbitrary<Op> = fc.tuple(fixedKeyArb, fc.option(valueArb, { freq: 3, nil: null }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fixedOpArb, { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 6 }),
        async (batches) => {
          const kv = createMemoryKv();
          const trie = new Trie({ hash, kv });
          const reference = await createMPT({ useKeyHashing: false });
          for (const ops of batches) {
            const update = trie.batchUpdate(ops);
            await applyToReference(reference, ops);
            expect(bytesToHex(update.root)).toBe(bytesToHex(reference.root()));
            await commit(kv, trie, update);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("matches @ethereumjs/mpt on state-shaped tries (32-byte hashed keys, RLP values)", async () => {
    const kv = createMemoryKv();
    const trie = new Trie({ hash, kv });
    const reference = await createMPT({ useKeyHashing: false });
    for (let block = 0; block < 5; block++) {
      const ops: Op[] = [];
      for (let i = 0; i < 300; i++) {
        const key = keccak_256(Uint8Array.of(block % 2, i & 0xff, i >> 8));
        // Every third entry of odd blocks deletes what an even block wrote.
        ops.push([
          key,
          block % 2 === 1 && i % 3 === 0
            ? null
            : keccak_256(Uint8Array.of(block, i)).subarray(0, 1 + (i % 32)),
        ]);
      }
      const update = trie.batchUpdate(ops);
      await applyToReference(reference, ops);
      expect(bytesToHex(update.root)).toBe(bytesToHex(reference.root()));
      await commit(kv, trie, update);
    }
  });

  it("produces proofs that @ethereumjs/mpt verifies, and verifies theirs", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.array(keyArb, { maxLength: 10 }),
        async (ops, extraKeys) => {
          const kv = createMemoryKv();
          const trie = new Trie({ hash, kv });
          await commit(kv, trie, trie.batchUpdate(ops));
          // Built from the final contents with puts only (see the first differential test for why).
          const reference = await createMPT({ useKeyHashing: false });
          for (const [key] of ops) {
            const value = trie.get(key);
            if (value !== undefined) await reference.put(key, value);
          }
          const root = trie.root;
          expect(reference.root()).toEqual(root);
          for (const key of [...ops.map(([k]) => k), ...extraKeys]) {
            const expected = trie.get(key) ?? null;
            const ours = trie.prove(key);
            // @ethereumjs/mpt cannot verify against the empty root (it wants a root node in the proof).
            if (ours.length > 0)
              expect(await verifyMerkleProof(key, ours, { root, useKeyHashing: false })).toEqual(expected);
            expect(Trie.verifyProof(root, key, ours, hash)).toEqual(expected);
            const theirs = await createMerkleProof(reference, key);
            expect(Trie.verifyProof(root, key, theirs, hash)).toEqual(expected);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("rejects proofs that do not lead from the root to the key", async () => {
    const kv = createMemoryKv();
    const trie = new Trie({ hash, kv });
    const ops: Op[] = Array.from({ length: 200 }, (_, i) => [
      keccak_256(Uint8Array.of(i)),
      Uint8Array.of(i, 1, 2),
    ]);
    await commit(kv, trie, trie.batchUpdate(ops));
    const root = trie.root;
    const present = ops[7]![0];
    const absent = keccak_256(utf8ToBytes("absent"));
    for (const key of [present, absent]) {
      const proof = trie.prove(key);
      expect(proof.length).toBeGreaterThan(1);
      // A flipped byte in any node breaks the hash link to it.
      for (let i = 0; i < proof.length; i++) {
        const tampered = proof.map((node) => node.slice());
        tampered[i]![tampered[i]!.length >> 1]! ^= 0x01;
        await expectStateError(() => Trie.verifyProof(root, key, tampered, hash), "invalid-proof");
      }
      // A missing node, another root, or no proof at all.
      await expectStateError(() => Trie.verifyProof(root, key, proof.slice(0, -1), hash), "invalid-proof");
      await expectStateError(() => Trie.verifyProof(root, key, proof.slice(1), hash), "invalid-proof");
      await expectStateError(() => Trie.verifyProof(keccak_256(root), key, proof, hash), "invalid-proof");
      await expectStateError(() => Trie.verifyProof(root, key, [], hash), "invalid-proof");
    }
    // A node that hashes right but is not a trie node.
    const garbage = Uint8Array.of(0xc3, 0x01, 0x02, 0x03);
    await expectStateError(() => Trie.verifyProof(hash(garbage), present, [garbage], hash), "invalid-proof");
    const truncated = trie.prove(present)[0]!.subarray(0, 40);
    await expectStateError(
      () => Trie.verifyProof(hash(truncated), present, [truncated], hash),
      "invalid-proof",
    );
    // The empty trie proves every key absent with an empty proof.
    expect(Trie.verifyProof(emptyTrieRoot(hash), present, [], hash)).toBeNull();
  });

  it("keeps every committed root readable (archive mode)", async () => {
    const kv = createMemoryKv();
    const trie = new Trie({ hash, kv });
    const key = (i: number) => keccak_256(Uint8Array.of(i));
    const roots: Uint8Array[] = [];
    for (let version = 0; version < 4; version++) {
      const ops: Op[] = Array.from({ length: 50 }, (_, i) => [
        key(i),
        i === version ? null : Uint8Array.of(version, i),
      ]);
      await commit(kv, trie, trie.batchUpdate(ops));
      roots.push(trie.root);
    }
    // Fresh handles with a cold cache read only from the store.
    for (let version = 0; version < 4; version++) {
      const old = new Trie({ hash, kv, root: roots[version]! });
      expect(old.get(key(version))).toBeUndefined();
      expect(old.get(key(10))).toEqual(Uint8Array.of(version, 10));
      expect(Trie.verifyProof(roots[version]!, key(10), old.prove(key(10)), hash)).toEqual(
        Uint8Array.of(version, 10),
      );
    }
  });

  it("writes nothing for no-op updates and throws missing-node for unknown roots", async () => {
    const kv = createMemoryKv();
    const trie = new Trie({ hash, kv });
    const ops: Op[] = Array.from({ length: 20 }, (_, i) => [keccak_256(Uint8Array.of(i)), Uint8Array.of(i)]);
    await commit(kv, trie, trie.batchUpdate(ops));
    const noop = trie.batchUpdate([...ops, [keccak_256(utf8ToBytes("missing")), null]]);
    expect(noop.root).toEqual(trie.root);
    expect(noop.ops).toHaveLength(0);
    const unknown = new Trie({ hash, kv, root: keccak_256(utf8ToBytes("nope")) });
    await expectStateError(() => unknown.get(ops[0]![0]), "missing-node");
    await expectStateError(() => unknown.prove(ops[0]![0]), "missing-node");
    await expectStateError(() => unknown.batchUpdate([[ops[0]![0], Uint8Array.of(1)]]), "missing-node");
    // Deleting everything returns to the empty root.
    const cleared = trie.batchUpdate(ops.map(([k]) => [k, null]));
    expect(cleared.root).toEqual(emptyTrieRoot(hash));
  });

  it("stores a root shorter than 32 bytes under its hash", async () => {
    const kv = createMemoryKv();
    const trie = new Trie({ hash, kv });
    const update = trie.batchUpdate([[Uint8Array.of(1), Uint8Array.of(2)]]);
    const reference = await createMPT({ useKeyHashing: false });
    await reference.put(Uint8Array.of(1), Uint8Array.of(2));
    expect(update.root).toEqual(reference.root());
    expect(update.ops).toHaveLength(1);
    await commit(kv, trie, update);
    const cold = new Trie({ hash, kv, root: update.root });
    expect(cold.get(Uint8Array.of(1))).toEqual(Uint8Array.of(2));
    expect(
      await verifyMerkleProof(Uint8Array.of(1), cold.prove(Uint8Array.of(1)), {
        root: update.root,
        useKeyHashing: false,
      }),
    ).toEqual(Uint8Array.of(2));
  });

  it("works under another hash function (SM3)", async () => {
    const sm3 = (data: Uint8Array) => new Uint8Array(createHash("sm3").update(data).digest());
    const kv = createMemoryKv();
    const trie = new Trie({ hash: sm3, kv });
    expect(trie.root).toEqual(sm3(Uint8Array.of(0x80)));
    const ops: Op[] = Array.from({ length: 64 }, (_, i) => [sm3(Uint8Array.of(i)), Uint8Array.of(i + 1)]);
    await commit(kv, trie, trie.batchUpdate(ops));
    const keccakRoot = new Trie({ hash, kv: createMemoryKv() }).batchUpdate(ops).root;
    expect(trie.root).not.toEqual(keccakRoot);
    expect(trie.get(ops[5]![0])).toEqual(Uint8Array.of(6));
    expect(Trie.verifyProof(trie.root, ops[5]![0], trie.prove(ops[5]![0]), sm3)).toEqual(Uint8Array.of(6));
  });

  it("stops on a corrupted node read from the store unless reads are unverified", async () => {
    const kv = createMemoryKv();
    const trie = new Trie({ hash, kv });
    const ops: Op[] = Array.from({ length: 64 }, (_, i) => [
      keccak_256(Uint8Array.of(i)),
      Uint8Array.of(i + 1),
    ]);
    await commit(kv, trie, trie.batchUpdate(ops));
    // Swap a byte in the stored root node; its key still says the old hash.
    const key = trieNodeKey(trie.root);
    const stored = kv.getSync(key)!;
    stored[stored.length - 2]! ^= 0x01;
    await kv.write([{ type: "put", key, value: stored }]);
    expect(() => new Trie({ hash, kv, root: trie.root }).get(ops[0]![0])).toThrow(AssertionError);
    // The commit path skips the check (the new root exposes the damage instead), so the read goes through.
    expect(() => new Trie({ hash, kv, root: trie.root, verifyReads: false }).get(ops[0]![0])).not.toThrow();
  });

  it("refuses to apply an update to a different root", async () => {
    const kv = createMemoryKv();
    const trie = new Trie({ hash, kv });
    const first = trie.batchUpdate([[Uint8Array.of(1), Uint8Array.of(1)]]);
    const second = trie.batchUpdate([[Uint8Array.of(2), Uint8Array.of(2)]]);
    await commit(kv, trie, first);
    expect(() => trie.applyCommitted(second)).toThrow(/root it was made from/);
  });
});
