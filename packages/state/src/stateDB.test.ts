import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryKv, openKv } from "@charter/kv";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@charter/utils";
import { createMPT, verifyMerkleProof } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import { createAccount, KECCAK256_NULL, KECCAK256_RLP } from "@ethereumjs/util";
import { keccak_256 } from "@noble/hashes/sha3.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeAccount, toWord, trimLeadingZeros } from "./account.js";
import { StateError } from "./errors.js";
import { storageRange } from "./keys.js";
import { type AccountDiff, StateDB, type StateDiff } from "./stateDB.js";
import { Trie } from "./trie.js";

const hash = (data: Uint8Array) => keccak_256(data);
const ADDRESSES = Array.from({ length: 8 }, (_, i) => keccak_256(Uint8Array.of(0xad, i)).subarray(0, 20));
const SLOTS = Array.from({ length: 8 }, (_, i) =>
  i < 4 ? toWord(Uint8Array.of(i)) : keccak_256(Uint8Array.of(0x51, i)),
);
const CODES = [new Uint8Array(0), utf8ToBytes("code-one"), Uint8Array.of(0x60, 0x00, 0x60, 0x00, 0xf3)];

interface ModelAccount {
  nonce: bigint;
  balance: bigint;
  codeHash: Uint8Array;
  /** slot hex → minimal non-zero value */
  storage: Map<string, Uint8Array>;
}
type Model = Map<string, ModelAccount>;

function cloneModel(model: Model): Model {
  return new Map([...model].map(([k, a]) => [k, { ...a, storage: new Map(a.storage) }]));
}

/** Ethereum's state root for the model, built with @ethereumjs/mpt (Keccak-hashed keys) and @ethereumjs/util. */
async function referenceRoot(model: Model): Promise<Uint8Array> {
  const accounts = await createMPT({ useKeyHashing: true });
  for (const [addressHex, account] of model) {
    const storage = await createMPT({ useKeyHashing: true });
    for (const [slotHex, value] of account.storage) await storage.put(hexToBytes(slotHex), RLP.encode(value));
    const serialized = createAccount({
      nonce: account.nonce,
      balance: account.balance,
      storageRoot: storage.root(),
      codeHash: account.codeHash,
    }).serialize();
    await accounts.put(hexToBytes(addressHex), serialized);
  }
  return accounts.root();
}

function applyToModel(model: Model, diff: StateDiff): void {
  for (const change of diff.accounts) {
    const key = bytesToHex(change.address);
    if (change.account === null) {
      model.delete(key);
      continue;
    }
    const previous = model.get(key);
    const storage =
      change.storageCleared || previous === undefined ? new Map<string, Uint8Array>() : previous.storage;
    for (const [slot, value] of change.storage) {
      const minimal = trimLeadingZeros(value);
      if (minimal.length === 0) storage.delete(slot);
      else storage.set(slot, minimal.slice());
    }
    model.set(key, { ...change.account, storage });
  }
}

/** Checks every pool address and slot through `reader` against the model. */
function expectReaderMatches(
  reader: ReturnType<StateDB["latest"]>,
  model: Model,
  emptyRoot: Uint8Array,
  label: string,
): void {
  for (const address of ADDRESSES) {
    const expected = model.get(bytesToHex(address));
    const account = reader.getAccount(address);
    if (expected === undefined) {
      expect(account, label).toBeUndefined();
    } else {
      expect(account?.nonce, label).toBe(expected.nonce);
      expect(account?.balance, label).toBe(expected.balance);
      expect(account?.codeHash, label).toEqual(expected.codeHash);
      if (expected.storage.size === 0) expect(account?.storageRoot, label).toEqual(emptyRoot);
    }
    for (const slot of SLOTS) {
      const value = expected?.storage.get(bytesToHex(slot));
      expect(reader.getStorage(address, slot), label).toEqual(toWord(value ?? new Uint8Array(0)));
    }
  }
}

const valueArb = fc.oneof(
  fc.constant(new Uint8Array(32)),
  fc.uint8Array({ minLength: 1, maxLength: 32 }),
  fc.uint8Array({ minLength: 32, maxLength: 32 }),
);
const accountDiffArb: fc.Arbitrary<BlockInput> = fc.record({
  address: fc.nat({ max: ADDRESSES.length - 1 }),
  deleted: fc.nat({ max: 3 }).map((n) => n === 0),
  nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  balance: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 2n ** 256n - 1n })),
  code: fc.nat({ max: CODES.length - 1 }),
  storageCleared: fc.boolean(),
  storage: fc.array(fc.tuple(fc.nat({ max: SLOTS.length - 1 }), valueArb), { maxLength: 6 }),
});
const blockArb = fc.uniqueArray(accountDiffArb, { selector: (a) => a.address, minLength: 1, maxLength: 6 });

