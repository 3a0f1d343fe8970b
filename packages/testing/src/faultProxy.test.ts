import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type FaultProxy, type FaultProxyOptions, startFaultProxy } from "./faultProxy.js";

const HOST = "127.0.0.1";
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Peer {
  readonly socket: net.Socket;
  /** Everything received so far. */
  received(): Buffer;
  readonly ended: () => boolean;
  readonly closed: () => boolean;
  readonly error: () => NodeJS.ErrnoException | undefined;
}

function watch(socket: net.Socket): Peer {
  const chunks: Buffer[] = [];
  let ended = false;
  let closed = false;
  let error: NodeJS.ErrnoException | undefined;
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("end", () => {
    ended = true;
  });
  socket.on("close", () => {
    closed = true;
  });
  socket.on("error", (e: NodeJS.ErrnoException) => {
    error = e;
  });
  return {
    socket,
    received: () => Buffer.concat(chunks),
    ended: () => ended,
    closed: () => closed,
    error: () => error,
  };
}

/** A target server; `echo` sends every byte back. Its accepted connections are in `peers`. */
async function startTarget(
  behaviour: "echo" | "collect" | "paused" = "echo",
): Promise<{ port: number; peers: Peer[] }> {
  const peers: Peer[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const peer = watch(socket);
    peers.push(peer);
    if (behaviour === "echo") {
      socket.on("data", (chunk: Buffer) => socket.write(chunk));
      socket.on("end", () => socket.end());
    }
    if (behaviour === "paused") socket.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const peer of peers) peer.socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, peers };
}

async function proxyTo(port: number, options: Partial<FaultProxyOptions> = {}): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ target: { port }, ...options });
  cleanups.push(() => proxy.close());
  return proxy;
}

