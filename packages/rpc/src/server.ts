import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { RPCBackend } from "./backend.js";
import { type ChainEventListener, ChainEvents } from "./chainEvents.js";
import { type Clock, systemClock } from "./clock.js";
import { createDispatcher, type Dispatcher, serializeErrorResponse } from "./dispatcher.js";
import { RPCErrorCode } from "./errors.js";
import { FilterManager } from "./filters.js";
import { type IdGenerator, randomId } from "./ids.js";
import { type RPCLimits, resolveRPCLimits } from "./limits.js";
import { type RPCLogger, silentLogger } from "./logger.js";
import type { MethodDeclaration, Session } from "./method.js";
import { createMethodRegistry, ethereumMethods } from "./methods/index.js";
import { SubscriptionSet } from "./subscriptions.js";

export interface RPCCorsOptions {
  /** Origins browsers may call from: `"*"` (the default) or an exact list such as `["https://console.example"]`. */
  readonly allowedOrigins: "*" | readonly string[];
}

export interface RPCServerOptions {
  readonly backend: RPCBackend;
  /** Interface to listen on; default `127.0.0.1`. */
  readonly host?: string;
  /** Port to listen on (HTTP and WebSocket share it); default 8545, `0` picks a free port. */
  readonly port?: number;
  /** Overrides of the defaults in `defaultRPCLimits`. */
  readonly limits?: Partial<RPCLimits>;
  readonly cors?: RPCCorsOptions;
  readonly logger?: RPCLogger;
  /** Time source for filter expiry; default the system clock. */
  readonly clock?: Clock;
  /** Source of filter and subscription ids; default 128 random bits. */
  readonly newId?: IdGenerator;
  /** The methods to serve; default every method in `ethereumMethods`. The node may add its own. */
  readonly methods?: Iterable<MethodDeclaration>;
}

export interface RPCServer {
  /** Starts listening; resolves with the bound address (useful with `port: 0`). */
  start(): Promise<{ host: string; port: number }>;
  /** Stops listening, drops every connection, subscription and filter. */
  close(): Promise<void>;
  /** The transport-free request handler, for in-process callers. */
  readonly dispatcher: Dispatcher;
  readonly limits: RPCLimits;
  /** Open WebSocket connections and installed filters, for metrics. */
  stats(): { wsConnections: number; filters: number };
}

/** How long a rejected upload may keep sending before its socket is closed, so the client can still read the 413. */
const rejectedBodyLingerMs = 1000;

interface WSConnection {
  readonly socket: WebSocket;
  readonly subscriptions: SubscriptionSet;
  inflight: number;
  alive: boolean;
}

/**
 * Creates the JSON-RPC server: HTTP POST and WebSocket on one port, as anvil and `hardhat node` serve them.
 *
 * @example
 * ```ts
 * const server = createRPCServer({ backend, host: "127.0.0.1", port: 8545 });
 * const { port } = await server.start();
 * // ... ethers `new JsonRpcProvider(`http://127.0.0.1:${port}`)` or viem `webSocket(`ws://127.0.0.1:${port}`)`
 * await server.close();
 * ```
 */
