/**
 * State-commit benchmark: a state of `--accounts` funded accounts and one ERC-20 contract whose storage holds a
 * balance slot for every account; then blocks of `--transfers` token transfers, each touching the sender's
 * account (nonce), two balance slots in the contract, and the contract account (new storage root). So a block
 * changes transfers + 1 account-trie keys and 2 × transfers storage-trie keys.
 *
 * Measures, per block: `commit()` (storage trie, account trie, flat records: the root computation), the durable
 * `kv.write()` of its operations, and `applyCommitted()`. The same updates are then applied to @ethereumjs/mpt
 * tries (in memory, sequential puts then root, as its MerkleStateManager flushes) for comparison.
 *
 * Run: npx tsx packages/state/bench/commit.bench.ts [--accounts 100000] [--blocks 30] [--transfers 1000]
 *      [--engine level|lmdb|memory] [--ethjs-blocks 5] [--node-cache <nodes>]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createMemoryKv, type KvStore, openKv } from "@charter/kv";
import { bigintToBytes, bigintToFixedBytes, bytesToHex, concatBytes } from "@charter/utils";
import { createMPT } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import { createAccount, KECCAK256_NULL, KECCAK256_RLP } from "@ethereumjs/util";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { type AccountDiff, StateDB, type StateDiff } from "../src/index.js";

const { values: args } = parseArgs({
  options: {
    accounts: { type: "string", default: "100000" },
    blocks: { type: "string", default: "30" },
    transfers: { type: "string", default: "1000" },
    engine: { type: "string", default: "level" },
    "ethjs-blocks": { type: "string", default: "5" },
    "node-cache": { type: "string" },
  },
});
const ACCOUNTS = Number(args.accounts);
const BLOCKS = Number(args.blocks);
const TRANSFERS = Number(args.transfers);
const ETHJS_BLOCKS = Number(args["ethjs-blocks"]);
const GENESIS_CHUNK = 20_000;

let hashCalls = 0;
const hash = (data: Uint8Array) => {
  hashCalls++;
  return keccak_256(data);
};

const addresses = Array.from({ length: ACCOUNTS }, (_, i) =>
  keccak_256(bigintToFixedBytes(BigInt(i), 8)).subarray(0, 20),
);
const token = keccak_256(new TextEncoder().encode("token")).subarray(0, 20);
const tokenCode = new Uint8Array(2_000).fill(0x5b);
const tokenCodeHash = keccak_256(tokenCode);
/** Solidity mapping slot of `balances[holder]` at storage index 0. */
const balanceSlot = (holder: Uint8Array) =>
  keccak_256(concatBytes(new Uint8Array(12), holder, new Uint8Array(32)));
const slots = addresses.map(balanceSlot);

const nonces = new Array<bigint>(ACCOUNTS).fill(0n);
const tokenBalances = new Array<bigint>(ACCOUNTS).fill(1_000_000n);
const ETH_BALANCE = 10n ** 21n;

