import net from "node:net";
import tls from "node:tls";
import { type CryptoSuite, createEcdsaSuite, createSmSuite } from "@charter/crypto";
import { bytesToHex } from "@charter/utils";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { certificateFingerprint, createTLSIdentity } from "./certificate.js";
import { createFrameDecoder, encodeFrame, type Frame } from "./frame.js";
import { createHello, HELLO_EXPORTER_BYTES, HELLO_EXPORTER_LABEL } from "./hello.js";
import {
  createPeerNetwork,
  type Misbehavior,
  type PeerNetwork,
  type PeerNetworkOptions,
} from "./peerNetwork.js";
import { CHANNEL_HELLO_BYTES, ChannelRole, SMChannel } from "./smChannel.js";

const suite = createEcdsaSuite();
const CHAIN_ID = 4242n;
const HOST = "127.0.0.1";
const running: PeerNetwork[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((network) => network.stop()));
});

interface TestNode {
  readonly network: PeerNetwork;
  readonly port: number;
  readonly messages: { from: string; type: number; payload: Uint8Array }[];
  readonly up: string[];
  readonly down: string[];
  readonly misbehavior: Misbehavior[];
}

function newKey() {
  const key = suite.generatePrivateKey();
  return { key, address: bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(key))) };
}

async function startNode(
  nodeKey: Uint8Array,
  allowed: (address: string) => boolean,
  options: Partial<PeerNetworkOptions> = {},
  nodeSuite: CryptoSuite = suite,
): Promise<TestNode> {
  const network = createPeerNetwork(
    {
      chainId: CHAIN_ID,
      nodeKey,
      handshakeTimeoutMs: 2_000,
      reconnectDelayMsMin: 20,
      reconnectDelayMsMax: 200,
      ...options,
    },
    { isAllowed: allowed, suite: nodeSuite, random: () => 0.5 },
  );
  const node: TestNode = { network, port: 0, messages: [], up: [], down: [], misbehavior: [] };
  network.onMessage((from, type, payload) => node.messages.push({ from, type, payload: payload.slice() }));
  network.onPeerUp((address) => node.up.push(address));
  network.onPeerDown((address) => node.down.push(address));
  network.onMisbehavior((report) => node.misbehavior.push(report));
  const { port } = await network.start();
  running.push(network);
  return { ...node, port };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/**
 * A hand-driven client: real TLS, then a Hello built by the test (so it can lie), then whatever bytes the test
 * writes. It records the frames and the close it sees.
 */
interface RawPeer {
  readonly socket: tls.TLSSocket;
  readonly frames: Frame[];
  /** The Hello payload this client sent. */
  readonly helloSent: Uint8Array;
  closed: boolean;
}

async function rawConnect(
  port: number,
  hello: (session: { exporter: Uint8Array; peerFingerprint: Uint8Array }) => Uint8Array,
): Promise<RawPeer> {
  const identity = createTLSIdentity();
  const socket = tls.connect({
    host: HOST,
    port,
    key: identity.keyPem,
    cert: identity.certificatePem,
    minVersion: "TLSv1.3",
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  });
  const decoder = createFrameDecoder();
  const frames: Frame[] = [];
  socket.on("data", (chunk: Buffer) => {
    decoder.push(new Uint8Array(chunk));
    for (let frame = decoder.next(1 << 24); frame; frame = decoder.next(1 << 24)) frames.push(frame);
  });
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", resolve);
    socket.once("error", reject);
  });
  const exporter = new Uint8Array(
    socket.exportKeyingMaterial(HELLO_EXPORTER_BYTES, HELLO_EXPORTER_LABEL, Buffer.alloc(0)),
  );
  const peerFingerprint = certificateFingerprint(new Uint8Array(socket.getPeerCertificate().raw));
  const helloSent = hello({ exporter, peerFingerprint });
  const peer: RawPeer = { socket, frames, helloSent, closed: false };
  socket.on("close", () => {
    peer.closed = true;
  });
  socket.write(encodeFrame(0, helloSent));
  return peer;
}

