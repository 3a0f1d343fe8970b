import { rmSync } from "node:fs";
import {
  createTestNetwork,
  devPrivateKeysHex,
  type NodeProcess,
  rpcBatch,
  rpcCall,
  startNodeProcess,
  type TestNetwork,
  waitFor,
} from "@charter/testing";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * kill -9 in the middle of a load, three times at different moments. The observer records every block it sees
 * (hash, stateRoot) and every receipt it sees; after each restart on the same data folder all of them must be
 * there unchanged, the chain must go on producing blocks, and senders must be able to continue from their nonces.
 * This is the "zero acknowledged transactions lost across kill -9" bar of the product brief, for one validator.
 */

const CHAIN_ID = 7345;
const SENDERS = 40;
/** Transactions pre-signed for one round: ~1500 over ~5 s. */
const TXS_PER_ROUND = 1500;
const TICK_MS = 100;
const TXS_PER_TICK = 30;
/** When, after the load starts, each round kills the node: early, middle and late. */
const KILL_AFTER_MS = [1200, 2600, 4200];
const BATCH_READ_MAX = 200;

interface SeenBlock {
  readonly hash: string;
  readonly stateRoot: string;
  readonly parentHash: string;
}

interface SeenReceipt {
  readonly blockNumber: string;
  readonly blockHash: string;
  readonly status: string;
  readonly from: string;
}

let network: TestNetwork;
let node: NodeProcess | undefined;
const wallets = devPrivateKeysHex(SENDERS).map((key) => new Wallet(key));
/** Every block the observer saw, by height. */
const blocks = new Map<number, SeenBlock>();
/** Every receipt the observer saw, by transaction hash. */
const receipts = new Map<string, SeenReceipt>();

function rpcUrl(): string {
  if (!node) throw new Error("no node running");
  return node.rpcUrl;
}

async function headHeight(): Promise<number> {
  return Number(await rpcCall<string>(rpcUrl(), "eth_blockNumber"));
}

async function startNode(): Promise<void> {
  node = await startNodeProcess(network.layout.nodes[0]!.configFile);
}

/** Records blocks and their receipts up to the head; returns the last height recorded. */
async function observe(url: string, from: number): Promise<number> {
  const head = Number(await rpcCall<string>(url, "eth_blockNumber"));
  let height = from;
  while (height < head) {
    const next = Math.min(head, height + 20);
    const requests = [];
    for (let h = height + 1; h <= next; h++) {
      const tag = `0x${h.toString(16)}`;
      requests.push({ method: "eth_getBlockByNumber", params: [tag, false] });
      requests.push({ method: "eth_getBlockReceipts", params: [tag] });
    }
    const responses = await rpcBatch(url, requests);
    for (let i = 0; i < responses.length; i += 2) {
      const block = responses[i]!.result as (SeenBlock & { number: string; transactions: string[] }) | null;
      const blockReceipts = responses[i + 1]!.result as (SeenReceipt & { transactionHash: string })[] | null;
      if (!block || !blockReceipts) throw new Error(`block ${height + 1 + i / 2} missing below the head`);
      expect(blockReceipts.map((r) => r.transactionHash)).toEqual(block.transactions);
      blocks.set(Number(block.number), {
        hash: block.hash,
        stateRoot: block.stateRoot,
        parentHash: block.parentHash,
      });
      for (const r of blockReceipts) receipts.set(r.transactionHash, toSeen(r));
    }
    height = next;
  }
  return height;
}

/**
 * After a restart: every recorded block and receipt is still there, unchanged. Blocks and all receipts are read per
 * block (eth_getBlockByNumber + eth_getBlockReceipts); the receipts seen since the last restart are also looked up
 * one by one through the transaction index (eth_getTransactionReceipt), which a wallet's wait loop uses.
 */
