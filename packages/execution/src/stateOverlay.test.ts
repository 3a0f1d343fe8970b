import { keccak256 } from "@charter/crypto";
import { bigintToFixedBytes, bytesToHex, hexToBytes } from "@charter/utils";
import { Account, Address, KECCAK256_NULL, KECCAK256_RLP } from "@ethereumjs/util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { genesisStateDiff } from "./genesisState.js";
import { StateOverlay } from "./stateOverlay.js";
import { MapState } from "./testdata/mapState.js";

const ADDRESSES = [1, 2, 3, 4].map((i) => bytesToHex(bigintToFixedBytes(BigInt(0x1000 + i), 20)));
const SLOTS = [0, 1, 2, 3].map((i) => bytesToHex(bigintToFixedBytes(BigInt(i), 32)));
const CODES = [new Uint8Array([0x00]), new Uint8Array([0x60, 0x01]), new Uint8Array([0x60, 0x02, 0x00])];
const ZERO = bytesToHex(new Uint8Array(32));

interface ModelAccount {
  nonce: bigint;
  balance: bigint;
  codeHash: string;
}

/** The obvious implementation: a fully materialised state, deep-copied at each checkpoint. */
interface Model {
  accounts: Map<string, ModelAccount>;
  storage: Map<string, Map<string, string>>;
}

function copyModel(model: Model): Model {
  return {
    accounts: new Map([...model.accounts].map(([k, v]) => [k, { ...v }])),
    storage: new Map([...model.storage].map(([k, v]) => [k, new Map(v)])),
  };
}

type Op =
  | { kind: "putAccount"; address: number; nonce: number; balance: number }
  | { kind: "deleteAccount"; address: number }
  | { kind: "putAccountUndefined"; address: number }
  | { kind: "modifyBalance"; address: number; balance: number }
  | { kind: "putStorage"; address: number; slot: number; value: number }
  | { kind: "clearStorage"; address: number }
  | { kind: "putCode"; address: number; code: number }
  | { kind: "checkpoint" }
  | { kind: "commit" }
  | { kind: "revert" }
  | { kind: "newTransaction" };