let seed = 0x9e3779b9;
function randomIndex(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

const word = (value: bigint) => bigintToFixedBytes(value, 32);

function genesisDiffs(): StateDiff[] {
  const diffs: StateDiff[] = [];
  for (let start = 0; start < ACCOUNTS; start += GENESIS_CHUNK) {
    const end = Math.min(ACCOUNTS, start + GENESIS_CHUNK);
    const accounts: AccountDiff[] = [];
    const storage = new Map<string, Uint8Array>();
    for (let i = start; i < end; i++) {
      accounts.push({
        address: addresses[i]!,
        account: { nonce: 0n, balance: ETH_BALANCE, codeHash: KECCAK256_NULL },
        storageCleared: false,
        storage: new Map(),
      });
      storage.set(bytesToHex(slots[i]!), word(tokenBalances[i]!));
    }
    accounts.push({
      address: token,
      account: { nonce: 1n, balance: 0n, codeHash: tokenCodeHash },
      storageCleared: false,
      storage,
    });
    diffs.push({
      accounts,
      code: start === 0 ? new Map([[bytesToHex(tokenCodeHash), tokenCode]]) : new Map(),
    });
  }
  return diffs;
}

/** One block of transfers; also returns the plain updates for the @ethereumjs/mpt replay. */
function blockDiff(): StateDiff {
  const senders = new Set<number>();
  const accounts: AccountDiff[] = [];
  const storage = new Map<string, Uint8Array>();
  while (senders.size < TRANSFERS) {
    const from = randomIndex(ACCOUNTS);
    if (senders.has(from)) continue;
    senders.add(from);
    let to = randomIndex(ACCOUNTS);
    if (to === from) to = (to + 1) % ACCOUNTS;
    nonces[from]!++;
    tokenBalances[from]! -= 1n;
    tokenBalances[to]! += 1n;
    accounts.push({
      address: addresses[from]!,
      account: { nonce: nonces[from]!, balance: ETH_BALANCE, codeHash: KECCAK256_NULL },
      storageCleared: false,
      storage: new Map(),
    });
    storage.set(bytesToHex(slots[from]!), word(tokenBalances[from]!));
    storage.set(bytesToHex(slots[to]!), word(tokenBalances[to]!));
  }
  accounts.push({
    address: token,
    account: { nonce: 1n, balance: 0n, codeHash: tokenCodeHash },
    storageCleared: false,
    storage,
  });
  return { accounts, code: new Map() };
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (x: number) => x.toFixed(1);

async function openStore(): Promise<{ kv: KvStore; cleanup: () => Promise<void> }> {
  if (args.engine === "memory") return { kv: createMemoryKv(), cleanup: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), "charter-state-bench-"));
  const kv = await openKv(dir, { engine: args.engine as "lmdb" | "level" });
  return {
    kv,
    cleanup: async () => {
      await kv.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const { kv, cleanup } = await openStore();
const state = new StateDB({
  kv,
  hash,
  ...(args["node-cache"] === undefined ? {} : { cacheTrieNodesMax: Number(args["node-cache"]) }),
});
let t = performance.now();
for (const diff of genesisDiffs()) {
  const commit = await state.commit(diff);
  await kv.write(commit.ops);
  state.applyCommitted(commit);
}
console.log(
  `genesis: ${ACCOUNTS} accounts + ${ACCOUNTS} token slots in ${((performance.now() - t) / 1000).toFixed(1)} s (${args.engine})`,
);

const blocks = Array.from({ length: BLOCKS }, blockDiff);
const commitMs: number[] = [];
const writeMs: number[] = [];
const applyMs: number[] = [];
const opsCount: number[] = [];
const opsBytes: number[] = [];
const hashes: number[] = [];
for (const diff of blocks) {
  hashCalls = 0;
  t = performance.now();
  const commit = await state.commit(diff);
  commitMs.push(performance.now() - t);
  hashes.push(hashCalls);
  opsCount.push(commit.ops.length);
  opsBytes.push(
    commit.ops.reduce((sum, op) => sum + op.key.length + (op.type === "put" ? op.value.length : 0), 0),
  );
  t = performance.now();
  await kv.write(commit.ops);
  writeMs.push(performance.now() - t);
  t = performance.now();
  state.applyCommitted(commit);
  applyMs.push(performance.now() - t);
}
const charterRoot = state.root;
globalThis.gc?.();
const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
await cleanup();

console.log(
  `charter, ${BLOCKS} blocks x ${TRANSFERS} transfers (${TRANSFERS + 1} account keys + ${2 * TRANSFERS} storage keys), ${args.engine}:`,
);
console.log(
  `  commit() (root + ops):   p50 ${fmt(percentile(commitMs, 50))} ms, p99 ${fmt(percentile(commitMs, 99))} ms`,
);
console.log(
  `  durable kv.write(ops):   p50 ${fmt(percentile(writeMs, 50))} ms, p99 ${fmt(percentile(writeMs, 99))} ms`,
);
console.log(`  applyCommitted():        p50 ${fmt(percentile(applyMs, 50))} ms`);
console.log(
  `  ops per block: ${percentile(opsCount, 50)} (${(percentile(opsBytes, 50) / 1024).toFixed(0)} KiB of keys and values), hash calls per block: ${percentile(hashes, 50)}`,
);
console.log(`  heap after the blocks: ${heapMb.toFixed(0)} MB (caches full)`);

if (ETHJS_BLOCKS > 0) {
  // Replays the same state into @ethereumjs/mpt; its roots must equal ours block by block.
  t = performance.now();
  const accountTrie = await createMPT({ useKeyHashing: true });
  const storageTrie = await createMPT({ useKeyHashing: true });
  const initial = genesisDiffs();
  for (const diff of initial) {
    for (const [slot, value] of diff.accounts.at(-1)!.storage) {
      await storageTrie.put(
        Buffer.from(slot.slice(2), "hex"),
        RLP.encode(bigintToBytes(BigInt(bytesToHex(value)))),
      );
    }
  }
  const emptyAccount = createAccount({
    nonce: 0n,
    balance: ETH_BALANCE,
    storageRoot: KECCAK256_RLP,
    codeHash: KECCAK256_NULL,
  });
  for (const address of addresses) await accountTrie.put(address, emptyAccount.serialize());
  console.log(`@ethereumjs/mpt genesis in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const ethMs: number[] = [];
  for (const diff of blocks.slice(0, ETHJS_BLOCKS)) {
    t = performance.now();
    for (const [slot, value] of diff.accounts.at(-1)!.storage) {
      await storageTrie.put(
        Buffer.from(slot.slice(2), "hex"),
        RLP.encode(bigintToBytes(BigInt(bytesToHex(value)))),
      );
    }
    for (const change of diff.accounts) {
      const isToken = change.address === token;
      const account = createAccount({
        nonce: change.account!.nonce,
        balance: change.account!.balance,
        storageRoot: isToken ? storageTrie.root() : KECCAK256_RLP,
        codeHash: change.account!.codeHash,
      });
      await accountTrie.put(change.address, account.serialize());
    }
    accountTrie.root();
    ethMs.push(performance.now() - t);
  }
  console.log(
    `@ethereumjs/mpt, same ${ETHJS_BLOCKS} blocks (in-memory MapDB, sequential puts): p50 ${fmt(percentile(ethMs, 50))} ms, p99 ${fmt(percentile(ethMs, 99))} ms`,
  );
  if (ETHJS_BLOCKS === BLOCKS) {
    console.log(`  roots equal: ${bytesToHex(accountTrie.root()) === bytesToHex(charterRoot)}`);
  }
}