async function connect(port: number): Promise<Peer> {
  const socket = net.connect({ host: HOST, port, allowHalfOpen: true });
  const peer = watch(socket);
  cleanups.push(() => {
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  return peer;
}

describe("fault proxy", () => {
  it("passes bytes both ways and a half-close through", async () => {
    const target = await startTarget("echo");
    const proxy = await proxyTo(target.port);
    expect(proxy.host).toBe(HOST);
    const client = await connect(proxy.port);
    client.socket.write("hello");
    await until("echo", () => client.received().toString() === "hello");
    client.socket.end(" world");
    await until("end from the target", () => client.ended());
    expect(client.received().toString()).toBe("hello world");
    await until("both sides closed", () => client.closed() && target.peers[0]!.closed());
    const stats = proxy.stats();
    expect(stats.bytesForwarded).toEqual({ toTarget: 11, fromTarget: 11 });
    expect(stats.accepted).toBe(1);
    await until("connection forgotten", () => proxy.stats().open === 0);
  });

  it("drop: discards bytes but keeps the sockets open; pass resumes forwarding", async () => {
    const target = await startTarget("collect");
    const proxy = await proxyTo(target.port);
    const client = await connect(proxy.port);
    await until("target connection", () => target.peers.length === 1);
    proxy.drop();
    client.socket.write("lost");
    target.peers[0]!.socket.write("lost too");
    client.socket.end();
    await sleep(200);
    expect(target.peers[0]!.received().length).toBe(0);
    expect(client.received().length).toBe(0);
    // The client's FIN is dropped with its bytes: the target's side stays open.
    expect(target.peers[0]!.ended()).toBe(false);
    expect(client.closed()).toBe(false);
    expect(proxy.stats().bytesDropped).toEqual({ toTarget: 4, fromTarget: 8 });
    proxy.pass();
    await until("the FIN after heal", () => target.peers[0]!.ended());
    target.peers[0]!.socket.write("after");
    await until("bytes after heal", () => client.received().toString() === "after");
    expect(target.peers[0]!.received().length).toBe(0);
  });

  it("drop one direction only", async () => {
    const target = await startTarget("echo");
    const proxy = await proxyTo(target.port);
    const client = await connect(proxy.port);
    proxy.drop("fromTarget");
    client.socket.write("ping");
    await until("target got it", () => target.peers[0]?.received().toString() === "ping");
    await sleep(100);
    expect(client.received().length).toBe(0);
    proxy.drop("toTarget");
    client.socket.write("pong");
    await sleep(100);
    expect(target.peers[0]!.received().toString()).toBe("ping");
    expect(proxy.mode).toEqual({ kind: "drop", direction: "toTarget" });
  });

  it("delay: holds each chunk, keeps the order, also across a switch back to pass", async () => {
    const target = await startTarget("echo");
    const proxy = await proxyTo(target.port);
    const client = await connect(proxy.port);
    proxy.delay(150);
    const started = Date.now();
    client.socket.write("x");
    await until("echo", () => client.received().length === 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    const sent: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const chunk = Buffer.from(`<${i}>`);
      sent.push(chunk);
      client.socket.write(chunk);
      if (i === 100) proxy.pass();
      if (i % 20 === 0) await sleep(5);
    }
    const expected = Buffer.concat([Buffer.from("x"), ...sent]);
    await until("all echoed", () => client.received().length === expected.length);
    expect(client.received().equals(expected)).toBe(true);
  });

  it("cut: resets current connections and refuses new ones until pass", async () => {
    const target = await startTarget("echo");
    const proxy = await proxyTo(target.port);
    const client = await connect(proxy.port);
    await until("target connection", () => target.peers.length === 1);
    proxy.cut();
    await until("client reset", () => client.closed());
    expect(client.error()?.code).toBe("ECONNRESET");
    await until("target side reset", () => target.peers[0]!.closed());
    const refused = watch(net.connect({ host: HOST, port: proxy.port }));
    cleanups.push(() => {
      refused.socket.destroy();
    });
    await until("new connection reset", () => refused.closed());
    expect(target.peers.length).toBe(1);
    expect(proxy.stats().refused).toBe(1);
    proxy.pass();
    const again = await connect(proxy.port);
    again.socket.write("back");
    await until("echo after cut", () => again.received().toString() === "back");
  });

  it("partition: nothing flows and new connections are held; on heal everything arrives, nothing lost", async () => {
    const target = await startTarget("echo");
    const proxy = await proxyTo(target.port);
    const client = await connect(proxy.port);
    await until("target connection", () => target.peers.length === 1);
    proxy.delay(20);
    proxy.partition(true);
    expect(proxy.partitioned).toBe(true);
    client.socket.write("during");
    const late = await connect(proxy.port);
    late.socket.write("held");
    await sleep(200);
    expect(target.peers[0]!.received().length).toBe(0);
    expect(target.peers.length).toBe(1);
    expect(proxy.stats().open).toBe(2);
    proxy.partition(false);
    await until("bytes from the partition", () => client.received().toString() === "during");
    await until("held connection", () => late.received().toString() === "held");
    expect(target.peers.length).toBe(2);
    expect(proxy.stats().bytesDropped).toEqual({ toTarget: 0, fromTarget: 0 });
  });

  it("bounds its buffers: a target that does not read stops the proxy reading, and no byte is lost", async () => {
    const target = await startTarget("paused");
    const bufferBytesMax = 64 * 1024;
    const proxy = await proxyTo(target.port, { bufferBytesMax });
    const client = await connect(proxy.port);
    await until("target connection", () => target.peers.length === 1);
    proxy.delay(5);
    const chunk = Buffer.alloc(64 * 1024, 7);
    const total = 32 * 1024 * 1024;
    for (let sent = 0; sent < total; sent += chunk.length) client.socket.write(chunk);
    await sleep(500);
    const stats = proxy.stats();
    // The kernel buffers and the client's own queue take the rest: the proxy holds at most its bound plus a chunk.
    expect(stats.bufferedBytesPeak).toBeLessThanOrEqual(bufferBytesMax + 64 * 1024);
    expect(client.socket.writableLength).toBeGreaterThan(0);
    proxy.pass();
    target.peers[0]!.socket.resume();
    await until("every byte", () => target.peers[0]!.received().length === total, 20_000);
  });

  it("resets the client when the target refuses", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, HOST, () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const proxy = await proxyTo(closedPort);
    const client = await connect(proxy.port);
    await until("client closed", () => client.closed());
    expect(proxy.stats().refused).toBe(1);
    expect(proxy.stats().open).toBe(0);
  });

  it("cut and close() also finish a connection whose FIN was just passed on", async () => {
    const target = await startTarget("collect");
    const proxy = await startFaultProxy({ target: { port: target.port } });
    const client = await connect(proxy.port);
    await until("target connection", () => target.peers.length === 1);
    proxy.drop("toTarget");
    client.socket.end();
    await sleep(100);
    // pass() passes the held-back FIN on (end() on the target side), cut() resets in the same tick: Node's
    // resetAndDestroy() after end() would never emit `close`, and close() would wait forever.
    proxy.pass();
    proxy.cut();
    const closed = await Promise.race([proxy.close().then(() => true), sleep(2_000).then(() => false)]);
    expect(closed).toBe(true);
    // The target got the FIN (its own side stays open: it is half-open by choice); the client got the reset.
    await until("client reset, target ended", () => client.closed() && target.peers[0]!.ended());
  });

  it("close() resolves with everything closed: listener, sockets, timers", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const target = await startTarget("echo");
    const timersBefore = timers();
    const proxy = await startFaultProxy({ target: { port: target.port } });
    const busy = await connect(proxy.port);
    proxy.delay(10_000);
    busy.socket.write("pending");
    await until("queued", () => proxy.stats().bufferedBytes === 7);
    expect(timers()).toBeGreaterThan(timersBefore);
    proxy.partition(true);
    const held = await connect(proxy.port);
    proxy.partition(false);
    await until("held connection forwarded", () => target.peers.length === 2);
    proxy.partition(true);
    const held2 = await connect(proxy.port);
    await proxy.close();
    expect(proxy.stats().open).toBe(0);
    expect(timers()).toBe(timersBefore);
    await until("clients closed", () => busy.closed() && held.closed() && held2.closed());
    await expect(connect(proxy.port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    // Switching a closed proxy is harmless.
    proxy.pass();
    proxy.partition(false);
  });
});
