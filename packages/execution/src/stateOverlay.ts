import { keccak256 } from "@charter/crypto";
import { assert, bytesToHex, equalBytes, hexToBytes } from "@charter/utils";
import type { StateManagerInterface } from "@ethereumjs/common";
import { Account, type Address, KECCAK256_NULL, KECCAK256_RLP } from "@ethereumjs/util";
import type { AccountDiff, AccountState, StateDiff, StateReader } from "./stateReader.js";

const ZERO_WORD = new Uint8Array(32);

interface AccountEntry {
  readonly nonce: bigint;
  readonly balance: bigint;
  readonly codeHash: Uint8Array;
}

type UndoRecord =
  | { readonly kind: "account"; readonly address: string; readonly previous: AccountEntry | null | undefined }
  | {
      readonly kind: "storage";
      readonly address: string;
      readonly slot: string;
      readonly previous: Uint8Array | undefined;
    }
  | {
      readonly kind: "clear";
      readonly address: string;
      readonly wasCleared: boolean;
      readonly previousSlots: Map<string, Uint8Array> | undefined;
    }
  | { readonly kind: "code"; readonly codeHash: string; readonly existed: boolean };

/**
 * A journaled, in-memory layer of state changes over a read-only `StateReader`. It is the state manager the EVM
 * runs on for a whole block: checkpoints cost O(changes), reads fall through to the base state, and at the end
 * `toDiff()` hands every change to the state package, which commits the block in one batch.
 *
 * Storage values are kept as 32-byte words; reads of unset slots return zeros. The EVM normalises what it
 * reads (`setLengthLeftStorage`), so zero words and empty arrays are equivalent to it.
 */
export class StateOverlay implements StateManagerInterface {
  readonly #base: StateReader;
  readonly #accounts = new Map<string, AccountEntry | null>();
  readonly #storage = new Map<string, Map<string, Uint8Array>>();
  /** Accounts whose base storage is hidden: they were deleted or re-created during this overlay's life. */
  readonly #cleared = new Set<string>();
  readonly #code = new Map<string, Uint8Array>();
  readonly #journal: UndoRecord[] = [];
  readonly #checkpoints: number[] = [];
  /** Values of slots as they were when `originalStorageCache.clear()` was last called (start of a transaction). */
  readonly #original = new Map<string, Uint8Array>();

  readonly originalStorageCache = {
    get: async (address: Address, key: Uint8Array): Promise<Uint8Array> => {
      const id = `${address.toString()}${bytesToHex(key).slice(2)}`;
      let value = this.#original.get(id);
      if (value === undefined) {
        value = this.#readStorage(address.toString(), address.bytes, key);
        this.#original.set(id, value);
      }
      return value;
    },
    clear: (): void => {
      this.#original.clear();
    },
  };

  constructor(base: StateReader) {
    this.#base = base;
  }

  /** Synchronous account read for the transaction processor. */
  readAccount(address: Uint8Array): AccountEntry | undefined {
    return this.#readAccount(bytesToHex(address), address);
  }

  /** Synchronous storage read (32-byte word, zeros when unset), for checks between transactions. */
  readStorage(address: Uint8Array, slot: Uint8Array): Uint8Array {
    return this.#readStorage(bytesToHex(address), address, slot);
  }

  writeAccount(address: Uint8Array, account: AccountEntry): void {
    this.#setAccount(bytesToHex(address), account);
  }

