import { isError, JsonRpcProvider, Wallet, WebSocketProvider } from "ethers";
import { createPublicClient, defineChain, http, type Log, webSocket } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hex } from "./format.js";
import { createFakeChain, devWallets, type FakeBackend, signTx, targets } from "./testing/fakeBackend.js";
import { type StartedServer, startServer } from "./testing/rpcClient.js";

/**
 * The server against the real clients users run: viem over HTTP and WebSocket, and ethers v6. These are the
 * checks that shapes and error strings are what the tools parse, not what we think they parse.
 */

let backend: FakeBackend;
let started: StartedServer;
let nonce = 0;
const emitter = hex(targets.emitter);

async function commitEmitterBlock() {
  const tx = await signTx(devWallets[1], {
    type: 2,
    nonce: nonce++,
    to: emitter,
    value: 1n,
    maxFeePerGas: 0n,
  });
  return backend.commit([tx]);
}

beforeAll(async () => {
  backend = await createFakeChain();
  started = await startServer(backend);
});
afterAll(() => started.server.close());

function charterChain() {
  return defineChain({
    id: 31_999,
    name: "Charter test",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [started.httpURL], webSocket: [started.wsURL] } },
  });
}

describe("viem", () => {
  it("reads blocks and logs over http()", async () => {
    const client = createPublicClient({ chain: charterChain(), transport: http(started.httpURL) });
    expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(BigInt(backend.headHeight()));
    const block = await client.getBlock({ blockNumber: 1n, includeTransactions: true });
    expect(block.number).toBe(1n);
    expect(block.baseFeePerGas).toBe(0n);
    expect(block.transactions).toHaveLength(2);
    const [legacy, feeMarket] = block.transactions;
    expect(legacy?.type).toBe("legacy");
    expect(feeMarket?.type).toBe("eip1559");
    expect(feeMarket?.maxFeePerGas).toBe(3n);
    const logs = await client.getLogs({ address: emitter, fromBlock: 0n, toBlock: "latest" });
    expect(logs.map((l) => l.logIndex)).toEqual([0, 1]);
    const receipt = await client.getTransactionReceipt({ hash: legacy!.hash });
    expect(receipt.status).toBe("success");
    expect(receipt.logs).toHaveLength(1);
    expect(await client.getChainId()).toBe(31_999);
  });

  it("estimates EIP-1559 fees as zero on a free-gas chain", async () => {
    const client = createPublicClient({ chain: charterChain(), transport: http(started.httpURL) });
    expect(await client.estimateFeesPerGas()).toEqual({ maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
    const history = await client.getFeeHistory({ blockCount: 2, rewardPercentiles: [50] });
    expect(history.baseFeePerGas).toEqual([0n, 0n, 0n]);
  });

  it("decodes a revert reason", async () => {
    const client = createPublicClient({ chain: charterChain(), transport: http(started.httpURL) });
    await expect(client.call({ to: hex(targets.revertString) })).rejects.toThrow(/not allowed/);
  });

  it("watches blocks and contract events by polling over http()", async () => {
    const client = createPublicClient({
      chain: charterChain(),
      transport: http(started.httpURL),
      pollingInterval: 20,
    });
    const blocks: bigint[] = [];
    const events: Log[] = [];
    const stopBlocks = client.watchBlocks({ onBlock: (block) => blocks.push(block.number) });
    const stopEvents = client.watchEvent({ address: emitter, onLogs: (logs) => events.push(...logs) });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const block = await commitEmitterBlock();
      await waitFor(() => blocks.includes(BigInt(block.block.header.height)) && events.length > 0);
      expect(events[0]?.blockNumber).toBe(BigInt(block.block.header.height));
    } finally {
      stopBlocks();
      stopEvents();
    }
  });

  it("calls and watches blocks and logs over webSocket()", async () => {
    const transport = webSocket(started.wsURL);
    const client = createPublicClient({ chain: charterChain(), transport });
    try {
      expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(BigInt(backend.headHeight()));
      expect((await client.getBlock({ blockTag: "finalized" })).number).toBe(BigInt(backend.headHeight()));
      const blocks: bigint[] = [];
      const events: Log[] = [];
      const stopBlocks = client.watchBlocks({ onBlock: (block) => blocks.push(block.number) });
      const stopEvents = client.watchEvent({ address: emitter, onLogs: (logs) => events.push(...logs) });
      await waitFor(() => started.server.stats().wsConnections > 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const block = await commitEmitterBlock();
      await waitFor(() => blocks.includes(BigInt(block.block.header.height)) && events.length > 0);
      expect(events[0]?.address).toBe(emitter);
      stopBlocks();
      stopEvents();
      const logs = await client.getLogs({ address: emitter, fromBlock: 0n });
      expect(logs.length).toBeGreaterThan(2);
    } finally {
      const rpc = await transport({ chain: charterChain() }).value?.getRpcClient();
      rpc?.close();
    }
  });
});

describe("ethers v6", () => {
  it("gets blocks with JsonRpcProvider", async () => {
    const provider = new JsonRpcProvider(started.httpURL, undefined, { staticNetwork: false });
    try {
      const block = await provider.getBlock(1, true);
      expect(block?.number).toBe(1);
      expect(block?.baseFeePerGas).toBe(0n);
      expect(block?.prefetchedTransactions.map((tx) => tx.type)).toEqual([0, 2]);
      expect(block?.prefetchedTransactions[0]?.from.toLowerCase()).toBe(devWallets[0].address.toLowerCase());
      expect((await provider.getNetwork()).chainId).toBe(31_999n);
    } finally {
      provider.destroy();
    }
  });

  it("sends batches and matches the answers by id", async () => {
    const provider = new JsonRpcProvider(started.httpURL, 31_999, {
      staticNetwork: true,
      batchStallTime: 20,
    });
    const payloads: unknown[] = [];
    provider.on("debug", (event: { action: string; payload?: unknown }) => {
      if (event.action === "sendRpcPayload") payloads.push(event.payload);
    });
    try {
      const [height, balance, code, missing] = await Promise.all([
        provider.getBlockNumber(),
        provider.getBalance(devWallets[0].address),
        provider.getCode(devWallets[1].address),
        provider.getTransactionReceipt(`0x${"ab".repeat(32)}`),
      ]);
      expect(height).toBe(backend.headHeight());
      expect(balance).toBe(10n ** 21n);
      expect(code).toBe("0x6001600055");
      expect(missing).toBeNull();
      expect(payloads.some((p) => Array.isArray(p) && p.length > 1)).toBe(true);
    } finally {
      provider.destroy();
    }
  });

  it("sends a transaction from a Wallet and waits for its receipt", async () => {
    const provider = new JsonRpcProvider(started.httpURL, 31_999, {
      staticNetwork: true,
      pollingInterval: 20,
    });
    const wallet = new Wallet(devWallets[0].privateKey, provider);
    try {
      const response = await wallet.sendTransaction({ to: emitter, value: 3n });
      // baseFeePerGas 0 makes ethers send a legacy transaction with gasPrice from eth_gasPrice.
      expect(response.type).toBe(0);
      expect(response.gasPrice).toBe(0n);
      // Blocks keep coming, as on a Charter network; ethers notices the receipt on a later block.
      const cadence = setInterval(() => backend.commit(), 30);
      const receipt = await response.wait().finally(() => clearInterval(cadence));
      expect(receipt?.status).toBe(1);
      expect(receipt?.logs).toHaveLength(1);
    } finally {
      provider.destroy();
    }
  });

  it("turns revert data into a CALL_EXCEPTION with the reason", async () => {
    const provider = new JsonRpcProvider(started.httpURL, 31_999, { staticNetwork: true });
    try {
      const error = await provider.call({ to: hex(targets.revertString) }).catch((e: unknown) => e);
      expect(isError(error, "CALL_EXCEPTION")).toBe(true);
      if (isError(error, "CALL_EXCEPTION")) expect(error.reason).toBe("not allowed");
    } finally {
      provider.destroy();
    }
  });

  it("gets new blocks over WebSocketProvider", async () => {
    const provider = new WebSocketProvider(started.wsURL, 31_999, { staticNetwork: true });
    try {
      const seen: number[] = [];
      await provider.on("block", (height: number) => seen.push(height));
      await waitFor(() => started.server.stats().wsConnections > 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const block = backend.commit([]);
      await waitFor(() => seen.includes(block.block.header.height));
    } finally {
      await provider.destroy();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
