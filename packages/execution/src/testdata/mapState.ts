import { keccak256 } from "@charter/crypto";
import { assert, bytesToHex, equalBytes, hexToBytes } from "@charter/utils";
import type { AccountState, StateDiff, StateReader } from "../stateReader.js";

const EMPTY_CODE_HASH = keccak256(new Uint8Array(0));
/** Root of an empty trie (Keccak-256 of RLP("")). */
export const EMPTY_STORAGE_ROOT = hexToBytes(
  "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
);
/**
 * What `MapState` reports as the storage root of an account with storage. It is not a trie root: execution only
 * asks whether the storage is empty (EIP-7610), and a test double need not build tries.
 */
const NON_EMPTY_STORAGE_ROOT = keccak256(new TextEncoder().encode("MapState: non-empty storage"));
const ZERO_WORD = new Uint8Array(32);

interface Account {
  readonly nonce: bigint;
  readonly balance: bigint;
  readonly codeHash: Uint8Array;
}

/**
 * An in-memory world state for tests: the base the executor reads, and what block diffs are applied to, so that a
 * test can run block after block without the state package. Keys are lower-case 0x-hex strings.
 */
export class MapState implements StateReader {
  readonly #accounts = new Map<string, Account>();
  readonly #storage = new Map<string, Map<string, Uint8Array>>();
  readonly #code = new Map<string, Uint8Array>();

  static fromDiff(diff: StateDiff): MapState {
    const state = new MapState();
    state.apply(diff);
    return state;
  }

  getAccount(address: Uint8Array): AccountState | undefined {
    const key = bytesToHex(address);
    const account = this.#accounts.get(key);
    if (account === undefined) return undefined;
    const hasStorage = (this.#storage.get(key)?.size ?? 0) > 0;
    return { ...account, storageRoot: hasStorage ? NON_EMPTY_STORAGE_ROOT : EMPTY_STORAGE_ROOT };
  }

  getStorage(address: Uint8Array, slot: Uint8Array): Uint8Array {
    return this.#storage.get(bytesToHex(address))?.get(bytesToHex(slot)) ?? ZERO_WORD;
  }

  getCode(codeHash: Uint8Array): Uint8Array {
    if (equalBytes(codeHash, EMPTY_CODE_HASH)) return new Uint8Array(0);
    const code = this.#code.get(bytesToHex(codeHash));
    assert(code !== undefined, `MapState has no code with hash ${bytesToHex(codeHash)}`);
    return code;
  }

  /** Applies a block's (or genesis') diff the way the state package commits one. */
  apply(diff: StateDiff): void {
    for (const [hash, code] of diff.code) {
      assert(bytesToHex(keccak256(code)) === hash, `code filed under the wrong hash ${hash}`);
      this.#code.set(hash, code);
    }
    for (const entry of diff.accounts) {
      const key = bytesToHex(entry.address);
      if (entry.storageCleared || entry.account === null) this.#storage.delete(key);
      if (entry.account === null) {
        this.#accounts.delete(key);
        assert(entry.storage.size === 0, `deleted account ${key} comes with storage writes`);
        continue;
      }
      this.#accounts.set(key, entry.account);
      let slots = this.#storage.get(key);
      for (const [slot, value] of entry.storage) {
        assert(value.length === 32, `storage value of ${key} ${slot} is not a 32-byte word`);
        if (slots === undefined) {
          slots = new Map();
          this.#storage.set(key, slots);
        }
        if (equalBytes(value, ZERO_WORD)) slots.delete(slot);
        else slots.set(slot, value);
      }
      if (slots?.size === 0) this.#storage.delete(key);
    }
  }

  clone(): MapState {
    const copy = new MapState();
    for (const [key, account] of this.#accounts) copy.#accounts.set(key, account);
    for (const [key, slots] of this.#storage) copy.#storage.set(key, new Map(slots));
    for (const [key, code] of this.#code) copy.#code.set(key, code);
    return copy;
  }

  /** Every account, sorted by address. */
  accounts(): [string, Account][] {
    return [...this.#accounts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The non-zero slots of an account, sorted by slot. */
  storageOf(address: string): [string, Uint8Array][] {
    return [...(this.#storage.get(address.toLowerCase())?.entries() ?? [])].sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
  }

  codeOf(address: string): Uint8Array {
    const account = this.#accounts.get(address.toLowerCase());
    return account === undefined ? new Uint8Array(0) : this.getCode(account.codeHash);
  }

  balanceOf(address: string): bigint {
    return this.#accounts.get(address.toLowerCase())?.balance ?? 0n;
  }
}