function honestHello(nodeKey: Uint8Array, chainId = CHAIN_ID) {
  return (session: { exporter: Uint8Array; peerFingerprint: Uint8Array }) =>
    createHello({
      suite,
      nodeKey,
      chainId,
      exporter: session.exporter,
      peerCertificateFingerprint: session.peerFingerprint,
    });
}

describe("peer network over real sockets", () => {
  it("links three nodes once per pair and carries messages both ways and by broadcast", async () => {
    const keys = [newKey(), newKey(), newKey()];
    const allowed = new Set(keys.map((k) => k.address));
    const isAllowed = (address: string) => allowed.has(address);
    const [a, b] = [await startNode(keys[0]!.key, isAllowed), await startNode(keys[1]!.key, isAllowed)];
    // Every node dials every other, so the simultaneous-dial tie-break is exercised on every pair.
    const c = await startNode(keys[2]!.key, isAllowed, {
      peers: [
        { host: HOST, port: a.port, address: keys[0]!.address },
        { host: HOST, port: b.port },
      ],
    });
    a.network.connect(keys[1]!.address, HOST, b.port);
    a.network.connect(keys[2]!.address, HOST, c.port);
    b.network.connect(undefined, HOST, a.port);
    b.network.connect(keys[2]!.address, HOST, c.port);
    const nodes = [a, b, c];
    await waitFor(() => nodes.every((node) => node.network.peers().length === 2), "a full mesh");
    // Let any losing duplicate links finish closing, then check the mesh is stable and agreed.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const [i, node] of nodes.entries()) {
      const peers = node.network.peers();
      expect(peers.map((p) => p.address).sort()).toEqual(
        keys
          .filter((_, j) => j !== i)
          .map((k) => k.address)
          .sort(),
      );
      expect(node.down).toEqual([]);
      for (const peer of peers) {
        const other = nodes[keys.findIndex((k) => k.address === peer.address)]!;
        const back = other.network.peers().find((p) => p.address === keys[i]!.address)!;
        expect(back.direction).not.toBe(peer.direction);
        // The link kept is the one dialled by the lower address.
        const dialer = peer.direction === "outbound" ? keys[i]!.address : peer.address;
        expect(dialer).toBe([keys[i]!.address, peer.address].sort()[0]);
      }
    }

    expect(a.network.send(keys[1]!.address, 1, bytes("a to b"))).toBe(true);
    expect(b.network.send(keys[0]!.address, 2, bytes("b to a"))).toBe(true);
    expect(c.network.send(keys[1]!.address, 3, bytes("c to b"))).toBe(true);
    expect(a.network.broadcast(9, bytes("all from a"))).toBe(2);
    await waitFor(
      () => a.messages.length === 1 && b.messages.length === 3 && c.messages.length === 1,
      "delivery",
    );
    expect(a.messages).toEqual([{ from: keys[1]!.address, type: 2, payload: bytes("b to a") }]);
    expect(b.messages).toContainEqual({ from: keys[0]!.address, type: 1, payload: bytes("a to b") });
    expect(b.messages).toContainEqual({ from: keys[2]!.address, type: 3, payload: bytes("c to b") });
    expect(b.messages).toContainEqual({ from: keys[0]!.address, type: 9, payload: bytes("all from a") });
    expect(c.messages).toEqual([{ from: keys[0]!.address, type: 9, payload: bytes("all from a") }]);
    expect(a.network.send(newKey().address, 1, bytes("nobody"))).toBe(false);
    expect(() => a.network.send(keys[1]!.address, 0, bytes("hello type"))).toThrowError(
      expect.objectContaining({ code: "invalid-message" }),
    );
  });

  it("refuses a node the registry does not admit, before revealing itself or reading more", async () => {
    const server = newKey();
    const outsider = newKey();
    const a = await startNode(server.key, (address) => address !== outsider.address);
    // A full node as the outsider: it never sees the peer up.
    const d = await startNode(outsider.key, () => true, { peers: [{ host: HOST, port: a.port }] });
    // A raw outsider that also sends an application frame right behind its Hello.
    const raw = await rawConnect(a.port, honestHello(outsider.key));
    raw.socket.write(encodeFrame(1, bytes("let me in")));
    await waitFor(() => raw.closed, "the close");
    await waitFor(() => a.misbehavior.length === 0 && d.network.peers().length === 0, "refusals");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(raw.frames).toEqual([]); // not even the listener's Hello
    expect(a.up).toEqual([]);
    expect(d.up).toEqual([]);
    expect(a.messages).toEqual([]);
    expect(a.network.peers()).toEqual([]);
  });

  it("closes an open link when the registry stops admitting the peer (revalidatePeers)", async () => {
    const [ka, kb, kc] = [newKey(), newKey(), newKey()];
    const removed = new Set<string>();
    const a = await startNode(ka.key, (address) => !removed.has(address));
    const b = await startNode(kb.key, () => true, { peers: [{ host: HOST, port: a.port }] });
    await startNode(kc.key, () => true, { peers: [{ host: HOST, port: a.port }] });
    await waitFor(() => a.up.length === 2, "both links");
    expect(a.network.revalidatePeers()).toBe(0);

    removed.add(kb.address);
    expect(a.network.revalidatePeers()).toBe(1);
    expect(a.down).toEqual([kb.address]);
    expect(a.network.peers().map((p) => p.address)).toEqual([kc.address]);
    // B redials and is refused at the handshake; a policy refusal is not misbehavior.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a.network.peers().map((p) => p.address)).toEqual([kc.address]);
    expect(b.up.filter((address) => address === ka.address).length).toBe(1);
    expect(a.misbehavior).toEqual([]);
  });

  it("refuses a Hello for another chain and reports it", async () => {
    const server = newKey();
    const a = await startNode(server.key, () => true);
    const raw = await rawConnect(a.port, honestHello(newKey().key, CHAIN_ID + 1n));
    raw.socket.write(encodeFrame(1, bytes("ignored")));
    await waitFor(() => raw.closed, "the close");
    await waitFor(() => a.misbehavior.length === 1, "a report");
    expect(a.misbehavior[0]!.code).toBe("wrong-chain");
    expect(raw.frames).toEqual([]);
    expect(a.messages).toEqual([]);
  });

  it("refuses a Hello replayed from another session and one forged with another key", async () => {
    const server = newKey();
    const client = newKey();
    const a = await startNode(server.key, () => true);
    const first = await rawConnect(a.port, honestHello(client.key));
    await waitFor(() => a.up.length === 1, "the honest session");
    // The listener is up once it has sent its Hello; the client may read it a moment later.
    await waitFor(() => first.frames.length === 1, "the listener's Hello");
    expect(first.frames.map((f) => f.type)).toEqual([0]);
    // The same, valid Hello bytes on a new TLS session: the exporter differs, so the signature fails.
    const replay = await rawConnect(a.port, () => first.helloSent);
    await waitFor(() => replay.closed, "the close");
    // A Hello claiming the client's public key but signed by someone else.
    const forged = await rawConnect(a.port, (session) => {
      const real = honestHello(client.key)(session);
      const other = honestHello(newKey().key)(session);
      return new Uint8Array([...real.subarray(0, real.length - 65), ...other.subarray(other.length - 65)]);
    });
    await waitFor(() => forged.closed, "the close");
    await waitFor(() => a.misbehavior.length === 2, "two reports");
    expect(a.misbehavior.map((m) => m.code)).toEqual(["bad-signature", "bad-signature"]);
    expect(replay.frames).toEqual([]);
    expect(forged.frames).toEqual([]);
    expect(a.up).toEqual([client.address]); // the honest link is untouched
    expect(first.closed).toBe(false);
  });

  it("disconnects and reports a peer that sends a frame over the cap", async () => {
    const server = newKey();
    const client = newKey();
    const a = await startNode(server.key, () => true, { frameBytesMax: 1024 });
    const raw = await rawConnect(a.port, honestHello(client.key));
    await waitFor(() => a.up.length === 1, "the link");
    raw.socket.write(encodeFrame(5, new Uint8Array(1023))); // exactly at the cap: delivered
    raw.socket.write(Uint8Array.of(0, 0, 4, 1, 5)); // declares 1025 bytes: refused from the header
    await waitFor(() => raw.closed, "the close");
    expect(a.messages.map((m) => m.payload.length)).toEqual([1023]);
    expect(a.misbehavior).toEqual([
      expect.objectContaining({ address: client.address, code: "frame-too-large" }),
    ]);
    expect(a.down).toEqual([client.address]);
  });

  it("closes a connection that never says Hello after the handshake timeout", async () => {
    const a = await startNode(newKey().key, () => true, { handshakeTimeoutMs: 150 });
    const silent = await rawConnect(a.port, () => new Uint8Array(0));
    await waitFor(() => silent.closed, "the close"); // an empty Hello payload is malformed
    const identity = createTLSIdentity();
    const idle = tls.connect({
      host: HOST,
      port: a.port,
      key: identity.keyPem,
      cert: identity.certificatePem,
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    idle.on("error", () => {});
    const started = Date.now();
    await new Promise((resolve) => idle.on("close", resolve));
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(a.misbehavior.map((m) => m.code)).toEqual(["hello-malformed"]);
  });

  it("reconnects with backoff to a static peer that restarts", async () => {
    const ka = newKey();
    const kb = newKey();
    const b1 = await startNode(kb.key, () => true);
    const a = await startNode(ka.key, () => true, {
      peers: [{ host: HOST, port: b1.port, address: kb.address }],
    });
    await waitFor(() => a.up.length === 1, "first link");
    await b1.network.stop();
    await waitFor(() => a.down.length === 1, "peer down");
    // Down for a while: several redials fail, then the peer comes back on the same port.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const b2 = await startNode(kb.key, () => true, { port: b1.port });
    await waitFor(() => a.up.length === 2, "the reconnection");
    expect(a.up).toEqual([kb.address, kb.address]);
    expect(a.network.send(kb.address, 1, bytes("again"))).toBe(true);
    await waitFor(() => b2.messages.length === 1, "delivery after reconnect");
    expect(text(b2.messages[0]!.payload)).toBe("again");
  });

  it("bounds the send queue under a reader that stops reading, dropping whole messages", async () => {
    const server = newKey();
    const client = newKey();
    const queueBytesMax = 256 * 1024;
    const a = await startNode(server.key, () => true, {
      sendQueueBytesMax: queueBytesMax,
      sendQueueFramesMax: 64,
    });
    const raw = await rawConnect(a.port, honestHello(client.key));
    await waitFor(() => a.up.length === 1, "the link");
    raw.socket.pause();
    const payloadBytes = 16 * 1024;
    const accepted: number[] = [];
    let refused = 0;
    for (let i = 0; i < 1200; i++) {
      const payload = new Uint8Array(payloadBytes);
      new DataView(payload.buffer).setUint32(0, i);
      if (a.network.send(client.address, 7, payload)) accepted.push(i);
      else refused++;
      const info = a.network.peers()[0]!;
      expect(info.queuedBytes).toBeLessThanOrEqual(queueBytesMax);
      expect(info.queuedFrames).toBeLessThanOrEqual(64);
      if (i % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(refused).toBeGreaterThan(0);
    expect(a.network.peers()[0]!.droppedFrames).toBe(refused);
    raw.socket.resume();
    await waitFor(() => raw.frames.length === 1 + accepted.length, "the accepted messages", 10_000);
    // Every accepted message arrives whole and in order; dropped ones leave no partial bytes behind.
    const received = raw.frames
      .slice(1)
      .map((f) => new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0));
    expect(received).toEqual(accepted);
    expect(raw.frames.slice(1).every((f) => f.type === 7 && f.payload.length === payloadBytes)).toBe(true);
  });

  it("fuzz: random bytes after a valid handshake never crash the node or deliver a malformed frame", async () => {
    const frameBytesMax = 64;
    const a = await startNode(newKey().key, () => true, { frameBytesMax });
    const client = newKey();
    const item = fc.oneof(
      fc
        .record({ type: fc.integer({ min: 1, max: 255 }), payload: fc.uint8Array({ maxLength: 40 }) })
        .map((f) => encodeFrame(f.type, f.payload)),
      fc.uint8Array({ minLength: 1, maxLength: 24 }),
      // A plausible header with a small random length and type, followed by random bytes.
      fc
        .tuple(
          fc.integer({ min: 0, max: 80 }),
          fc.integer({ min: 0, max: 255 }),
          fc.uint8Array({ maxLength: 80 }),
        )
        .map(([length, type, rest]) => Uint8Array.of(0, 0, 0, length, type, ...rest)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(item, { maxLength: 8 }), async (items) => {
        const stream = Uint8Array.from(items.flatMap((bytesOf) => [...bytesOf]));
        const expected = referenceParse(stream, frameBytesMax);
        const before = a.messages.length;
        const downs = a.down.length;
        const reports = a.misbehavior.length;
        const raw = await rawConnect(a.port, honestHello(client.key));
        await waitFor(() => a.network.peers().length === 1, "the link");
        raw.socket.end(stream);
        await waitFor(() => a.down.length === downs + 1, "the link to close");
        await waitFor(() => raw.closed, "the close");
        const delivered = a.messages.slice(before).map((m) => ({ type: m.type, payload: m.payload }));
        expect(delivered).toEqual(expected.frames);
        expect(a.misbehavior.length - reports).toBe(expected.violation ? 1 : 0);
      }),
      { numRuns: 40 },
    );
    expect(a.network.peers()).toEqual([]);
  });
});

const smSuite = createSmSuite();

function newSMKey() {
  const key = smSuite.generatePrivateKey();
  return { key, address: bytesToHex(smSuite.addressFromPublicKey(smSuite.publicKeyFromPrivateKey(key))) };
}

const startSMNode = (
  nodeKey: Uint8Array,
  allowed: (address: string) => boolean,
  options: Partial<PeerNetworkOptions> = {},
) => startNode(nodeKey, allowed, options, smSuite);

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function listenOn(onSocket: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  closers.push(() => server.close());
  const bound = server.address();
  return typeof bound === "object" && bound ? bound.port : 0;
}

/**
 * A TCP relay in front of `targetPort` that records every byte in both directions; `tamper`, if given, may alter
 * a chunk going to the target.
 */
async function startRelay(targetPort: number, tamper?: (chunk: Buffer) => Buffer) {
  const wire = { toTarget: [] as Buffer[], fromTarget: [] as Buffer[] };
  const port = await listenOn((client) => {
    const upstream = net.connect({ host: HOST, port: targetPort });
    for (const socket of [client, upstream]) socket.on("error", () => {});
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.on("data", (chunk: Buffer) => {
      wire.toTarget.push(Buffer.from(chunk));
      upstream.write(tamper ? tamper(chunk) : chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      wire.fromTarget.push(Buffer.from(chunk));
      client.write(chunk);
    });
    closers.push(() => client.destroy());
  });
  return { port, wire };
}

/** An SM channel dialled by the test, which then sends a Hello of its making and records what it receives. */
interface RawSMPeer {
  readonly socket: net.Socket;
  readonly channel: SMChannel;
  readonly frames: Frame[];
  readonly helloSent: Uint8Array;
  closed: boolean;
}

async function rawSMConnect(
  port: number,
  hello: (session: { exporter: Uint8Array; peerFingerprint: Uint8Array }) => Uint8Array,
): Promise<RawSMPeer> {
  const decoder = createFrameDecoder();
  const frames: Frame[] = [];
  let secure = false;
  let closed = false;
  const socket = net.connect({ host: HOST, port });
  const channel = new SMChannel(socket, ChannelRole.dialer, {
    secure: () => {
      secure = true;
    },
    data: (chunk) => {
      decoder.push(chunk);
      for (let frame = decoder.next(1 << 24); frame; frame = decoder.next(1 << 24)) frames.push(frame);
    },
    error: () => {},
    close: () => {
      closed = true;
      if (peer) peer.closed = true;
    },
  });
  let peer: RawSMPeer | undefined;
  closers.push(() => channel.destroy());
  await waitFor(() => secure || closed, "the SM channel");
  const helloSent = hello(channel.session());
  peer = { socket, channel, frames, helloSent, closed };
  channel.write(encodeFrame(0, helloSent));
  return peer;
}

function honestSMHello(nodeKey: Uint8Array) {
  return (session: { exporter: Uint8Array; peerFingerprint: Uint8Array }) =>
    createHello({
      suite: smSuite,
      nodeKey,
      chainId: CHAIN_ID,
      exporter: session.exporter,
      peerCertificateFingerprint: session.peerFingerprint,
    });
}

describe("peer network on an sm chain (SM channel)", () => {
  it("links sm nodes over the SM channel, carries frames both ways, none of them in the clear, and admits by the registry", async () => {
    const [ka, kb, outsider] = [newSMKey(), newSMKey(), newSMKey()];
    const isAllowed = (address: string) => address !== outsider.address;
    const a = await startSMNode(ka.key, isAllowed);
    const relay = await startRelay(a.port);
    const b = await startSMNode(kb.key, isAllowed, { peers: [{ host: HOST, port: relay.port }] });
    const d = await startSMNode(outsider.key, () => true, { peers: [{ host: HOST, port: a.port }] });
    await waitFor(() => a.up.length === 1 && b.up.length === 1, "the link");
    expect(a.up).toEqual([kb.address]);
    expect(b.up).toEqual([ka.address]);
    expect(a.network.peers()[0]).toMatchObject({
      address: kb.address,
      direction: "inbound",
      remoteHost: HOST,
    });

    const secret = new Uint8Array(1024).map((_, i) => (i * 7 + 3) & 0xff);
    expect(b.network.send(ka.address, 7, secret)).toBe(true);
    expect(a.network.send(kb.address, 8, secret)).toBe(true);
    await waitFor(() => a.messages.length === 1 && b.messages.length === 1, "delivery");
    expect(a.messages).toEqual([{ from: kb.address, type: 7, payload: secret }]);
    expect(b.messages).toEqual([{ from: ka.address, type: 8, payload: secret }]);

    // What an observer of the TCP stream sees: the SM channel (not TLS), and neither the payload nor the node keys.
    for (const captured of [Buffer.concat(relay.wire.toTarget), Buffer.concat(relay.wire.fromTarget)]) {
      expect(captured.subarray(0, 4).toString("latin1")).toBe("chsm");
      expect(captured.length).toBeGreaterThan(secret.length);
      expect(captured.indexOf(secret.subarray(0, 16))).toBe(-1);
      for (const key of [ka.key, kb.key]) {
        expect(captured.indexOf(smSuite.publicKeyFromPrivateKey(key).subarray(1, 17))).toBe(-1);
      }
    }

    // The outsider's Hello is refused, as policy, and it never sees the listener's Hello.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(d.up).toEqual([]);
    expect(a.up).toEqual([kb.address]);
    expect(a.misbehavior).toEqual([]);
    expect(b.misbehavior).toEqual([]);
  });

  it("closes and reports an authenticated link whose records are altered in transit, then redials", async () => {
    const [ka, kb] = [newSMKey(), newSMKey()];
    let tamperNext = false;
    const a = await startSMNode(ka.key, () => true);
    const relay = await startRelay(a.port, (chunk) => {
      if (!tamperNext) return chunk;
      tamperNext = false;
      const copy = Buffer.from(chunk);
      copy[copy.length - 1]! ^= 0x01; // a bit of the last record's tag
      return copy;
    });
    const b = await startSMNode(kb.key, () => true, { peers: [{ host: HOST, port: relay.port }] });
    await waitFor(() => a.up.length === 1 && b.up.length === 1, "the link");
    tamperNext = true;
    expect(b.network.send(ka.address, 3, bytes("altered on the way"))).toBe(true);
    await waitFor(() => a.down.length === 1 && b.down.length === 1, "the link to close");
    expect(a.messages).toEqual([]);
    expect(a.misbehavior).toEqual([expect.objectContaining({ address: kb.address, code: "record-bad-tag" })]);
    // B redials through the relay, which no longer tampers.
    await waitFor(() => a.up.length === 2 && b.up.length === 2, "the new link");
    b.network.send(ka.address, 3, bytes("intact"));
    await waitFor(() => a.messages.length === 1, "delivery");
    expect(text(a.messages[0]!.payload)).toBe("intact");
  });

  it("does not link an ecdsa node with an sm node; both refuse cleanly and keep working", async () => {
    const [ke, ks] = [newKey(), newSMKey()];
    const e = await startNode(ke.key, () => true);
    const s = await startSMNode(ks.key, () => true);
    e.network.connect(undefined, HOST, s.port);
    s.network.connect(undefined, HOST, e.port);
    // Long enough for several redials each way.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(e.up).toEqual([]);
    expect(s.up).toEqual([]);
    // An unauthenticated connection failing its handshake is not misbehavior on either side.
    expect(e.misbehavior).toEqual([]);
    expect(s.misbehavior).toEqual([]);
    const e2 = newKey();
    const s2 = newSMKey();
    await startNode(e2.key, () => true, { peers: [{ host: HOST, port: e.port }] });
    await startSMNode(s2.key, () => true, { peers: [{ host: HOST, port: s.port }] });
    await waitFor(() => e.up.includes(e2.address) && s.up.includes(s2.address), "links of each kind");
  });

  it("refuses a Hello relayed by a man in the middle and one replayed from another session", async () => {
    const [ka, kb] = [newSMKey(), newSMKey()];
    const a = await startSMNode(ka.key, () => true);
    // The man in the middle runs one SM channel with B and another with A, and relays the plaintext.
    const mitmPort = await listenOn((socket) => {
      const pending: Uint8Array[] = [];
      let toA: SMChannel | undefined;
      let aSecure = false;
      const toB = new SMChannel(socket, ChannelRole.listener, {
        secure: () => {},
        data: (chunk) => (aSecure ? toA!.write(chunk) : pending.push(chunk.slice())),
        error: () => {},
        close: () => toA?.destroy(),
      });
      toA = new SMChannel(net.connect({ host: HOST, port: a.port }), ChannelRole.dialer, {
        secure: () => {
          aSecure = true;
          for (const chunk of pending.splice(0)) toA!.write(chunk);
        },
        data: (chunk) => toB.write(chunk),
        error: () => {},
        close: () => toB.destroy(),
      });
      closers.push(() => toB.destroy());
    });
    const b = await startSMNode(kb.key, () => true, { peers: [{ host: HOST, port: mitmPort }] });
    await waitFor(() => a.misbehavior.length >= 1, "the refusal");
    expect(a.misbehavior[0]).toMatchObject({ code: "bad-signature", address: undefined });
    // B would keep redialling through the man in the middle.
    await b.network.stop();
    expect(b.up).toEqual([]);

    // An honest session, then its Hello bytes on a second session.
    const first = await rawSMConnect(a.port, honestSMHello(kb.key));
    await waitFor(() => first.frames.length === 1, "the listener's Hello");
    const misbehaviorBefore = a.misbehavior.length;
    const replay = await rawSMConnect(a.port, () => first.helloSent);
    await waitFor(() => replay.closed, "the close");
    expect(a.misbehavior.slice(misbehaviorBefore)).toEqual([
      expect.objectContaining({ code: "bad-signature" }),
    ]);
    expect(replay.frames).toEqual([]);
    expect(first.closed).toBe(false);
    expect(a.up).toEqual([kb.address]); // only the honest raw session
    expect(a.misbehavior.every((m) => m.code === "bad-signature")).toBe(true);
  });

  it("bounds the send queue under a reader that stops reading, delivering whole messages in order", async () => {
    const [server, client] = [newSMKey(), newSMKey()];
    const queueBytesMax = 256 * 1024;
    const a = await startSMNode(server.key, () => true, {
      sendQueueBytesMax: queueBytesMax,
      sendQueueFramesMax: 64,
    });
    const raw = await rawSMConnect(a.port, honestSMHello(client.key));
    await waitFor(() => a.up.length === 1 && raw.frames.length === 1, "the link");
    raw.socket.pause();
    const payloadBytes = 16 * 1024;
    const accepted: number[] = [];
    for (let i = 0; i < 1200; i++) {
      const payload = new Uint8Array(payloadBytes);
      new DataView(payload.buffer).setUint32(0, i);
      if (a.network.send(client.address, 7, payload)) accepted.push(i);
      const info = a.network.peers()[0]!;
      expect(info.queuedBytes).toBeLessThanOrEqual(queueBytesMax);
      expect(info.queuedFrames).toBeLessThanOrEqual(64);
      if (i % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(accepted.length).toBeLessThan(1200);
    expect(a.network.peers()[0]!.droppedFrames).toBe(1200 - accepted.length);
    raw.socket.resume();
    await waitFor(() => raw.frames.length === 1 + accepted.length, "the accepted messages", 10_000);
    const received = raw.frames
      .slice(1)
      .map((f) => new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0));
    expect(received).toEqual(accepted);
    expect(raw.frames.slice(1).every((f) => f.type === 7 && f.payload.length === payloadBytes)).toBe(true);
    expect(a.network.peers()[0]).toMatchObject({ queuedBytes: 0, queuedFrames: 0 });
  });

  it("closes a connection that never sends its ChannelHello after the handshake timeout", async () => {
    const a = await startSMNode(newSMKey().key, () => true, { handshakeTimeoutMs: 150 });
    const idle = net.connect({ host: HOST, port: a.port });
    idle.on("error", () => {});
    const received: Buffer[] = [];
    idle.on("data", (chunk: Buffer) => received.push(chunk));
    const started = Date.now();
    await new Promise((resolve) => idle.on("close", resolve));
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    // The listener sent its ChannelHello, nothing more.
    expect(Buffer.concat(received).length).toBe(CHANNEL_HELLO_BYTES);
    expect(a.misbehavior).toEqual([]);
  });

  it("refuses PKI mode on an sm chain", () => {
    expect(() =>
      createPeerNetwork(
        {
          chainId: CHAIN_ID,
          nodeKey: newSMKey().key,
          pki: { certificateChainPem: "", keyPem: "", rootCertificatePem: "" },
        },
        { isAllowed: () => true, suite: smSuite },
      ),
    ).toThrowError(
      expect.objectContaining({ code: "invalid-state", message: expect.stringMatching(/P-256/) }),
    );
  });
});

/** An independent reading of the framing rules: frames up to the first violation, type 0 being one. */
function referenceParse(stream: Uint8Array, frameBytesMax: number) {
  const frames: { type: number; payload: Uint8Array }[] = [];
  let at = 0;
  while (stream.length - at >= 4) {
    const length = new DataView(stream.buffer, stream.byteOffset + at).getUint32(0);
    if (length === 0 || length > frameBytesMax) return { frames, violation: true };
    if (stream.length - at - 4 < length) break;
    const type = stream[at + 4]!;
    if (type === 0) return { frames, violation: true };
    frames.push({ type, payload: stream.slice(at + 5, at + 4 + length) });
    at += 4 + length;
  }
  return { frames, violation: false };
}