interface BlockInput {
  address: number;
  deleted: boolean;
  nonce: bigint;
  balance: bigint;
  code: number;
  storageCleared: boolean;
  storage: [slot: number, value: Uint8Array][];
}

function toDiff(block: readonly BlockInput[]): StateDiff {
  const code = new Map<string, Uint8Array>();
  const accounts: AccountDiff[] = block.map((a) => {
    const codeHash = keccak_256(CODES[a.code]!);
    if (a.code > 0) code.set(bytesToHex(codeHash), CODES[a.code]!);
    return {
      address: ADDRESSES[a.address]!,
      account: a.deleted ? null : { nonce: a.nonce, balance: a.balance, codeHash },
      storageCleared: a.storageCleared,
      storage: new Map(a.storage.map(([slot, value]) => [bytesToHex(SLOTS[slot]!), value])),
    };
  });
  return { accounts, code };
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

describe("StateDB", () => {
  it("matches Ethereum's state root, keeps flat and trie readers in agreement, and serves old roots", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(blockArb, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        async (blocks, tinyCaches) => {
          const kv = createMemoryKv();
          const caches = tinyCaches ? { cacheAccountsMax: 2, cacheSlotsMax: 2, cacheTrieNodesMax: 2 } : {};
          const state = new StateDB({ kv, hash, ...caches });
          const model: Model = new Map();
          const history: { root: Uint8Array; model: Model }[] = [];
          for (const block of blocks) {
            const diff = toDiff(block);
            const commit = await state.commit(diff);
            applyToModel(model, diff);
            expect(bytesToHex(commit.root)).toBe(bytesToHex(await referenceRoot(model)));
            await kv.write(commit.ops);
            state.applyCommitted(commit);
            expect(state.root).toEqual(commit.root);
            expectReaderMatches(state.latest(), model, state.emptyRoot, "latest");
            expectReaderMatches(state.at(commit.root), model, state.emptyRoot, "at(root)");
            history.push({ root: commit.root, model: cloneModel(model) });
          }
          // Old roots read their own values after newer commits.
          for (const [i, { root, model: old }] of history.entries()) {
            expectReaderMatches(state.at(root), old, state.emptyRoot, `at(block ${i})`);
          }
          // A freshly opened state (cold caches) reads the same from the store.
          expectReaderMatches(new StateDB({ kv, hash }).latest(), model, state.emptyRoot, "reopened");
        },
      ),
      { numRuns: 40 },
    );
  });

  it("answers eth_getProof with proofs that @ethereumjs/mpt verifies against the state root", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(blockArb, { minLength: 1, maxLength: 3 }), async (blocks) => {
        const kv = createMemoryKv();
        const state = new StateDB({ kv, hash });
        const model: Model = new Map();
        for (const block of blocks) {
          const diff = toDiff(block);
          const commit = await state.commit(diff);
          applyToModel(model, diff);
          await kv.write(commit.ops);
          state.applyCommitted(commit);
        }
        const root = state.root;
        for (const address of ADDRESSES) {
          const proof = state.getProof(root, address, SLOTS);
          const expected = model.get(bytesToHex(address));
          const accountKey = keccak_256(address);
          const proven =
            proof.accountProof.length === 0
              ? null
              : await verifyMerkleProof(accountKey, proof.accountProof, { root, useKeyHashing: false });
          expect(Trie.verifyProof(root, accountKey, proof.accountProof, hash)).toEqual(proven);
          if (expected === undefined) {
            expect(proven).toBeNull();
            expect(proof.nonce).toBe(0n);
            expect(proof.balance).toBe(0n);
            expect(proof.codeHash).toEqual(KECCAK256_NULL);
            expect(proof.storageHash).toEqual(KECCAK256_RLP);
          } else {
            expect(proven).toEqual(
              encodeAccount({
                nonce: expected.nonce,
                balance: expected.balance,
                storageRoot: proof.storageHash,
                codeHash: expected.codeHash,
              }),
            );
            expect(proof.nonce).toBe(expected.nonce);
            expect(proof.balance).toBe(expected.balance);
          }
          for (const [i, entry] of proof.storageProof.entries()) {
            expect(entry.key).toEqual(SLOTS[i]);
            const value = expected?.storage.get(bytesToHex(SLOTS[i]!));
            expect(entry.value).toBe(value === undefined ? 0n : BigInt(bytesToHex(value)));
            const slotKey = keccak_256(SLOTS[i]!);
            const provenSlot = Trie.verifyProof(proof.storageHash, slotKey, entry.proof, hash);
            expect(provenSlot).toEqual(value === undefined ? null : RLP.encode(value));
            if (entry.proof.length > 0) {
              expect(
                await verifyMerkleProof(slotKey, entry.proof, {
                  root: proof.storageHash,
                  useKeyHashing: false,
                }),
              ).toEqual(provenSlot);
            }
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it("deletes accounts and clears storage in the flat records and the tries", async () => {
    const kv = createMemoryKv();
    const state = new StateDB({ kv, hash });
    const [a, b] = [ADDRESSES[0]!, ADDRESSES[1]!];
    const slotMap = (entries: [number, number][]) =>
      new Map(entries.map(([slot, value]) => [bytesToHex(SLOTS[slot]!), toWord(Uint8Array.of(value))]));
    const codeHash = keccak_256(CODES[1]!);
    const commitAndWrite = async (diff: StateDiff) => {
      const commit = await state.commit(diff);
      await kv.write(commit.ops);
      state.applyCommitted(commit);
      return commit;
    };
    const flatSlots = async (address: Uint8Array) => {
      let count = 0;
      for await (const _ of kv.iterate(storageRange(address))) count++;
      return count;
    };
    await commitAndWrite({
      accounts: [
        {
          address: a,
          account: { nonce: 1n, balance: 5n, codeHash },
          storageCleared: false,
          storage: slotMap([
            [0, 1],
            [1, 2],
            [2, 3],
          ]),
        },
        {
          address: b,
          account: { nonce: 0n, balance: 9n, codeHash },
          storageCleared: false,
          storage: slotMap([[0, 7]]),
        },
      ],
      code: new Map([[bytesToHex(codeHash), CODES[1]!]]),
    });
    expect(await flatSlots(a)).toBe(3);
    const before = state.root;
    // Warm the caches so the test would catch a stale cached slot.
    expect(state.latest().getStorage(a, SLOTS[1]!)).toEqual(toWord(Uint8Array.of(2)));

    // a: storage wiped and one slot rewritten; b: deleted.
    const commit = await commitAndWrite({
      accounts: [
        {
          address: a,
          account: { nonce: 2n, balance: 5n, codeHash },
          storageCleared: true,
          storage: slotMap([[2, 4]]),
        },
        { address: b, account: null, storageCleared: false, storage: new Map() },
      ],
      code: new Map(),
    });
    const model: Model = new Map([
      [
        bytesToHex(a),
        { nonce: 2n, balance: 5n, codeHash, storage: new Map([[bytesToHex(SLOTS[2]!), Uint8Array.of(4)]]) },
      ],
    ]);
    expect(commit.root).toEqual(await referenceRoot(model));
    expect(await flatSlots(a)).toBe(1);
    expect(await flatSlots(b)).toBe(0);
    for (const reader of [state.latest(), state.at(state.root), new StateDB({ kv, hash }).latest()]) {
      expect(reader.getStorage(a, SLOTS[1]!)).toEqual(new Uint8Array(32));
      expect(reader.getStorage(a, SLOTS[2]!)).toEqual(toWord(Uint8Array.of(4)));
      expect(reader.getAccount(b)).toBeUndefined();
      expect(reader.getStorage(b, SLOTS[0]!)).toEqual(new Uint8Array(32));
      expect(reader.getCode(codeHash)).toEqual(CODES[1]);
    }
    // The old root still has everything.
    expect(state.at(before).getStorage(a, SLOTS[1]!)).toEqual(toWord(Uint8Array.of(2)));
    expect(state.at(before).getAccount(b)?.balance).toBe(9n);
    // Zeroing the last slot returns the account to the empty storage root.
    await commitAndWrite({
      accounts: [
        {
          address: a,
          account: { nonce: 2n, balance: 5n, codeHash },
          storageCleared: false,
          storage: slotMap([[2, 0]]),
        },
      ],
      code: new Map(),
    });
    expect(state.latest().getAccount(a)?.storageRoot).toEqual(KECCAK256_RLP);
    expect(await flatSlots(a)).toBe(0);
  });

  it("changes nothing until the caller's batch is written, and survives reopening a disk store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "charter-state-"));
    try {
      let kv = await openKv(dir);
      let state = new StateDB({ kv, hash });
      const genesis = toDiff([
        {
          address: 0,
          deleted: false,
          nonce: 1n,
          balance: 100n,
          code: 2,
          storageCleared: false,
          storage: [[0, Uint8Array.of(1)]],
        },
        { address: 1, deleted: false, nonce: 0n, balance: 50n, code: 0, storageCleared: false, storage: [] },
      ]);
      const first = await state.commit(genesis);
      // The process "dies" before writing: a reopened state is still empty.
      expect(new StateDB({ kv, hash }).root).toEqual(state.emptyRoot);
      expect(state.latest().getAccount(ADDRESSES[0]!)).toBeUndefined();
      await kv.write(first.ops);
      state.applyCommitted(first);

      const second = await state.commit(
        toDiff([
          {
            address: 0,
            deleted: false,
            nonce: 2n,
            balance: 90n,
            code: 2,
            storageCleared: false,
            storage: [],
          },
        ]),
      );
      // Not written: a restart comes back at the first root with the first values.
      await kv.close();
      kv = await openKv(dir);
      state = new StateDB({ kv, hash });
      expect(state.root).toEqual(first.root);
      expect(state.latest().getAccount(ADDRESSES[0]!)?.balance).toBe(100n);
      expect(state.latest().getCode(keccak_256(CODES[2]!))).toEqual(CODES[2]);
      expect(state.latest().getStorage(ADDRESSES[0]!, SLOTS[0]!)).toEqual(toWord(Uint8Array.of(1)));

      // Written: a restart comes back at the second root.
      const again = await state.commit(
        toDiff([
          {
            address: 0,
            deleted: false,
            nonce: 2n,
            balance: 90n,
            code: 2,
            storageCleared: false,
            storage: [],
          },
        ]),
      );
      expect(again.root).toEqual(second.root);
      await kv.write(again.ops);
      await kv.close();
      kv = await openKv(dir);
      state = new StateDB({ kv, hash });
      expect(state.root).toEqual(second.root);
      expect(state.latest().getAccount(ADDRESSES[0]!)?.balance).toBe(90n);
      expect(state.at(first.root).getAccount(ADDRESSES[0]!)?.balance).toBe(100n);
      await kv.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects malformed diffs and unknown roots with typed errors", async () => {
    const kv = createMemoryKv();
    const state = new StateDB({ kv, hash });
    const account = { nonce: 0n, balance: 1n, codeHash: KECCAK256_NULL };
    const entry = (overrides: Partial<AccountDiff>): AccountDiff => ({
      address: ADDRESSES[0]!,
      account,
      storageCleared: false,
      storage: new Map(),
      ...overrides,
    });
    await expectStateError(
      () => state.commit({ accounts: [entry({}), entry({})], code: new Map() }),
      "invalid-input",
    );
    await expectStateError(
      () => state.commit({ accounts: [entry({ address: new Uint8Array(19) })], code: new Map() }),
      "invalid-input",
    );
    await expectStateError(
      () =>
        state.commit({
          accounts: [entry({ storage: new Map([["0x01", toWord(Uint8Array.of(1))]]) })],
          code: new Map(),
        }),
      "invalid-input",
    );
    await expectStateError(
      () =>
        state.commit({
          accounts: [entry({ storage: new Map([[bytesToHex(SLOTS[0]!), new Uint8Array(33)]]) })],
          code: new Map(),
        }),
      "invalid-input",
    );
    await expectStateError(
      () => state.commit({ accounts: [], code: new Map([[bytesToHex(keccak_256(CODES[1]!)), CODES[2]!]]) }),
      "invalid-input",
    );
    await expectStateError(() => state.at(keccak_256(utf8ToBytes("never"))), "unknown-state-root");
    await expectStateError(
      () => state.getProof(keccak_256(utf8ToBytes("never")), ADDRESSES[0]!, []),
      "unknown-state-root",
    );
    await expectStateError(() => state.latest().getCode(keccak_256(utf8ToBytes("no code"))), "missing-code");
    expect(state.latest().getCode(KECCAK256_NULL)).toEqual(new Uint8Array(0));
    // An empty block leaves the root as it is.
    const empty = await state.commit({ accounts: [], code: new Map() });
    expect(empty.root).toEqual(state.root);
  });
});
