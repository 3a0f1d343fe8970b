import { keccak256 } from "@charter/crypto";
import { assert, bigintToFixedBytes, bytesToHex } from "@charter/utils";
import { PREDEPLOYS } from "./predeploys.js";
import type { AccountDiff, StateDiff } from "./stateReader.js";

/** One genesis allocation: an account's starting balance, and optionally nonce, code and storage. */
export interface GenesisAccount {
  readonly balance: bigint;
  readonly nonce?: bigint;
  readonly code?: Uint8Array;
  /** 32-byte slot → 32-byte value. */
  readonly storage?: ReadonlyMap<string, Uint8Array>;
}

/**
 * The state diff that creates a chain's genesis state: the configured allocations plus the predeploys. An
 * allocation at a predeploy's address is refused, since the tools that rely on the predeploy would break.
 */
export function genesisStateDiff(alloc: ReadonlyMap<string, GenesisAccount>): StateDiff {
  const code = new Map<string, Uint8Array>();
  const accounts = new Map<string, AccountDiff>();
  for (const predeploy of PREDEPLOYS) {
    const codeHash = keccak256(predeploy.code);
    assert(
      bytesToHex(codeHash) === predeploy.codeHash,
      `${predeploy.name} code does not match its published hash`,
    );
    code.set(predeploy.codeHash, predeploy.code);
    accounts.set(bytesToHex(predeploy.address), {
      address: predeploy.address,
      account: { nonce: 1n, balance: 0n, codeHash },
      storageCleared: false,
      storage: new Map(),
    });
  }
  for (const [addressHex, entry] of alloc) {
    const key = addressHex.toLowerCase();
    if (accounts.has(key))
      throw new Error(`genesis allocation at ${addressHex} collides with a predeployed contract`);
    const address = bigintToFixedBytes(BigInt(key), 20);
    let codeHash = keccak256(new Uint8Array(0));
    if (entry.code !== undefined && entry.code.length > 0) {
      codeHash = keccak256(entry.code);
      code.set(bytesToHex(codeHash), entry.code);
    }
    accounts.set(key, {
      address,
      account: { nonce: entry.nonce ?? (entry.code?.length ? 1n : 0n), balance: entry.balance, codeHash },
      storageCleared: false,
      storage: new Map(entry.storage ?? []),
    });
  }
  return { accounts: [...accounts.keys()].sort().map((k) => accounts.get(k)!), code };
}