const address = fc.integer({ min: 0, max: ADDRESSES.length - 1 });
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("putAccount" as const),
    address,
    nonce: fc.integer({ min: 0, max: 3 }),
    balance: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ kind: fc.constant("deleteAccount" as const), address }),
  fc.record({ kind: fc.constant("putAccountUndefined" as const), address }),
  fc.record({
    kind: fc.constant("modifyBalance" as const),
    address,
    balance: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({
    kind: fc.constant("putStorage" as const),
    address,
    slot: fc.integer({ min: 0, max: SLOTS.length - 1 }),
    value: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({
    kind: fc.constant("putStorage" as const),
    address,
    slot: fc.constant(0),
    value: fc.constant(1),
  }),
  fc.record({ kind: fc.constant("clearStorage" as const), address }),
  fc.record({
    kind: fc.constant("putCode" as const),
    address,
    code: fc.integer({ min: 0, max: CODES.length - 1 }),
  }),
  fc.constant({ kind: "checkpoint" as const }),
  fc.constant({ kind: "commit" as const }),
  fc.constant({ kind: "revert" as const }),
  fc.constant({ kind: "newTransaction" as const }),
);

/** A random base state over the small universe of addresses and slots. */
const baseArbitrary = fc
  .array(
    fc.record({
      address,
      nonce: fc.integer({ min: 0, max: 2 }),
      balance: fc.integer({ min: 0, max: 2 }),
      code: fc.integer({ min: -1, max: CODES.length - 1 }),
      slots: fc.array(
        fc.tuple(fc.integer({ min: 0, max: SLOTS.length - 1 }), fc.integer({ min: 1, max: 3 })),
        {
          maxLength: 3,
        },
      ),
    }),
    { maxLength: 4 },
  )
  .map((entries) => {
    const alloc = new Map<
      string,
      { balance: bigint; nonce: bigint; code?: Uint8Array; storage: Map<string, Uint8Array> }
    >();
    for (const entry of entries) {
      alloc.set(ADDRESSES[entry.address]!, {
        balance: BigInt(entry.balance),
        nonce: BigInt(entry.nonce),
        ...(entry.code >= 0 ? { code: CODES[entry.code]! } : {}),
        storage: new Map(
          entry.slots.map(([slot, value]) => [SLOTS[slot]!, bigintToFixedBytes(BigInt(value), 32)]),
        ),
      });
    }
    return alloc;
  });

function modelFromState(state: MapState): Model {
  const model: Model = { accounts: new Map(), storage: new Map() };
  for (const [key, account] of state.accounts()) {
    if (!ADDRESSES.includes(key)) continue;
    model.accounts.set(key, {
      nonce: account.nonce,
      balance: account.balance,
      codeHash: bytesToHex(account.codeHash),
    });
    const slots = state.storageOf(key);
    if (slots.length > 0) model.storage.set(key, new Map(slots.map(([s, v]) => [s, bytesToHex(v)])));
  }
  return model;
}

async function expectSameReads(
  overlay: StateOverlay,
  model: Model,
  codes: Map<string, Uint8Array>,
): Promise<void> {
  for (const key of ADDRESSES) {
    const target = new Address(hexToBytes(key));
    const account = await overlay.getAccount(target);
    const expected = model.accounts.get(key);
    expect(
      account && { nonce: account.nonce, balance: account.balance, codeHash: bytesToHex(account.codeHash) },
    ).toEqual(expected);
    expect(bytesToHex(await overlay.getCode(target))).toBe(
      bytesToHex(
        expected === undefined ? new Uint8Array() : (codes.get(expected.codeHash) ?? new Uint8Array()),
      ),
    );
    for (const slot of SLOTS) {
      const value = await overlay.getStorage(target, hexToBytes(slot));
      expect(bytesToHex(value)).toBe(model.storage.get(key)?.get(slot) ?? ZERO);
    }
  }
}

describe("StateOverlay", () => {
  it("behaves like a materialised state with copy-on-checkpoint, and its diff reproduces it", async () => {
    const codes = new Map<string, Uint8Array>([[bytesToHex(KECCAK256_NULL), new Uint8Array()]]);
    for (const code of CODES) codes.set(bytesToHex(keccak256(code)), code);
    await fc.assert(
      fc.asyncProperty(baseArbitrary, fc.array(opArbitrary, { maxLength: 60 }), async (alloc, ops) => {
        const base = MapState.fromDiff(genesisStateDiff(alloc));
        const overlay = new StateOverlay(base);
        let model = modelFromState(base);
        const snapshots: Model[] = [];
        // Values at the start of the current "transaction", and the accounts wiped since, whose originals the
        // EVM never asks for after the wipe (it reads the original before the first write of a transaction).
        let original = copyModel(model);
        let wiped = new Set<string>();
        for (const op of ops) {
          switch (op.kind) {
            case "putAccount": {
              const key = ADDRESSES[op.address]!;
              const codeHash = model.accounts.get(key)?.codeHash ?? bytesToHex(KECCAK256_NULL);
              await overlay.putAccount(
                new Address(hexToBytes(key)),
                new Account(BigInt(op.nonce), BigInt(op.balance), KECCAK256_RLP, hexToBytes(codeHash)),
              );
              model.accounts.set(key, { nonce: BigInt(op.nonce), balance: BigInt(op.balance), codeHash });
              break;
            }
            case "deleteAccount":
            case "putAccountUndefined": {
              const key = ADDRESSES[op.address]!;
              if (op.kind === "deleteAccount") await overlay.deleteAccount(new Address(hexToBytes(key)));
              else await overlay.putAccount(new Address(hexToBytes(key)), undefined);
              model.accounts.delete(key);
              model.storage.delete(key);
              wiped.add(key);
              break;
            }
            case "modifyBalance": {
              const key = ADDRESSES[op.address]!;
              await overlay.modifyAccountFields(new Address(hexToBytes(key)), {
                balance: BigInt(op.balance),
              });
              const current = model.accounts.get(key) ?? {
                nonce: 0n,
                balance: 0n,
                codeHash: bytesToHex(KECCAK256_NULL),
              };
              model.accounts.set(key, { ...current, balance: BigInt(op.balance) });
              break;
            }
            case "putStorage": {
              const key = ADDRESSES[op.address]!;
              // The EVM only writes the storage of an account that exists (the executing contract).
              if (!model.accounts.has(key)) break;
              const target = new Address(hexToBytes(key));
              const slot = hexToBytes(SLOTS[op.slot]!);
              const before = await overlay.originalStorageCache.get(target, slot);
              if (!wiped.has(key))
                expect(bytesToHex(before)).toBe(original.storage.get(key)?.get(SLOTS[op.slot]!) ?? ZERO);
              // Zero is written as an empty array, as the EVM's SSTORE does.
              const value =
                op.value === 0 ? new Uint8Array() : bigintToFixedBytes(BigInt(op.value), 32).slice(31);
              await overlay.putStorage(target, slot, value);
              const slots = model.storage.get(key) ?? new Map<string, string>();
              if (op.value === 0) slots.delete(SLOTS[op.slot]!);
              else slots.set(SLOTS[op.slot]!, bytesToHex(bigintToFixedBytes(BigInt(op.value), 32)));
              model.storage.set(key, slots);
              break;
            }
            case "clearStorage": {
              const key = ADDRESSES[op.address]!;
              await overlay.clearStorage(new Address(hexToBytes(key)));
              model.storage.delete(key);
              wiped.add(key);
              break;
            }
            case "putCode": {
              const key = ADDRESSES[op.address]!;
              const code = CODES[op.code]!;
              await overlay.putCode(new Address(hexToBytes(key)), code);
              const current = model.accounts.get(key) ?? {
                nonce: 0n,
                balance: 0n,
                codeHash: bytesToHex(KECCAK256_NULL),
              };
              model.accounts.set(key, { ...current, codeHash: bytesToHex(keccak256(code)) });
              break;
            }
            case "checkpoint":
              await overlay.checkpoint();
              snapshots.push(copyModel(model));
              break;
            case "commit":
              if (snapshots.length === 0) break;
              await overlay.commit();
              snapshots.pop();
              break;
            case "revert":
              if (snapshots.length === 0) break;
              await overlay.revert();
              model = snapshots.pop()!;
              break;
            case "newTransaction":
              overlay.originalStorageCache.clear();
              original = copyModel(model);
              wiped = new Set();
              break;
          }
          await expectSameReads(overlay, model, codes);
          expect(overlay.depth).toBe(snapshots.length);
        }
        while (snapshots.length > 0) {
          await overlay.commit();
          snapshots.pop();
        }
        const after = base.clone();
        after.apply(overlay.toDiff());
        const expected = modelFromState(after);
        // Storage of accounts that do not exist is not state: drop it from the model before comparing.
        for (const key of [...model.storage.keys()]) {
          if (!model.accounts.has(key) || model.storage.get(key)!.size === 0) model.storage.delete(key);
        }
        expect(expected).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });

  it("reports base storage to the EVM for EIP-7610 until the account is wiped", async () => {
    const empty = ADDRESSES[0]!;
    const contract = ADDRESSES[1]!;
    const storage = new Map([[SLOTS[1]!, bigintToFixedBytes(1n, 32)]]);
    const base = MapState.fromDiff(
      genesisStateDiff(
        new Map([
          [empty, { balance: 0n, storage }],
          [contract, { balance: 0n, code: CODES[0]!, storage }],
        ]),
      ),
    );
    const overlay = new StateOverlay(base);
    const emptyAddress = new Address(hexToBytes(empty));
    expect((await overlay.getAccount(emptyAddress))?.storageRoot).not.toEqual(KECCAK256_RLP);
    // Still there after the account receives value.
    await overlay.modifyAccountFields(emptyAddress, { balance: 5n });
    expect((await overlay.getAccount(emptyAddress))?.storageRoot).not.toEqual(KECCAK256_RLP);
    // An account with code collides anyway, whatever its storage.
    expect((await overlay.getAccount(new Address(hexToBytes(contract))))?.storageRoot).toEqual(KECCAK256_RLP);
    await overlay.checkpoint();
    await overlay.deleteAccount(emptyAddress);
    await overlay.modifyAccountFields(emptyAddress, { balance: 1n });
    expect((await overlay.getAccount(emptyAddress))?.storageRoot).toEqual(KECCAK256_RLP);
    await overlay.revert();
    expect((await overlay.getAccount(emptyAddress))?.storageRoot).not.toEqual(KECCAK256_RLP);
  });

  it("refuses to produce a diff with a checkpoint open, and to commit or revert without one", async () => {
    const overlay = new StateOverlay(new MapState());
    await expect(overlay.commit()).rejects.toThrow();
    await expect(overlay.revert()).rejects.toThrow();
    await overlay.checkpoint();
    expect(() => overlay.toDiff()).toThrow();
  });
});
