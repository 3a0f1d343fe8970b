/** Small JSON-RPC clients over real sockets, for the RPC package's own tests. */
import { request as httpRequest } from "node:http";
import { WebSocket } from "ws";
import type { RPCBackend } from "../backend.js";
import { createRPCServer, type RPCServer, type RPCServerOptions } from "../server.js";

export interface RPCErrorBody {
  code: number;
  message: string;
  data?: unknown;
}

export interface RPCResponseBody {
  jsonrpc: "2.0";
  id: string | number | null;
  result?: unknown;
  error?: RPCErrorBody;
}

export interface RawHTTPResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** POSTs (or sends any method) with exact control over the body and headers. */
export function rawHTTP(
  url: string,
  options: { method?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<RawHTTPResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? "POST", headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export class HTTPClient {
  readonly url: string;
  #id = 1;
  constructor(url: string) {
    this.url = url;
  }

  /** Sends a raw body and parses the JSON answer. */
  async post(body: unknown): Promise<unknown> {
    const response = await rawHTTP(this.url, {
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { "Content-Type": "application/json" },
    });
    return response.text === "" ? undefined : JSON.parse(response.text);
  }

  async send(method: string, params: unknown[] = []): Promise<RPCResponseBody> {
    return (await this.post({ jsonrpc: "2.0", id: this.#id++, method, params })) as RPCResponseBody;
  }

  /** The result, or throws with the error's code and message. */
  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const response = await this.send(method, params);
    if (response.error !== undefined) {
      throw new Error(`${method} failed: ${response.error.code} ${response.error.message}`);
    }
    return response.result as T;
  }

  async error(method: string, params: unknown[] = []): Promise<RPCErrorBody> {
    const response = await this.send(method, params);
    if (response.error === undefined)
      throw new Error(`${method} did not fail: ${JSON.stringify(response.result)}`);
    return response.error;
  }
}

export interface Notification {
  subscription: string;
  result: unknown;
}

/** A WebSocket JSON-RPC client that keeps every notification it receives. */
export class WSClient {
  readonly socket: WebSocket;
  readonly notifications: Notification[] = [];
  readonly #waiting = new Map<number, (response: RPCResponseBody) => void>();
  readonly #notificationWaiters: (() => void)[] = [];
  #id = 1;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString("utf8")) as RPCResponseBody & {
        method?: string;
        params?: Notification;
      };
      if (message.method === "eth_subscription" && message.params !== undefined) {
        this.notifications.push(message.params);
        for (const wake of this.#notificationWaiters.splice(0)) wake();
        return;
      }
      if (typeof message.id === "number") this.#waiting.get(message.id)?.(message);
    });
  }

  static open(url: string): Promise<WSClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once("open", () => resolve(new WSClient(socket)));
      socket.once("error", reject);
      socket.once("unexpected-response", (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
    });
  }

  send(method: string, params: unknown[] = []): Promise<RPCResponseBody> {
    const id = this.#id++;
    return new Promise((resolve) => {
      this.#waiting.set(id, (response) => {
        this.#waiting.delete(id);
        resolve(response);
      });
      this.socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const response = await this.send(method, params);
    if (response.error !== undefined) {
      throw new Error(`${method} failed: ${response.error.code} ${response.error.message}`);
    }
    return response.result as T;
  }

  /** Resolves once at least `count` notifications have arrived (or fails after `timeoutMs`). */
  async waitForNotifications(count: number, timeoutMs = 2000): Promise<Notification[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.notifications.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} notifications, got ${this.notifications.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#notificationWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.notifications;
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close();
    });
  }
}

export interface StartedServer {
  server: RPCServer;
  httpURL: string;
  wsURL: string;
}

/** Starts a server on a free port of 127.0.0.1. */
export async function startServer(
  backend: RPCBackend,
  options: Omit<RPCServerOptions, "backend" | "port" | "host"> = {},
): Promise<StartedServer> {
  const server = createRPCServer({ backend, host: "127.0.0.1", port: 0, ...options });
  const { port } = await server.start();
  return { server, httpURL: `http://127.0.0.1:${port}`, wsURL: `ws://127.0.0.1:${port}` };
}