async function verifyRecorded(sinceLastRestart: ReadonlySet<string>): Promise<void> {
  const url = rpcUrl();
  const heights = [...blocks.keys()].sort((a, b) => a - b);
  expect(await headHeight()).toBeGreaterThanOrEqual(heights.at(-1)!);
  const perBlock = new Map<string, SeenReceipt>();
  for (let i = 0; i < heights.length; i += BATCH_READ_MAX / 2) {
    const chunk = heights.slice(i, i + BATCH_READ_MAX / 2);
    const responses = await rpcBatch(
      url,
      chunk.flatMap((h) => [
        { method: "eth_getBlockByNumber", params: [`0x${h.toString(16)}`, false] },
        { method: "eth_getBlockReceipts", params: [`0x${h.toString(16)}`] },
      ]),
    );
    const found = chunk.map((_, j) => {
      const b = responses[2 * j]!.result as SeenBlock | null;
      for (const r of (responses[2 * j + 1]!.result ?? []) as (SeenReceipt & { transactionHash: string })[]) {
        perBlock.set(r.transactionHash, toSeen(r));
      }
      return b ? { hash: b.hash, stateRoot: b.stateRoot, parentHash: b.parentHash } : null;
    });
    expect(found).toEqual(chunk.map((h) => blocks.get(h)));
  }
  // The recorded blocks form one chain.
  for (const h of heights) {
    const parent = blocks.get(h - 1);
    if (parent) expect(blocks.get(h)!.parentHash).toBe(parent.hash);
  }
  const missing = [...receipts.keys()].filter((hash) => !perBlock.has(hash));
  expect(missing).toEqual([]);
  for (const [hash, seen] of receipts) expect(perBlock.get(hash)).toEqual(seen);

  const recent = [...sinceLastRestart];
  for (let i = 0; i < recent.length; i += BATCH_READ_MAX) {
    const chunk = recent.slice(i, i + BATCH_READ_MAX);
    const responses = await rpcBatch(
      url,
      chunk.map((hash) => ({ method: "eth_getTransactionReceipt", params: [hash] })),
    );
    const found = responses.map((r) => (r.result ? toSeen(r.result as SeenReceipt) : null));
    expect(found).toEqual(chunk.map((hash) => receipts.get(hash)));
  }
}

function toSeen(receipt: SeenReceipt): SeenReceipt {
  return {
    blockNumber: receipt.blockNumber,
    blockHash: receipt.blockHash,
    status: receipt.status,
    from: receipt.from,
  };
}

/** Signs `TXS_PER_ROUND` value transfers round-robin over the senders, from their current nonces. */
async function presign(): Promise<string[]> {
  const nonces = (
    await rpcBatch(
      rpcUrl(),
      wallets.map((w) => ({ method: "eth_getTransactionCount", params: [w.address, "pending"] })),
    )
  ).map((r) => Number(r.result));
  const raws: string[] = [];
  for (let i = 0; i < TXS_PER_ROUND; i++) {
    const s = i % SENDERS;
    raws.push(
      await wallets[s]!.signTransaction({
        type: i % 3 === 0 ? 0 : 2,
        chainId: CHAIN_ID,
        nonce: nonces[s]!++,
        to: wallets[(s + 1 + (i % 7)) % SENDERS]!.address,
        value: BigInt(1 + (i % 1000)),
        gasLimit: 21_000n,
        ...(i % 3 === 0 ? { gasPrice: 0n } : { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }),
      }),
    );
  }
  return raws;
}

/**
 * Sends the pre-signed transactions in batches every tick and observes blocks until `killAfterMs`, then kills the
 * node with SIGKILL while both loops are still running. Returns what the load saw.
 */
