import net from "node:net";

/**
 * A fault-injecting TCP proxy for tests on loopback (toxiproxy-style, in process, no root needed). It listens on
 * 127.0.0.1, forwards every accepted connection to one target, and can be switched at any time between:
 *
 * - **pass**: forward bytes as they come, with backpressure;
 * - **drop** (blackhole): read and discard the bytes of one or both directions; sockets stay open, and a close
 *   from the discarded side is not passed on (its FIN is "lost" too) until the mode changes back;
 * - **delay**: hold every chunk at least `ms` before forwarding it, in order;
 * - **cut**: reset every current connection (both sides) and reset new ones as soon as they are accepted;
 *
 * and, independently of the mode, **partitioned** on/off: nothing flows and new connections are held without
 * reaching the target, but nothing is lost either (the proxy stops reading, so the kernel's buffers and then the
 * senders' own queues fill, as in a real partition where TCP retransmits); on heal, held connections are
 * connected and the bytes flow on.
 *
 * Memory is bounded: each direction of a connection buffers at most `bufferBytesMax` (plus one socket chunk)
 * before the proxy stops reading from its source, and at most `connectionsMax` connections are open at once.
 * `close()` resets every connection, clears every timer, and resolves once the listener and all sockets are closed.
 */

export type FaultDirection = "both" | "toTarget" | "fromTarget";

export type FaultMode =
  | { readonly kind: "pass" }
  | { readonly kind: "drop"; readonly direction: FaultDirection }
  | { readonly kind: "delay"; readonly ms: number }
  | { readonly kind: "cut" };

export interface FaultProxyOptions {
  /** Where connections go. Host defaults to 127.0.0.1. */
  readonly target: { readonly host?: string; readonly port: number };
  /** Listen port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Bytes one direction of one connection may hold (delayed or waiting for the destination) before reading stops. */
  readonly bufferBytesMax?: number;
  /** Connections open at once; more are closed on accept. */
  readonly connectionsMax?: number;
}

export interface FaultProxyStats {
  /** Connections accepted and (eventually) forwarded. */
  readonly accepted: number;
  /** Connections reset on accept because the proxy was cut, or closed because the target refused them. */
  readonly refused: number;
  /** Connections currently open (including held ones). */
  readonly open: number;
  readonly bytesForwarded: { readonly toTarget: number; readonly fromTarget: number };
  readonly bytesDropped: { readonly toTarget: number; readonly fromTarget: number };
  /** Bytes held in the proxy's buffers right now, over all connections and directions. */
  readonly bufferedBytes: number;
  /** The most bytes any one direction of one connection has held at once. */
  readonly bufferedBytesPeak: number;
}

export interface FaultProxy {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly target: { readonly host: string; readonly port: number };
  readonly mode: FaultMode;
  readonly partitioned: boolean;
  pass(): void;
  drop(direction?: FaultDirection): void;
  delay(ms: number): void;
  cut(): void;
  /** Partition on (true) or heal (false); the mode is kept and applies again after heal. */
  partition(on: boolean): void;
  stats(): FaultProxyStats;
  /** Resets every connection, clears every timer, stops listening; resolves when all of it is closed. */
  close(): Promise<void>;
}

const BUFFER_BYTES_MAX_DEFAULT = 1024 * 1024;
const CONNECTIONS_MAX_DEFAULT = 64;

type Way = "toTarget" | "fromTarget";

interface Pipe {
  readonly way: Way;
  readonly queue: { chunk: Buffer; due: number }[];
  queuedBytes: number;
  /** The due time of the last queued chunk; later chunks are never due before it, which keeps the order. */
  lastDue: number;
  timer: NodeJS.Timeout | undefined;
  /** Waiting for the destination's `drain`. */
  blocked: boolean;
  /** The source sent FIN; the destination is ended once the queue is flushed. */
  ended: boolean;
  /** The source is closed altogether; the destination is closed once the queue is flushed. */
  sourceClosed: boolean;
  /** `end()` was called on the destination. */
  finished: boolean;
}

interface Connection {
  readonly client: net.Socket;
  upstream: net.Socket | undefined;
  readonly toTarget: Pipe;
  readonly fromTarget: Pipe;
  /** Accepted while partitioned and not yet connected to the target. */
  held: boolean;
  /** Reset or closed on purpose: nothing more is forwarded. */
  dead: boolean;
}