  async getAccount(address: Address): Promise<Account | undefined> {
    const key = address.toString();
    const entry = this.#readAccount(key, address.bytes);
    if (entry === undefined) return undefined;
    return new Account(
      entry.nonce,
      entry.balance,
      this.#storageRoot(key, address.bytes, entry),
      entry.codeHash,
    );
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    if (account === undefined) {
      await this.deleteAccount(address);
      return;
    }
    this.#setAccount(address.toString(), {
      nonce: account.nonce,
      balance: account.balance,
      codeHash: account.codeHash,
    });
  }

  async deleteAccount(address: Address): Promise<void> {
    const key = address.toString();
    this.#clearStorage(key);
    this.#setAccount(key, null);
  }

  async modifyAccountFields(
    address: Address,
    fields: { nonce?: bigint; balance?: bigint; codeHash?: Uint8Array },
  ): Promise<void> {
    const key = address.toString();
    const current = this.#readAccount(key, address.bytes) ?? {
      nonce: 0n,
      balance: 0n,
      codeHash: KECCAK256_NULL,
    };
    this.#setAccount(key, {
      nonce: fields.nonce ?? current.nonce,
      balance: fields.balance ?? current.balance,
      codeHash: fields.codeHash ?? current.codeHash,
    });
  }

  async putCode(address: Address, code: Uint8Array): Promise<void> {
    const codeHash = keccak256(code);
    const hashHex = bytesToHex(codeHash);
    if (!this.#code.has(hashHex)) {
      this.#journal.push({ kind: "code", codeHash: hashHex, existed: false });
      this.#code.set(hashHex, code);
    }
    await this.modifyAccountFields(address, { codeHash });
  }

  async getCode(address: Address): Promise<Uint8Array> {
    const entry = this.#readAccount(address.toString(), address.bytes);
    if (entry === undefined) return new Uint8Array(0);
    return this.codeByHash(entry.codeHash);
  }

  codeByHash(codeHash: Uint8Array): Uint8Array {
    if (equalBytes(codeHash, KECCAK256_NULL)) return new Uint8Array(0);
    return this.#code.get(bytesToHex(codeHash)) ?? this.#base.getCode(codeHash);
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length;
  }

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    return this.#readStorage(address.toString(), address.bytes, key);
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    assert(key.length === 32, "storage keys are 32 bytes");
    assert(value.length <= 32, "storage values are at most 32 bytes");
    const word = value.length === 32 ? value : leftPad32(value);
    const account = address.toString();
    const slot = bytesToHex(key);
    let slots = this.#storage.get(account);
    if (slots === undefined) {
      slots = new Map();
      this.#storage.set(account, slots);
    }
    this.#journal.push({ kind: "storage", address: account, slot, previous: slots.get(slot) });
    slots.set(slot, word);
  }

  async clearStorage(address: Address): Promise<void> {
    this.#clearStorage(address.toString());
  }

  async checkpoint(): Promise<void> {
    this.#checkpoints.push(this.#journal.length);
  }

  async commit(): Promise<void> {
    assert(this.#checkpoints.length > 0, "commit without a checkpoint");
    this.#checkpoints.pop();
  }

  async revert(): Promise<void> {
    const mark = this.#checkpoints.pop();
    assert(mark !== undefined, "revert without a checkpoint");
    while (this.#journal.length > mark) this.#undo(this.#journal.pop()!);
  }

  async getStateRoot(): Promise<Uint8Array> {
    throw new Error("StateOverlay has no state root: the state package computes it once per block");
  }

  async setStateRoot(): Promise<void> {
    throw new Error("StateOverlay cannot switch state roots; build a new overlay over the wanted state");
  }

  async hasStateRoot(): Promise<boolean> {
    return false;
  }

  clearCaches(): void {}

  shallowCopy(): StateManagerInterface {
    return new StateOverlay(this.#base);
  }

  /** Whether a checkpoint is open: a block must finish with none. */
  get depth(): number {
    return this.#checkpoints.length;
  }

  /** Every change since the overlay was created, in a stable (sorted) order. */
  toDiff(): StateDiff {
    assert(this.#checkpoints.length === 0, "toDiff with open checkpoints");
    const touched = new Set<string>([...this.#accounts.keys(), ...this.#storage.keys(), ...this.#cleared]);
    const accounts: AccountDiff[] = [];
    for (const key of [...touched].sort()) {
      const address = hexToBytes(key);
      const entry = this.#readAccount(key, address);
      const slots = this.#storage.get(key);
      const storage = new Map<string, Uint8Array>();
      // Slots written to an account that ends the block deleted are dropped with it.
      if (entry !== undefined && slots !== undefined) {
        for (const slot of [...slots.keys()].sort()) storage.set(slot, slots.get(slot)!);
      }
      accounts.push({
        address,
        account:
          entry === undefined
            ? null
            : { nonce: entry.nonce, balance: entry.balance, codeHash: entry.codeHash },
        storageCleared: this.#cleared.has(key),
        storage,
      });
    }
    const code = new Map<string, Uint8Array>();
    for (const [hash, bytes] of this.#code) code.set(hash, bytes);
    return { accounts, code };
  }

  #readAccount(key: string, address: Uint8Array): AccountEntry | undefined {
    if (this.#accounts.has(key)) return this.#accounts.get(key) ?? undefined;
    const base: AccountState | undefined = this.#base.getAccount(address);
    if (base === undefined) return undefined;
    return { nonce: base.nonce, balance: base.balance, codeHash: base.codeHash };
  }

  /**
   * The storage root the EVM sees, which it only uses for EIP-7610: creating a contract where storage exists
   * collides. An account with a nonce or code collides anyway, and an account without either cannot have written
   * storage during this overlay's life (only its own creation code could, and a creation that succeeds leaves a
   * nonce), so its storage is the base state's unless the overlay wiped it.
   */
  #storageRoot(key: string, address: Uint8Array, entry: AccountEntry): Uint8Array {
    if (entry.nonce !== 0n || !equalBytes(entry.codeHash, KECCAK256_NULL) || this.#cleared.has(key)) {
      return KECCAK256_RLP;
    }
    return this.#base.getAccount(address)?.storageRoot ?? KECCAK256_RLP;
  }

  #setAccount(key: string, entry: AccountEntry | null): void {
    this.#journal.push({ kind: "account", address: key, previous: this.#accounts.get(key) });
    this.#accounts.set(key, entry);
  }

  #readStorage(key: string, address: Uint8Array, slot: Uint8Array): Uint8Array {
    const value = this.#storage.get(key)?.get(bytesToHex(slot));
    if (value !== undefined) return value;
    if (this.#cleared.has(key)) return ZERO_WORD;
    return this.#base.getStorage(address, slot);
  }

  #clearStorage(key: string): void {
    this.#journal.push({
      kind: "clear",
      address: key,
      wasCleared: this.#cleared.has(key),
      previousSlots: this.#storage.get(key),
    });
    this.#cleared.add(key);
    this.#storage.delete(key);
  }

  #undo(record: UndoRecord): void {
    switch (record.kind) {
      case "account":
        if (record.previous === undefined) this.#accounts.delete(record.address);
        else this.#accounts.set(record.address, record.previous);
        return;
      case "storage": {
        const slots = this.#storage.get(record.address);
        assert(slots !== undefined, "undo of a storage write whose slot map is gone");
        if (record.previous === undefined) slots.delete(record.slot);
        else slots.set(record.slot, record.previous);
        return;
      }
      case "clear":
        if (!record.wasCleared) this.#cleared.delete(record.address);
        if (record.previousSlots === undefined) this.#storage.delete(record.address);
        else this.#storage.set(record.address, record.previousSlots);
        return;
      case "code":
        if (!record.existed) this.#code.delete(record.codeHash);
        return;
    }
  }
}

function leftPad32(value: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  out.set(value, 32 - value.length);
  return out;
}
