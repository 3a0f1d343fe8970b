import { rmSync } from "node:fs";
import {
  createTestNetwork,
  devPrivateKeysHex,
  type NodeProcess,
  rpcCall,
  startNodeProcess,
  type TestNetwork,
  waitFor,
} from "@charter/testing";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Four validators as separate OS processes, talking over authenticated TLS links: the chain survives one crash,
 * halts without forking when two are down, resumes when they return, and never loses or repeats a transaction
 * whose receipt a client saw.
 */
describe("4-validator BFT network (real processes)", () => {
  let network: TestNetwork;
  const nodes: (NodeProcess | undefined)[] = [];
  const seen = new Map<string, { blockHash: string; blockNumber: string }>();

  const height = async (i: number) => Number(await rpcCall<string>(nodes[i]!.rpcUrl, "eth_blockNumber"));
  const start = async (i: number) => {
    nodes[i] = await startNodeProcess(network.layout.nodes[i]!.configFile);
  };
  const up = () => nodes.map((n, i) => (n ? i : -1)).filter((i) => i >= 0);

  /** Sends `count` transfers through the running nodes in turn and records every receipt seen. */
  async function load(count: number, from: number): Promise<void> {
    const keys = devPrivateKeysHex(from + 4).slice(from);
    const wallets = keys.map((k) => new Wallet(k));
    const chainId = Number(await rpcCall<string>(nodes[up()[0]!]!.rpcUrl, "eth_chainId"));
    const hashes: string[] = [];
    // Nonces are counted here: a node's `pending` count may not include a transaction still being gossiped to it.
    const first = nodes[up()[0]!]!.rpcUrl;
    const nonces = await Promise.all(
      wallets.map(async (w) =>
        Number(await rpcCall<string>(first, "eth_getTransactionCount", [w.address, "pending"])),
      ),
    );
    for (let i = 0; i < count; i++) {
      const running = up();
      const url = nodes[running[i % running.length]!]!.rpcUrl;
      const wallet = wallets[i % wallets.length]!;
      const nonce = nonces[i % wallets.length]!++;
      const raw = await wallet.signTransaction({
        type: 2,
        chainId,
        nonce,
        to: "0x000000000000000000000000000000000000dEaD",
        value: 1n,
        gasLimit: 21_000n,
        maxFeePerGas: 0n,
        maxPriorityFeePerGas: 0n,
      });
      hashes.push(await rpcCall<string>(url, "eth_sendRawTransaction", [raw]));
    }
    for (const hash of hashes) {
      const receipt = await waitFor(
        `receipt of ${hash}`,
        async () => {
          for (const i of up()) {
            const r = await rpcCall<{ blockHash: string; blockNumber: string } | null>(
              nodes[i]!.rpcUrl,
              "eth_getTransactionReceipt",
              [hash],
            ).catch(() => null);
            if (r) return r;
          }
          return undefined;
        },
        { timeoutMs: 30_000 },
      );
      seen.set(hash, { blockHash: receipt.blockHash, blockNumber: receipt.blockNumber });
    }
  }

  async function waitForHeight(i: number, target: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `node ${i} to reach height ${target}`,
      async () => ((await height(i)) >= target ? true : undefined),
      {
        timeoutMs,
      },
    );
  }

  beforeAll(async () => {
    network = await createTestNetwork({ validators: 4, blockIntervalMs: 300 });
    await Promise.all([0, 1, 2, 3].map(start));
    await Promise.all([0, 1, 2, 3].map((i) => waitForHeight(i, 2)));
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n?.stop()));
    if (network !== undefined) rmSync(network.layout.dir, { recursive: true, force: true });
  });

  it("keeps committing with one validator killed, and the restarted one syncs the blocks it missed", async () => {
    await load(12, 0);
    await nodes[3]!.kill();
    nodes[3] = undefined;
    const before = await height(0);
    await load(12, 4);
    // Further behind than consensus catch-up reaches (16 decisions), so only block sync can bring it back.
    await waitForHeight(0, before + 24, 60_000);
    await start(3);
    const target = await height(0);
    await waitForHeight(3, target);
    expect(nodes[3]!.log()).toContain("syncing blocks from peers");
    expect(nodes[3]!.log()).toContain("caught up; rejoining consensus");
  });

  it("halts without forking when two validators are down, and resumes when they return", async () => {
    await nodes[2]!.kill();
    await nodes[3]!.kill();
    nodes[2] = undefined;
    nodes[3] = undefined;
    // Let anything in flight settle, then watch: with 2 of 4 down there is no quorum.
    await new Promise((r) => setTimeout(r, 1_500));
    const halted = [await height(0), await height(1)];
    await new Promise((r) => setTimeout(r, 3_000));
    expect([await height(0), await height(1)]).toEqual(halted);
    await Promise.all([start(2), start(3)]);
    const resumeFrom = Math.max(...halted);
    await Promise.all([0, 1, 2, 3].map((i) => waitForHeight(i, resumeFrom + 3)));
    await load(8, 8);
  });

  it("ends with one chain: same blocks and state on every node, every seen transaction exactly once", async () => {
    const top = Math.max(...[...seen.values()].map((r) => Number(r.blockNumber)));
    await Promise.all([0, 1, 2, 3].map((i) => waitForHeight(i, top)));
    const txCount = new Map<string, number>();
    for (let h = 1; h <= top; h++) {
      const blocks = await Promise.all(
        [0, 1, 2, 3].map((i) =>
          rpcCall<{ hash: string; stateRoot: string; transactions: string[] }>(
            nodes[i]!.rpcUrl,
            "eth_getBlockByNumber",
            [`0x${h.toString(16)}`, false],
          ),
        ),
      );
      for (const block of blocks) {
        expect(block.hash).toBe(blocks[0]!.hash);
        expect(block.stateRoot).toBe(blocks[0]!.stateRoot);
      }
      for (const tx of blocks[0]!.transactions) txCount.set(tx, (txCount.get(tx) ?? 0) + 1);
    }
    expect(seen.size).toBe(32);
    for (const [hash, where] of seen) {
      expect(txCount.get(hash), `transaction ${hash} once in the chain`).toBe(1);
      for (const i of [0, 1, 2, 3]) {
        const receipt = await rpcCall<{ blockHash: string } | null>(
          nodes[i]!.rpcUrl,
          "eth_getTransactionReceipt",
          [hash],
        );
        expect(receipt?.blockHash).toBe(where.blockHash);
      }
    }
  });
});
