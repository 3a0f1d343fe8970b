import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { bytesToHex } from "@charter/utils";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RPCBlockHeader, RPCLog, RPCTransaction } from "./format.js";
import { createFakeChain, devWallets, type FakeBackend, signTx, targets } from "./testing/fakeBackend.js";
import { type StartedServer, startServer, WSClient } from "./testing/rpcClient.js";

let backend: FakeBackend;
let started: StartedServer;
let nonce = 0;
const emitter = bytesToHex(targets.emitter);
const bobTopic = `0x${"00".repeat(12)}${devWallets[1].address.toLowerCase().slice(2)}`;

async function emitterTx() {
  return signTx(devWallets[1], { type: 2, nonce: nonce++, to: emitter, value: 1n, maxFeePerGas: 0n });
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

beforeAll(async () => {
  backend = await createFakeChain();
  started = await startServer(backend, {
    limits: { wsSubscriptionsMax: 3, wsConnectionsMax: 3, wsPayloadBytesMax: 2048, wsInflightRequestsMax: 1 },
  });
});
afterAll(() => started.server.close());

describe("WebSocket requests", () => {
  it("answers single requests and batches on the same port as HTTP", async () => {
    const client = await WSClient.open(started.wsURL);
    try {
      expect(await client.call("eth_chainId")).toBe("0x7cff");
      const batch = await new Promise<unknown>((resolve) => {
        client.socket.once("message", (data: Buffer) => resolve(JSON.parse(data.toString("utf8"))));
        client.socket.send(
          JSON.stringify([
            { jsonrpc: "2.0", id: 1, method: "eth_blockNumber" },
            { jsonrpc: "2.0", id: 2, method: "net_version" },
          ]),
        );
      });
      expect(batch).toEqual([
        { jsonrpc: "2.0", id: 1, result: `0x${backend.headHeight().toString(16)}` },
        { jsonrpc: "2.0", id: 2, result: "31999" },
      ]);
      const parseError = await new Promise<unknown>((resolve) => {
        client.socket.once("message", (data: Buffer) => resolve(JSON.parse(data.toString("utf8"))));
        client.socket.send("{not json");
      });
      expect(parseError).toMatchObject({ id: null, error: { code: -32700 } });
    } finally {
      await client.close();
    }
  });

  it("answers requests over wsInflightRequestsMax with -32005 by id", async () => {
    const client = await WSClient.open(started.wsURL);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const getCode = vi.spyOn(backend, "getCode").mockImplementation(async () => {
      await gate;
      return new Uint8Array([1]);
    });
    try {
      const slow = client.send("eth_getCode", [emitter]);
      const refused = await client.send("eth_chainId");
      expect(refused.error?.code).toBe(-32005);
      expect(refused.error?.message).toMatch(/too many requests in flight/);
      release();
      expect((await slow).result).toBe("0x01");
      expect(await client.call("eth_chainId")).toBe("0x7cff");
    } finally {
      getCode.mockRestore();
      await client.close();
    }
  });
});

describe("subscriptions", () => {
  it("delivers newHeads as headers without transactions", async () => {
    const client = await WSClient.open(started.wsURL);
    try {
      const id = await client.call<string>("eth_subscribe", ["newHeads"]);
      expect(id).toMatch(/^0x[0-9a-f]{32}$/);
      const a = backend.commit([]);
      const b = backend.commit([]);
      const [first, second] = await client.waitForNotifications(2);
      expect(first?.subscription).toBe(id);
      const header = first?.result as RPCBlockHeader;
      expect(header.hash).toBe(bytesToHex(a.hash));
      expect(header).toMatchObject({
        baseFeePerGas: "0x0",
        sha3Uncles: expect.stringMatching(/^0x1dcc4de8/),
        miner: expect.any(String),
      });
      expect(header).not.toHaveProperty("transactions");
      expect((second?.result as RPCBlockHeader | undefined)?.hash).toBe(bytesToHex(b.hash));
    } finally {
      await client.close();
    }
  });

  it("delivers matching logs per committed block, in order", async () => {
    const client = await WSClient.open(started.wsURL);
    try {
      const all = await client.call<string>("eth_subscribe", ["logs", { address: emitter }]);
      const none = await client.call<string>("eth_subscribe", ["logs", { topics: [null, null, bobTopic] }]);
      expect(none).not.toBe(all);
      backend.commit([await emitterTx(), await emitterTx()]);
      backend.commit([await emitterTx()]);
      const notifications = await client.waitForNotifications(3);
      expect(notifications.every((n) => n.subscription === all)).toBe(true);
      const logs = notifications.map((n) => n.result as RPCLog);
      const head = backend.headHeight();
      expect(logs.map((l) => [Number(l.blockNumber), l.logIndex])).toEqual([
        [head - 1, "0x0"],
        [head - 1, "0x1"],
        [head, "0x0"],
      ]);
    } finally {
      await client.close();
    }
  });

  it("delivers pending transaction hashes, or full objects when asked", async () => {
    const client = await WSClient.open(started.wsURL);
    try {
      const hashes = await client.call<string>("eth_subscribe", ["newPendingTransactions"]);
      const full = await client.call<string>("eth_subscribe", ["newPendingTransactions", true]);
      const tx = await emitterTx();
      backend.admit(tx);
      const notifications = await client.waitForNotifications(2);
      expect(notifications.find((n) => n.subscription === hashes)?.result).toBe(bytesToHex(tx.hash));
      const object = notifications.find((n) => n.subscription === full)?.result as RPCTransaction;
      expect(object).toMatchObject({
        hash: bytesToHex(tx.hash),
        blockNumber: null,
        from: devWallets[1].address.toLowerCase(),
      });
      backend.commit();
    } finally {
      await client.close();
    }
  });

  it("stops delivering after eth_unsubscribe", async () => {
    const client = await WSClient.open(started.wsURL);
    try {
      const id = await client.call<string>("eth_subscribe", ["newHeads"]);
      expect(await client.call("eth_unsubscribe", [id])).toBe(true);
      expect(await client.call("eth_unsubscribe", [id])).toBe(false);
      backend.commit([]);
      expect(await client.call("eth_chainId")).toBe("0x7cff");
      expect(client.notifications).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it("validates subscription parameters and limits them per connection", async () => {
    const client = await WSClient.open(started.wsURL);
    try {
      expect((await client.send("eth_subscribe", ["syncing"])).error?.code).toBe(-32602);
      expect((await client.send("eth_subscribe", ["newHeads", {}])).error?.code).toBe(-32602);
      expect((await client.send("eth_subscribe", ["logs", { address: "0x1" }])).error?.message).toBe(
        'invalid argument 1: field "address": hex string has length 1, want 40 for an address',
      );
      for (let i = 0; i < 3; i++) await client.call("eth_subscribe", ["newHeads"]);
      const refused = await client.send("eth_subscribe", ["newHeads"]);
      expect(refused.error?.code).toBe(-32005);
    } finally {
      await client.close();
    }
  });

  it("drops a connection's subscriptions when it closes", async () => {
    const client = await WSClient.open(started.wsURL);
    await client.call("eth_subscribe", ["newHeads"]);
    expect(started.server.stats().wsConnections).toBe(1);
    await client.close();
    await waitFor(() => started.server.stats().wsConnections === 0);
    expect(() => backend.commit([])).not.toThrow();
  });
});

describe("WebSocket limits", () => {
  it("refuses connections over wsConnectionsMax with 503, and accepts again after one closes", async () => {
    const clients = await Promise.all([1, 2, 3].map(() => WSClient.open(started.wsURL)));
    await expect(WSClient.open(started.wsURL)).rejects.toThrow(/503/);
    await clients[0]!.close();
    await waitFor(() => started.server.stats().wsConnections === 2);
    const again = await WSClient.open(started.wsURL);
    expect(await again.call("eth_chainId")).toBe("0x7cff");
    await Promise.all([again, ...clients.slice(1)].map((c) => c.close()));
  });

  it("closes a connection that sends a frame over wsPayloadBytesMax with 1009, and keeps serving", async () => {
    const client = await WSClient.open(started.wsURL);
    const code = await new Promise<number>((resolve) => {
      client.socket.once("close", (closeCode: number) => resolve(closeCode));
      client.socket.send(
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "web3_sha3", params: [`0x${"00".repeat(2000)}`] }),
      );
    });
    expect(code).toBe(1009);
    const other = await WSClient.open(started.wsURL);
    expect(await other.call("eth_chainId")).toBe("0x7cff");
    await other.close();
  });
});

/** A WebSocket client that subscribes and then never reads: a consumer as slow as can be. */
function openStalledSubscriber(url: string): Promise<Socket> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    socket.on("error", reject);
    socket.write(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    socket.once("data", (chunk: Buffer) => {
      if (!chunk.toString("latin1").startsWith("HTTP/1.1 101")) return reject(new Error("upgrade failed"));
      const payload = Buffer.from(
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }),
      );
      const mask = randomBytes(4);
      const masked = payload.map((byte, i) => byte ^ mask[i % 4]!);
      socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
      socket.pause();
      resolve(socket);
    });
  });
}

describe("slow consumers", () => {
  it("disconnects a subscriber whose outgoing buffer passes wsBufferedBytesMax", async () => {
    const small = await startServer(backend, { limits: { wsBufferedBytesMax: 64 * 1024 } });
    try {
      const socket = await openStalledSubscriber(small.wsURL);
      await waitFor(() => small.server.stats().wsConnections === 1);
      // Each newHeads notification is about 1.3 KB; kernel buffers absorb a few MB before the server's queue grows.
      for (let i = 0; i < 20_000 && small.server.stats().wsConnections === 1; i++) {
        backend.commit([]);
        if (i % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await waitFor(() => small.server.stats().wsConnections === 0);
      socket.destroy();
    } finally {
      await small.server.close();
    }
  });
});