async function loadAndKill(raws: readonly string[], killAfterMs: number) {
  const url = rpcUrl();
  let killed = false;
  let accepted = 0;
  const rejected: string[] = [];
  const sender = (async () => {
    for (let i = 0; i < raws.length && !killed; i += TXS_PER_TICK) {
      const chunk = raws.slice(i, i + TXS_PER_TICK);
      try {
        const responses = await rpcBatch(
          url,
          chunk.map((raw) => ({ method: "eth_sendRawTransaction", params: [raw] })),
        );
        for (const r of responses) {
          if (r.error) rejected.push(r.error.message);
          else accepted++;
        }
      } catch (error) {
        if (!killed) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
  })();
  let observed = blocks.size === 0 ? 0 : Math.max(...blocks.keys());
  const observer = (async () => {
    // Bounded: at most one pass per 50 ms until the kill.
    while (!killed) {
      try {
        observed = await observe(url, observed);
      } catch (error) {
        if (!killed) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, killAfterMs));
  killed = true;
  await node!.kill();
  await Promise.all([sender, observer]);
  return { accepted, rejected, observed };
}

beforeAll(async () => {
  network = await createTestNetwork({ blockIntervalMs: 250 });
  await startNode();
  // Fund the senders past the 20 funded dev accounts from dev account 0.
  const funder = wallets[0]!;
  const raws: string[] = [];
  for (let i = 20; i < SENDERS; i++) {
    raws.push(
      await funder.signTransaction({
        type: 2,
        chainId: CHAIN_ID,
        nonce: i - 20,
        to: wallets[i]!.address,
        value: 10n ** 18n,
        gasLimit: 21_000n,
        maxFeePerGas: 0n,
        maxPriorityFeePerGas: 0n,
      }),
    );
  }
  const sent = await rpcBatch(
    rpcUrl(),
    raws.map((raw) => ({ method: "eth_sendRawTransaction", params: [raw] })),
  );
  expect(sent.map((r) => r.error)).toEqual(raws.map(() => undefined));
  await waitFor("the funding transactions", async () =>
    Number(await rpcCall<string>(rpcUrl(), "eth_getTransactionCount", [funder.address, "latest"])) ===
    raws.length
      ? true
      : undefined,
  );
});

afterAll(async () => {
  await node?.stop();
  if (network) rmSync(network.layout.dir, { recursive: true, force: true });
});

describe("kill -9 under load", () => {
  it.each(KILL_AFTER_MS.map((ms, i) => ({ ms, round: i + 1 })))(
    "loses nothing it acknowledged when killed $ms ms into the load (round $round)",
    async ({ ms }) => {
      const receiptsBefore = new Set(receipts.keys());
      const raws = await presign();
      const { accepted, rejected, observed } = await loadAndKill(raws, ms);
      // The load was real: the pool took transactions and blocks with receipts were seen before the kill.
      expect(rejected).toEqual([]);
      expect(accepted).toBeGreaterThan(100);
      const seenThisRound = new Set([...receipts.keys()].filter((hash) => !receiptsBefore.has(hash)));
      expect(seenThisRound.size).toBeGreaterThan(50);
      expect(observed).toBeGreaterThan(0);

      await startNode();
      await verifyRecorded(seenThisRound);

      // The chain goes on: new blocks on top of what was recorded before the kill.
      const restartHeight = await headHeight();
      await waitFor("two blocks after the restart", async () =>
        (await headHeight()) >= restartHeight + 2 ? true : undefined,
      );
      const above = await rpcCall<{ parentHash: string }>(rpcUrl(), "eth_getBlockByNumber", [
        `0x${(observed + 1).toString(16)}`,
        false,
      ]);
      expect(above.parentHash).toBe(blocks.get(observed)!.hash);

      // Nonces continue: each sender's count covers every receipt seen for it, and a used sender can send again.
      const counts = await rpcBatch(
        rpcUrl(),
        wallets.map((w) => ({ method: "eth_getTransactionCount", params: [w.address, "pending"] })),
      );
      const seenPerSender = new Map<string, number>();
      for (const r of receipts.values()) seenPerSender.set(r.from, (seenPerSender.get(r.from) ?? 0) + 1);
      wallets.forEach((w, i) => {
        expect(Number(counts[i]!.result)).toBeGreaterThanOrEqual(
          seenPerSender.get(w.address.toLowerCase()) ?? 0,
        );
      });
      const used = wallets[5]!;
      const nonce = Number(
        await rpcCall<string>(rpcUrl(), "eth_getTransactionCount", [used.address, "pending"]),
      );
      expect(nonce).toBeGreaterThan(0);
      const hash = await rpcCall<string>(rpcUrl(), "eth_sendRawTransaction", [
        await used.signTransaction({
          type: 2,
          chainId: CHAIN_ID,
          nonce,
          to: wallets[6]!.address,
          value: 1n,
          gasLimit: 21_000n,
          maxFeePerGas: 0n,
          maxPriorityFeePerGas: 0n,
        }),
      ]);
      const receipt = await waitFor("the post-restart transaction", () =>
        rpcCall<{ status: string } | null>(rpcUrl(), "eth_getTransactionReceipt", [hash]).then(
          (r) => r ?? undefined,
        ),
      );
      expect(receipt.status).toBe("0x1");
      // Record what the restarted node produced so far, so the next round checks it too.
      await observe(rpcUrl(), Math.max(...blocks.keys()));
    },
    120_000,
  );
});
