import { Agent, request } from "node:http";
import WebSocket from "ws";

/** A minimal JSON-RPC client for the benchmark: keep-alive HTTP with batches, and a WebSocket for newHeads. */
export class BenchRPC {
  readonly #url: string;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 16 });
  #id = 0;

  constructor(url: string) {
    this.#url = url;
  }

  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const [result] = await this.batch([{ method, params }]);
    if (result!.error) throw new Error(`${method}: ${result!.error.message}`);
    return result!.result as T;
  }

  /** Sends one JSON-RPC batch and returns the responses in request order. */
  async batch(
    calls: readonly { method: string; params: unknown[] }[],
  ): Promise<{ result?: unknown; error?: { code: number; message: string } }[]> {
    const body = calls.map((c) => ({ jsonrpc: "2.0", id: ++this.#id, method: c.method, params: c.params }));
    const payload = JSON.stringify(body);
    let text: string;
    try {
      text = await this.#post(payload);
    } catch (error) {
      // A kept-alive socket the server closed a moment ago fails on reuse (and after an idle spell every pooled
      // socket is such a one); one retry on a new connection is safe, since a transaction the node already took
      // is answered "already known".
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ECONNRESET" && code !== "EPIPE") throw error;
      text = await this.#post(payload, { fresh: true });
    }
    const parsed = JSON.parse(text) as
      | { id: number; result?: unknown; error?: { code: number; message: string } }[]
      | { error: { code: number; message: string } };
    if (!Array.isArray(parsed)) throw new Error(`batch refused: ${parsed.error.message}`);
    const byId = new Map(parsed.map((r) => [r.id, r]));
    return body.map((b) => byId.get(b.id) ?? { error: { code: -1, message: "missing response" } });
  }

  async close(): Promise<void> {
    this.#agent.destroy();
  }

  #post(body: string, options: { fresh?: boolean } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        this.#url,
        {
          method: "POST",
          agent: options.fresh ? false : this.#agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(Buffer.concat(chunks).toString()));
          res.on("error", reject);
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error("JSON-RPC request timed out")));
      req.on("error", reject);
      req.end(body);
    });
  }
}

/** Calls `onHead(blockNumber, receivedAtMs)` for each new head the node announces. */
export function subscribeHeads(
  wsUrl: string,
  onHead: (height: number, atMs: number) => void,
): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl);
    socket.once("error", reject);
    socket.once("open", () => {
      socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
    });
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as {
        id?: number;
        error?: { message: string };
        params?: { result?: { number?: string } };
      };
      if (message.id === 1) {
        if (message.error) reject(new Error(message.error.message));
        else resolve({ close: () => socket.close() });
        return;
      }
      const number = message.params?.result?.number;
      if (number) onHead(Number(number), performance.now());
    });
  });
}