/** Starts a fault proxy in `pass` mode on 127.0.0.1. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = { host: options.target.host ?? "127.0.0.1", port: options.target.port };
  const bufferBytesMax = options.bufferBytesMax ?? BUFFER_BYTES_MAX_DEFAULT;
  const connectionsMax = options.connectionsMax ?? CONNECTIONS_MAX_DEFAULT;
  if (!(Number.isSafeInteger(bufferBytesMax) && bufferBytesMax > 0))
    throw new Error(`bufferBytesMax must be a positive integer, got ${bufferBytesMax}`);
  if (!(Number.isSafeInteger(connectionsMax) && connectionsMax > 0))
    throw new Error(`connectionsMax must be a positive integer, got ${connectionsMax}`);

  let mode: FaultMode = { kind: "pass" };
  let partitioned = false;
  let closing = false;
  const connections = new Set<Connection>();
  /** Every socket the proxy accepted or opened that has not emitted `close` yet. */
  const sockets = new Set<net.Socket>();
  let onAllSocketsClosed: (() => void) | undefined;
  const stats = {
    accepted: 0,
    refused: 0,
    bytesForwarded: { toTarget: 0, fromTarget: 0 },
    bytesDropped: { toTarget: 0, fromTarget: 0 },
    bufferedBytesPeak: 0,
  };

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      if (sockets.size === 0) onAllSocketsClosed?.();
    });
  };

  const dropping = (way: Way) =>
    mode.kind === "drop" && (mode.direction === "both" || mode.direction === way);

  const source = (c: Connection, pipe: Pipe) => (pipe.way === "toTarget" ? c.client : c.upstream);
  const destination = (c: Connection, pipe: Pipe) => (pipe.way === "toTarget" ? c.upstream : c.client);

  const newPipe = (way: Way): Pipe => ({
    way,
    queue: [],
    queuedBytes: 0,
    lastDue: 0,
    timer: undefined,
    blocked: false,
    ended: false,
    sourceClosed: false,
    finished: false,
  });

  function clearPipe(pipe: Pipe): void {
    if (pipe.timer) clearTimeout(pipe.timer);
    pipe.timer = undefined;
    stats.bytesDropped[pipe.way] += pipe.queuedBytes;
    pipe.queue.length = 0;
    pipe.queuedBytes = 0;
  }

  /** Reads from a source only while it is useful: not partitioned, not held, and its buffer has room. */
  function updateFlow(c: Connection): void {
    if (c.dead) return;
    for (const pipe of [c.toTarget, c.fromTarget]) {
      const from = source(c, pipe);
      if (!from || from.destroyed) continue;
      const read = !partitioned && !c.held && pipe.queuedBytes < bufferBytesMax;
      if (read && from.isPaused()) from.resume();
      else if (!read && !from.isPaused()) from.pause();
    }
  }

  function flush(c: Connection, pipe: Pipe): void {
    if (pipe.timer) clearTimeout(pipe.timer);
    pipe.timer = undefined;
    const to = destination(c, pipe);
    if (c.dead || partitioned || pipe.blocked || !to || to.destroyed) return;
    const now = Date.now();
    while (pipe.queue.length > 0 && pipe.queue[0]!.due <= now) {
      const { chunk } = pipe.queue.shift()!;
      pipe.queuedBytes -= chunk.length;
      stats.bytesForwarded[pipe.way] += chunk.length;
      if (!to.write(chunk)) {
        pipe.blocked = true;
        to.once("drain", () => {
          pipe.blocked = false;
          flush(c, pipe);
        });
        break;
      }
    }
    if (pipe.queue.length > 0 && !pipe.blocked) {
      pipe.timer = setTimeout(() => flush(c, pipe), Math.max(0, pipe.queue[0]!.due - now));
    }
    maybeEnd(c, pipe);
    updateFlow(c);
  }

  /**
   * Passes on the source's FIN (or close) once everything before it is delivered; not while the direction is
   * dropped (the FIN is lost with the bytes) or partitioned.
   */
  function maybeEnd(c: Connection, pipe: Pipe): void {
    const to = destination(c, pipe);
    if (!pipe.ended || pipe.finished || pipe.queue.length > 0 || pipe.blocked) return;
    if (c.dead || partitioned || dropping(pipe.way) || !to || to.destroyed) return;
    pipe.finished = true;
    if (pipe.sourceClosed) to.end(() => to.destroy());
    else to.end();
  }

  function onData(c: Connection, pipe: Pipe, chunk: Buffer): void {
    if (c.dead) return;
    // Dropped on purpose, or with nowhere to go (the destination is closed).
    if (dropping(pipe.way) || pipe.finished) {
      stats.bytesDropped[pipe.way] += chunk.length;
      return;
    }
    const now = Date.now();
    const due = Math.max(now + (mode.kind === "delay" ? mode.ms : 0), pipe.lastDue);
    pipe.lastDue = due;
    pipe.queue.push({ chunk, due });
    pipe.queuedBytes += chunk.length;
    stats.bufferedBytesPeak = Math.max(stats.bufferedBytesPeak, pipe.queuedBytes);
    if (pipe.queue.length === 1 || due <= now) flush(c, pipe);
    else updateFlow(c);
  }

  /** A socket of the connection closed (or failed): pass that on to the other side, unless it is dropped. */
  function onGone(c: Connection, side: "client" | "upstream", failed: boolean): void {
    const from = side === "client" ? c.toTarget : c.fromTarget;
    const toward = side === "client" ? c.fromTarget : c.toTarget;
    // Nothing can be delivered to a closed socket.
    clearPipe(toward);
    toward.finished = true;
    if (failed && !dropping(from.way)) {
      destroy(c, true);
      return;
    }
    from.ended = true;
    from.sourceClosed = true;
    maybeEnd(c, from);
  }

  /** Tears a connection down: with `reset`, both sides get an RST (as a cut link would). */
  function destroy(c: Connection, reset: boolean): void {
    if (c.dead) return;
    c.dead = true;
    connections.delete(c);
    clearPipe(c.toTarget);
    clearPipe(c.fromTarget);
    for (const socket of [c.client, c.upstream]) {
      if (!socket || socket.destroyed) continue;
      // Node's resetAndDestroy() after end() fails with EINVAL and never emits `close`: plain destroy() then.
      if (reset && !socket.connecting && !socket.writableEnded) socket.resetAndDestroy();
      else socket.destroy();
    }
  }

  /** Forgets a connection once both its sockets are closed. */
  function reap(c: Connection): void {
    if (c.client.destroyed && (!c.upstream || c.upstream.destroyed)) {
      c.dead = true;
      connections.delete(c);
    }
  }

  function connectUpstream(c: Connection): void {
    c.held = false;
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    track(upstream);
    c.upstream = upstream;
    let failed = false;
    upstream.on("data", (chunk: Buffer) => onData(c, c.fromTarget, chunk));
    upstream.on("end", () => {
      c.fromTarget.ended = true;
      maybeEnd(c, c.fromTarget);
    });
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      failed = true;
      // The target is down: the client sees its connection reset, as it would dialling a closed port.
      if (error.code === "ECONNREFUSED") {
        stats.refused++;
        destroy(c, true);
      }
    });
    upstream.once("connect", () => flush(c, c.toTarget));
    upstream.once("close", () => {
      onGone(c, "upstream", failed);
      reap(c);
    });
    updateFlow(c);
  }

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    track(client);
    if (closing || mode.kind === "cut") {
      stats.refused++;
      client.on("error", () => {});
      client.resetAndDestroy();
      return;
    }
    stats.accepted++;
    const c: Connection = {
      client,
      upstream: undefined,
      toTarget: newPipe("toTarget"),
      fromTarget: newPipe("fromTarget"),
      held: partitioned,
      dead: false,
    };
    connections.add(c);
    let failed = false;
    client.on("data", (chunk: Buffer) => onData(c, c.toTarget, chunk));
    client.on("end", () => {
      c.toTarget.ended = true;
      maybeEnd(c, c.toTarget);
    });
    client.on("error", () => {
      failed = true;
    });
    client.once("close", () => {
      onGone(c, "client", failed);
      reap(c);
    });
    if (!c.held) connectUpstream(c);
  });
  server.maxConnections = connectionsMax;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;

  /** Applies a mode change to every open connection. */
  function setMode(next: FaultMode): void {
    if (closing) return;
    mode = next;
    for (const c of [...connections]) {
      if (next.kind === "cut") {
        destroy(c, true);
        continue;
      }
      for (const pipe of [c.toTarget, c.fromTarget]) {
        // Bytes in flight on a direction that starts dropping are lost, as on a blackholed link.
        if (dropping(pipe.way)) clearPipe(pipe);
        else flush(c, pipe);
      }
      updateFlow(c);
    }
  }

  return {
    host: "127.0.0.1",
    port,
    target,
    get mode() {
      return mode;
    },
    get partitioned() {
      return partitioned;
    },
    pass: () => setMode({ kind: "pass" }),
    drop: (direction: FaultDirection = "both") => setMode({ kind: "drop", direction }),
    delay(ms: number) {
      if (!(Number.isFinite(ms) && ms >= 0))
        throw new Error(`delay must be a non-negative number, got ${ms}`);
      setMode({ kind: "delay", ms });
    },
    cut: () => setMode({ kind: "cut" }),
    partition(on: boolean) {
      if (closing || partitioned === on) return;
      partitioned = on;
      for (const c of [...connections]) {
        if (on) {
          for (const pipe of [c.toTarget, c.fromTarget]) {
            if (pipe.timer) clearTimeout(pipe.timer);
            pipe.timer = undefined;
          }
          updateFlow(c);
        } else if (c.held) {
          connectUpstream(c);
        } else {
          flush(c, c.toTarget);
          flush(c, c.fromTarget);
        }
      }
    },
    stats(): FaultProxyStats {
      let bufferedBytes = 0;
      for (const c of connections) bufferedBytes += c.toTarget.queuedBytes + c.fromTarget.queuedBytes;
      return {
        accepted: stats.accepted,
        refused: stats.refused,
        open: connections.size,
        bytesForwarded: { ...stats.bytesForwarded },
        bytesDropped: { ...stats.bytesDropped },
        bufferedBytes,
        bufferedBytesPeak: stats.bufferedBytesPeak,
      };
    },
    async close() {
      closing = true;
      const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of [...connections]) destroy(c, true);
      for (const socket of sockets) if (!socket.destroyed) socket.destroy();
      const allClosed =
        sockets.size === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              onAllSocketsClosed = resolve;
            });
      await Promise.all([listenerClosed, allClosed]);
    },
  };
}
