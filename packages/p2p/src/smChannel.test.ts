import { createECDH, createHash, randomBytes } from "node:crypto";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { P2PError } from "./errors.js";
import type { LinkChannelEvents } from "./linkChannel.js";
import {
  CHANNEL_HELLO_BYTES,
  CHANNEL_LABELS,
  ChannelRole,
  deriveChannelKeys,
  encodeChannelHello,
  SMChannel,
} from "./smChannel.js";
import { RECORD_PLAINTEXT_MAX } from "./smRecord.js";

const HOST = "127.0.0.1";
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One end of a channel with everything its events said. */
interface End {
  channel: SMChannel;
  secure: boolean;
  received: Uint8Array[];
  errors: Error[];
  closed: boolean;
  /** Every byte this end's socket wrote, as it went to the kernel. */
  wire: Uint8Array[];
}

function recordingEvents(end: () => End): LinkChannelEvents {
  return {
    secure: () => {
      end().secure = true;
    },
    data: (chunk) => end().received.push(chunk.slice()),
    error: (error) => end().errors.push(error),
    close: () => {
      end().closed = true;
    },
  };
}

/** Spies on a socket's writes, keeping a copy of every byte it sends. */
function tap(socket: net.Socket, wire: Uint8Array[]): net.Socket {
  const write = socket.write.bind(socket) as (data: Uint8Array, callback?: () => void) => boolean;
  socket.write = ((data: Uint8Array, callback?: () => void) => {
    wire.push(new Uint8Array(data).slice());
    return write(data, callback);
  }) as typeof socket.write;
  return socket;
}

function newEnd(socket: net.Socket, role: ChannelRole, options = {}): End {
  const end: End = {
    channel: undefined as unknown as SMChannel,
    secure: false,
    received: [],
    errors: [],
    closed: false,
    wire: [],
  };
  end.channel = new SMChannel(
    tap(socket, end.wire),
    role,
    recordingEvents(() => end),
    options,
  );
  return end;
}

/** A listener on port 0 whose accepted sockets go to `onSocket`. */
async function listen(onSocket: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  cleanups.push(() => server.close());
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
}

async function connectedPair(options = {}): Promise<{ dialer: End; listener: End }> {
  let listener: End | undefined;
  const port = await listen((socket) => {
    listener = newEnd(socket, ChannelRole.listener, options);
  });
  const dialer = newEnd(net.connect({ host: HOST, port }), ChannelRole.dialer, options);
  await waitFor(() => dialer.secure && listener?.secure === true, "both ends secure");
  cleanups.push(() => {
    dialer.channel.destroy();
    listener!.channel.destroy();
  });
  return { dialer, listener: listener! };
}

const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const contains = (haystack: Uint8Array, needle: Uint8Array) => Buffer.from(haystack).indexOf(needle) >= 0;

/** GB/T 32918.4 KDF written out again from the standard, on OpenSSL's SM3. */
function referenceKdf(z: Uint8Array, length: number): Uint8Array {
  const out: Buffer[] = [];
  for (let counter = 1; out.length * 32 < length; counter++) {
    const ct = Buffer.alloc(4);
    ct.writeUInt32BE(counter);
    out.push(createHash("sm3").update(z).update(ct).digest());
  }
  return new Uint8Array(Buffer.concat(out).subarray(0, length));
}

