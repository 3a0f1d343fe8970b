import { rmSync } from "node:fs";
import {
  createTestNetwork,
  DEV_KEY_0,
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
 * More transactions than one block holds: what the producer leaves out of a full block must stay in the pool and
 * be mined in the next blocks, including a sender's later nonces that wait behind the one that did not fit.
 */
describe("a pool holding more than one block", () => {
  let node: NodeProcess;
  // 1,000,000 gas per block: 47 transfers using 21,000 gas each, but each declares 50,000, so the 47th does not fit.
  let network: TestNetwork | undefined;
  beforeAll(async () => {
    network = await createTestNetwork({ blockIntervalMs: 300, gasLimit: 1_000_000n });
    node = await startNodeProcess(network.layout.nodes[0]!.configFile);
  });
  afterAll(async () => {
    await node?.stop();
    if (network) rmSync(network.layout.dir, { recursive: true, force: true });
  });

  it("mines every transaction over several blocks", async () => {
    const wallet = new Wallet(DEV_KEY_0);
    const chainId = Number(await rpcCall<string>(node.rpcUrl, "eth_chainId"));
    const start = BigInt(
      await rpcCall<string>(node.rpcUrl, "eth_getTransactionCount", [wallet.address, "pending"]),
    );
    const count = 120;
    const raws = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        wallet.signTransaction({
          type: 2,
          chainId,
          nonce: Number(start) + i,
          to: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
          value: 1n,
          gasLimit: 50_000n,
          maxFeePerGas: 0n,
          maxPriorityFeePerGas: 0n,
        }),
      ),
    );
    // Nonce gaps are limited to 64, so admit in order, in batches small enough to stay within it.
    const hashes: string[] = [];
    for (let i = 0; i < raws.length; i += 40) {
      const responses = await rpcBatch(
        node.rpcUrl,
        raws.slice(i, i + 40).map((raw) => ({ method: "eth_sendRawTransaction", params: [raw] })),
      );
      for (const r of responses) {
        expect(r.error).toBeUndefined();
        hashes.push(r.result as string);
      }
    }
    const receipts = await waitFor(
      "every transaction to be mined",
      async () => {
        const responses = await rpcBatch(
          node.rpcUrl,
          hashes.map((h) => ({ method: "eth_getTransactionReceipt", params: [h] })),
        );
        const found = responses.map((r) => r.result as { blockNumber: string; status: string } | null);
        return found.every((r) => r !== null) ? found : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(receipts.every((r) => r!.status === "0x1")).toBe(true);
    const blocks = new Set(receipts.map((r) => r!.blockNumber));
    expect(blocks.size).toBeGreaterThanOrEqual(3);
    const nonce = BigInt(
      await rpcCall<string>(node.rpcUrl, "eth_getTransactionCount", [wallet.address, "latest"]),
    );
    expect(nonce).toBe(start + BigInt(count));
  });
});