export function createRPCServer(options: RPCServerOptions): RPCServer {
  const { backend } = options;
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8545;
  const limits = resolveRPCLimits(options.limits);
  const logger = options.logger ?? silentLogger;
  const newId = options.newId ?? randomId;
  const allowedOrigins = options.cors?.allowedOrigins ?? "*";

  const filters = new FilterManager({ backend, limits, clock: options.clock ?? systemClock, newId });
  const events = new ChainEvents(backend, logger);
  const filterEvents: ChainEventListener = {
    onBlock: () => {},
    onPendingTx: (hash) => filters.onPendingTx(hash),
  };
  const dispatcher = createDispatcher({
    methods: createMethodRegistry(options.methods ?? Object.values(ethereumMethods)),
    limits,
    logger,
    context: { backend, limits, filters },
  });
  const httpSession: Session = { transport: "http" };
  const connections = new Set<WSConnection>();
  const timers: NodeJS.Timeout[] = [];

  const http: Server = createServer({ requestTimeout: limits.httpRequestTimeoutMs }, onRequest);
  http.headersTimeout = Math.min(limits.httpRequestTimeoutMs, 60_000);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.wsPayloadBytesMax,
    perMessageDeflate: false,
  });
  http.on("upgrade", onUpgrade);
  // Errors after start (e.g. running out of file descriptors) must be logged, not crash the node.
  wss.on("error", (error) => logger.error({ err: error }, "RPC WebSocket server error"));
  http.on("clientError", (error, socket) => {
    logger.debug({ err: error }, "RPC HTTP client error");
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });

  function allowedOrigin(origin: string | undefined): string | undefined {
    if (allowedOrigins === "*") return "*";
    return origin !== undefined && allowedOrigins.includes(origin) ? origin : undefined;
  }

  function setCorsHeaders(req: IncomingMessage, res: ServerResponse): void {
    const origin = allowedOrigin(req.headers.origin);
    if (origin === undefined) return;
    res.setHeader("Access-Control-Allow-Origin", origin);
    if (origin !== "*") res.setHeader("Vary", "Origin");
  }

  function sendJSON(
    res: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": String(Buffer.byteLength(body)),
      ...headers,
    });
    res.end(body);
  }

  function rejectBody(req: IncomingMessage, res: ServerResponse): void {
    const body = serializeErrorResponse(
      null,
      RPCErrorCode.limitExceeded,
      `request body exceeds ${limits.bodyBytesMax} bytes; send smaller requests or batches`,
    );
    // No "Connection: close" here: with it Node destroys the socket as soon as the answer is flushed, and a client
    // still uploading (ethers' http.request, fetch) gets EPIPE/ECONNRESET instead of the 413.
    sendJSON(res, 413, body);
    // Keep reading (and discarding) for a moment so the client gets to read the 413, then cut the upload off.
    req.resume();
    setTimeout(() => req.socket.destroy(), rejectedBodyLingerMs).unref();
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    setCorsHeaders(req, res);
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] ?? "Content-Type",
        "Access-Control-Max-Age": "600",
      });
      res.end();
      return;
    }
    if (req.method !== "POST") {
      const body = serializeErrorResponse(
        null,
        RPCErrorCode.invalidRequest,
        `HTTP method ${req.method ?? ""} not allowed: send JSON-RPC requests with POST`,
      );
      sendJSON(res, 405, body, { Allow: "POST, OPTIONS" });
      req.resume();
      return;
    }
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limits.bodyBytesMax) {
      rejectBody(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let rejected = false;
    req.on("data", (chunk: Buffer) => {
      if (rejected) return;
      received += chunk.length;
      if (received > limits.bodyBytesMax) {
        rejected = true;
        chunks.length = 0;
        rejectBody(req, res);
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", (error) => logger.debug({ err: error }, "RPC HTTP request stream failed"));
    req.on("end", () => {
      if (rejected) return;
      const text = Buffer.concat(chunks).toString("utf8");
      dispatcher.handleText(text, httpSession).then(
        (response) => {
          if (res.writableEnded || res.destroyed) return;
          if (response === undefined) {
            res.writeHead(204);
            res.end();
          } else {
            sendJSON(res, 200, response);
          }
        },
        (error: unknown) => {
          // The dispatcher answers every failure itself; reaching this is a bug, but the node must keep serving.
          logger.error({ err: error }, "RPC dispatcher failed");
          if (!res.headersSent)
            sendJSON(res, 500, serializeErrorResponse(null, RPCErrorCode.internalError, "internal error"));
        },
      );
    });
  }

  function refuseUpgrade(socket: Socket, status: string): void {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  function onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on("error", (error) => logger.debug({ err: error }, "RPC WebSocket socket error"));
    const origin = req.headers.origin;
    // Browsers send Origin on WebSocket upgrades and do not apply CORS to them, so the server has to check it.
    if (origin !== undefined && allowedOrigin(origin) === undefined) {
      refuseUpgrade(socket, "403 Forbidden");
      return;
    }
    if (connections.size >= limits.wsConnectionsMax) {
      logger.warn(
        { connections: connections.size },
        "RPC WebSocket connection refused: wsConnectionsMax reached",
      );
      refuseUpgrade(socket, "503 Service Unavailable");
      return;
    }
    wss.handleUpgrade(req, socket, head, onConnection);
  }

  function onConnection(socket: WebSocket): void {
    const send = (text: string): void => {
      if (socket.readyState !== WebSocket.OPEN) return;
      // A consumer that does not read what we send would make us buffer without end; drop it instead. Only what
      // is already queued counts, so one large answer (a big batch) still goes out to a client that keeps up.
      if (socket.bufferedAmount > limits.wsBufferedBytesMax) {
        logger.warn({ buffered: socket.bufferedAmount }, "RPC WebSocket client too slow; disconnecting it");
        socket.terminate();
        return;
      }
      socket.send(text);
    };
    const subscriptions = new SubscriptionSet({
      backend,
      limits,
      newId,
      send: (notification) => send(JSON.stringify(notification)),
    });
    const connection: WSConnection = { socket, subscriptions, inflight: 0, alive: true };
    const session: Session = { transport: "ws", subscriptions };
    connections.add(connection);
    events.add(subscriptions);

    socket.on("message", (data: RawData) => {
      const text = rawDataToText(data);
      if (connection.inflight >= limits.wsInflightRequestsMax) {
        const response = dispatcher.rejectText(
          text,
          RPCErrorCode.limitExceeded,
          `too many requests in flight on this connection (at most ${limits.wsInflightRequestsMax}); wait for answers`,
        );
        if (response !== undefined) send(response);
        return;
      }
      connection.inflight++;
      dispatcher
        .handleText(text, session)
        .then(
          (response) => {
            if (response !== undefined) send(response);
          },
          (error: unknown) => logger.error({ err: error }, "RPC dispatcher failed"),
        )
        .finally(() => {
          connection.inflight--;
        });
    });
    socket.on("pong", () => {
      connection.alive = true;
    });
    socket.on("error", (error) => logger.debug({ err: error }, "RPC WebSocket error"));
    socket.on("close", () => {
      connections.delete(connection);
      events.remove(subscriptions);
      subscriptions.clear();
    });
  }

  function pingConnections(): void {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }

  return {
    dispatcher,
    limits,
    stats: () => ({ wsConnections: connections.size, filters: filters.size }),
    start() {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        http.once("error", onError);
        http.listen(port, host, () => {
          http.off("error", onError);
          http.on("error", (error) => logger.error({ err: error }, "RPC HTTP server error"));
          events.start();
          events.add(filterEvents);
          timers.push(setInterval(() => filters.sweep(), Math.min(limits.filterTimeoutMs, 60_000)).unref());
          timers.push(setInterval(pingConnections, limits.wsPingIntervalMs).unref());
          const address = http.address() as AddressInfo;
          resolve({ host: address.address, port: address.port });
        });
      });
    },
    async close() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      events.stop();
      filters.clear();
      for (const connection of connections) connection.socket.terminate();
      connections.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      if (!http.listening) return;
      await new Promise<void>((resolve, reject) => {
        http.close((error) => (error ? reject(error) : resolve()));
        http.closeAllConnections();
      });
    },
  };
}

/** WebSocket messages arrive as Buffers at the socket boundary; JSON-RPC is text. */
function rawDataToText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}