describe("SM channel", () => {
  it("derives its keys as the specification says", () => {
    const shared = new Uint8Array(randomBytes(32));
    const dialerHello = new Uint8Array(randomBytes(CHANNEL_HELLO_BYTES));
    const listenerHello = new Uint8Array(randomBytes(CHANNEL_HELLO_BYTES));
    const transcript = createHash("sm3").update(dialerHello).update(listenerHello).digest();
    const expected = (label: string, length: number) =>
      referenceKdf(Buffer.concat([shared, transcript, Buffer.from(label, "ascii")]), length);
    expect(deriveChannelKeys(shared, dialerHello, listenerHello)).toEqual({
      dialer: {
        key: expected(CHANNEL_LABELS.dialerKey, 16),
        iv: expected(CHANNEL_LABELS.dialerIV, 12),
        macKey: expected(CHANNEL_LABELS.dialerMacKey, 32),
      },
      listener: {
        key: expected(CHANNEL_LABELS.listenerKey, 16),
        iv: expected(CHANNEL_LABELS.listenerIV, 12),
        macKey: expected(CHANNEL_LABELS.listenerMacKey, 32),
      },
      exporter: expected(CHANNEL_LABELS.exporter, 32),
    });
    // Every label gives different keys, and the transcript binds them to both hellos.
    const keys = deriveChannelKeys(shared, dialerHello, listenerHello);
    expect(keys.dialer.key).not.toEqual(keys.listener.key);
    expect(deriveChannelKeys(shared, listenerHello, dialerHello).exporter).not.toEqual(keys.exporter);
  });

  it("agrees on a session over real sockets and carries bytes both ways, none of them in the clear", async () => {
    const { dialer, listener } = await connectedPair();
    const [d, l] = [dialer.channel.session(), listener.channel.session()];
    expect(d.exporter).toEqual(l.exporter);
    expect(d.exporter.length).toBe(32);
    expect(d.ownFingerprint).toEqual(l.peerFingerprint);
    expect(d.peerFingerprint).toEqual(l.ownFingerprint);
    expect(d.ownFingerprint).not.toEqual(d.peerFingerprint);
    expect(dialer.channel.presentedCertificates()).toEqual([]);

    const secret = new TextEncoder().encode("a frame payload nobody on the path may read ".repeat(20));
    // Above the record cap, so it travels as several records and arrives whole and in order.
    const large = new Uint8Array(randomBytes(RECORD_PLAINTEXT_MAX * 2 + 123));
    const written: string[] = [];
    dialer.channel.write(secret, () => written.push("secret"));
    dialer.channel.write(large, () => written.push("large"));
    listener.channel.write(secret);
    await waitFor(
      () => concat(listener.received).length === secret.length + large.length,
      "the dialer's bytes",
    );
    await waitFor(() => dialer.received.length === 1 && written.length === 2, "the listener's bytes");
    expect(written).toEqual(["secret", "large"]);
    expect(concat(listener.received)).toEqual(concat([secret, large]));
    expect(dialer.received).toEqual([secret]);

    for (const end of [dialer, listener]) {
      const wire = concat(end.wire);
      expect(wire.subarray(0, 4)).toEqual(new TextEncoder().encode("chsm"));
      expect(contains(wire, secret.subarray(0, 32))).toBe(false);
      expect(end.errors).toEqual([]);
    }
    // The writes of one tick are sealed together, cut at the record cap: 3 records, each with a 4-byte length and
    // a 16-byte tag.
    expect(listener.received.map((chunk) => chunk.length)).toEqual([
      RECORD_PLAINTEXT_MAX,
      RECORD_PLAINTEXT_MAX,
      secret.length + large.length - 2 * RECORD_PLAINTEXT_MAX,
    ]);
    expect(concat(dialer.wire).length).toBe(CHANNEL_HELLO_BYTES + secret.length + large.length + 3 * 20);
  });

  it("closes the channel on a record altered in transit", async () => {
    // A relay between the two ends flips one bit of the first record after the ChannelHellos.
    let upstream: net.Socket | undefined;
    let forwarded = 0;
    const listenerPort = await listen((socket) => {
      listener = newEnd(socket, ChannelRole.listener);
    });
    let listener: End | undefined;
    const relayPort = await listen((socket) => {
      upstream = net.connect({ host: HOST, port: listenerPort });
      upstream.on("data", (chunk: Buffer) => socket.write(chunk));
      upstream.on("error", () => {});
      socket.on("error", () => {});
      socket.on("close", () => upstream?.destroy());
      upstream.on("close", () => socket.destroy());
      socket.on("data", (chunk: Buffer) => {
        const copy = Buffer.from(chunk);
        const at = CHANNEL_HELLO_BYTES + 10 - forwarded;
        if (at >= 0 && at < copy.length) copy[at]! ^= 0x20;
        forwarded += chunk.length;
        upstream!.write(copy);
      });
    });
    const dialer = newEnd(net.connect({ host: HOST, port: relayPort }), ChannelRole.dialer);
    await waitFor(() => dialer.secure && listener?.secure === true, "both ends secure");
    dialer.channel.write(new TextEncoder().encode("this record is tampered with"));
    await waitFor(() => listener!.closed && dialer.closed, "both ends closed");
    expect(listener!.received).toEqual([]);
    expect(listener!.errors).toEqual([expect.objectContaining({ code: "record-bad-tag" })]);
  });

  it("refuses a peer that does not speak it, at its first byte", async () => {
    let listener: End | undefined;
    const port = await listen((socket) => {
      listener = newEnd(socket, ChannelRole.listener);
    });
    const socket = net.connect({ host: HOST, port });
    socket.on("error", () => {});
    // The first bytes of a TLS ClientHello record.
    socket.write(Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00));
    await waitFor(() => listener?.closed === true, "the close");
    expect(listener!.secure).toBe(false);
    expect(listener!.errors).toEqual([expect.objectContaining({ code: "channel-hello-malformed" })]);
    expect(listener!.errors[0]!.message).toMatch(/wrong magic/);
  });

  it("refuses a ChannelHello with a key off the curve, a wrong role or a wrong version", async () => {
    const valid = new Uint8Array(createECDH("SM2").generateKeys());
    const offCurve = valid.slice();
    offCurve[64]! ^= 1;
    const identity = Uint8Array.of(4, ...new Uint8Array(64));
    const compressed = Uint8Array.of(2, ...valid.subarray(1, 33), ...new Uint8Array(32));
    const hello = (role: ChannelRole, ephemeralKey: Uint8Array) =>
      encodeChannelHello({ role, random: new Uint8Array(32), ephemeralKey });
    const wrongVersion = hello(ChannelRole.dialer, valid);
    wrongVersion[4] = 2;
    const cases: [Uint8Array, RegExp][] = [
      [hello(ChannelRole.dialer, offCurve), /not a point of curveSM2/],
      [hello(ChannelRole.dialer, identity), /not a point of curveSM2/],
      [hello(ChannelRole.dialer, compressed), /not an uncompressed/],
      [hello(ChannelRole.listener, valid), /claims role 1/],
      [wrongVersion, /version 2/],
    ];
    for (const [bytes, message] of cases) {
      let listener: End | undefined;
      const port = await listen((socket) => {
        listener = newEnd(socket, ChannelRole.listener);
      });
      const socket = net.connect({ host: HOST, port });
      socket.on("error", () => {});
      socket.write(bytes);
      await waitFor(() => listener?.closed === true, "the close");
      expect(listener!.secure).toBe(false);
      expect(listener!.errors).toHaveLength(1);
      expect(listener!.errors[0]).toBeInstanceOf(P2PError);
      expect(listener!.errors[0]).toMatchObject({ code: "channel-hello-malformed" });
      expect(listener!.errors[0]!.message).toMatch(message);
      socket.destroy();
    }
  });

  it("closes when a direction reaches its record limit, without sending part of a write", async () => {
    const { dialer, listener } = await connectedPair({ recordsMax: 2 });
    dialer.channel.write(Uint8Array.of(1));
    await waitFor(() => listener.received.length === 1, "the first record");
    const before = concat(dialer.wire).length;
    // Two records would be needed and one is left: nothing goes out, the channel fails at the end of the tick.
    dialer.channel.write(new Uint8Array(RECORD_PLAINTEXT_MAX + 1));
    expect(dialer.errors).toEqual([]);
    await waitFor(() => dialer.closed && listener.closed, "both ends closed");
    expect(concat(dialer.wire).length).toBe(before);
    expect(dialer.errors).toEqual([expect.objectContaining({ code: "record-limit" })]);
    expect(listener.received).toEqual([Uint8Array.of(1)]);
  });
});
