import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeChain, type FakeBackend } from "./testing/fakeBackend.js";
import {
  HTTPClient,
  type RPCResponseBody,
  rawHTTP,
  type StartedServer,
  startServer,
} from "./testing/rpcClient.js";

let backend: FakeBackend;
let started: StartedServer;
let client: HTTPClient;

beforeAll(async () => {
  backend = await createFakeChain();
  started = await startServer(backend, {
    limits: { bodyBytesMax: 4096, batchSizeMax: 5, batchResponseBytesMax: 2000 },
    cors: { allowedOrigins: ["https://console.example"] },
  });
  client = new HTTPClient(started.httpURL);
});
afterAll(() => started.server.close());

describe("JSON-RPC envelope", () => {
  it("answers malformed JSON with -32700 and id null", async () => {
    const response = (await client.post('{"jsonrpc":"2.0","id":1,"method":')) as RPCResponseBody;
    expect(response.id).toBeNull();
    expect(response.error?.code).toBe(-32700);
    expect(response.error?.message).toMatch(/^parse error/);
  });

  it("answers invalid envelopes with -32600", async () => {
    const cases: [unknown, RPCResponseBody["id"]][] = [
      [{ jsonrpc: "1.0", id: 1, method: "eth_chainId" }, 1],
      [{ id: 2, method: "eth_chainId" }, 2],
      [{ jsonrpc: "2.0", id: 3 }, 3],
      [{ jsonrpc: "2.0", id: 4, method: 7 }, 4],
      [{ jsonrpc: "2.0", id: { nested: true }, method: "eth_chainId" }, null],
      [42, null],
      [JSON.stringify("eth_chainId"), null],
    ];
    for (const [body, id] of cases) {
      const response = (await client.post(body)) as RPCResponseBody;
      expect(response.error?.code, JSON.stringify(body)).toBe(-32600);
      expect(response.id).toBe(id);
    }
  });

  it("answers non-array params with -32602", async () => {
    const response = (await client.post({
      jsonrpc: "2.0",
      id: 1,
      method: "eth_getBalance",
      params: { a: 1 },
    })) as RPCResponseBody;
    expect(response.error?.code).toBe(-32602);
  });

  it("echoes string, number and null ids", async () => {
    for (const id of ["abc", 7, null, 1.5]) {
      const response = (await client.post({ jsonrpc: "2.0", id, method: "eth_chainId" })) as RPCResponseBody;
      expect(response).toEqual({ jsonrpc: "2.0", id, result: "0x7cff" });
    }
  });

  it("answers unknown methods with -32601 in the wording ethers matches", async () => {
    const error = await client.error("eth_fillTransaction", [{}]);
    expect(error).toEqual({
      code: -32601,
      message: "the method eth_fillTransaction does not exist/is not available",
    });
    expect(error.message).toMatch(/the method .* does not exist/);
  });

  it("runs notifications without answering them", async () => {
    const signedBefore = backend.pool.size;
    const response = await rawHTTP(started.httpURL, {
      body: JSON.stringify({ jsonrpc: "2.0", method: "eth_chainId" }),
    });
    expect(response.status).toBe(204);
    expect(response.text).toBe("");
    expect(backend.pool.size).toBe(signedBefore);
  });
});

describe("batches", () => {
  it("answers each request by id, in request order, skipping notifications", async () => {
    const response = (await client.post([
      { jsonrpc: "2.0", id: "b", method: "eth_blockNumber" },
      { jsonrpc: "2.0", method: "eth_chainId" },
      { jsonrpc: "2.0", id: "a", method: "eth_chainId" },
      { jsonrpc: "2.0", id: 3, method: "nope" },
      { jsonrpc: "2.0", id: 4, method: "eth_getBalance", params: ["0x1"] },
    ])) as RPCResponseBody[];
    expect(response.map((r) => r.id)).toEqual(["b", "a", 3, 4]);
    expect(response[0]?.result).toBe("0x3");
    expect(response[1]?.result).toBe("0x7cff");
    expect(response[2]?.error?.code).toBe(-32601);
    expect(response[3]?.error?.code).toBe(-32602);
  });

  it("answers an empty batch with one -32600 error", async () => {
    expect(await client.post([])).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, message: "invalid request: empty batch" },
    });
  });

  it("answers invalid batch members individually", async () => {
    const response = (await client.post([
      1,
      { jsonrpc: "2.0", id: 9, method: "eth_chainId" },
    ])) as RPCResponseBody[];
    expect(response[0]).toMatchObject({ id: null, error: { code: -32600 } });
    expect(response[1]).toMatchObject({ id: 9, result: "0x7cff" });
  });

  it("answers a batch over batchSizeMax with one -32005 error", async () => {
    const batch = Array.from({ length: 6 }, (_, id) => ({ jsonrpc: "2.0", id, method: "eth_chainId" }));
    const response = (await client.post(batch)) as RPCResponseBody;
    expect(response.id).toBeNull();
    expect(response.error?.code).toBe(-32005);
    expect(response.error?.message).toMatch(/batch of 6 requests exceeds the limit of 5/);
    expect(await client.call("eth_chainId")).toBe("0x7cff");
  });

  it("stops filling a batch response past batchResponseBytesMax", async () => {
    const batch = Array.from({ length: 5 }, (_, id) => ({
      jsonrpc: "2.0",
      id,
      method: "eth_getBlockByNumber",
      params: ["0x1", true],
    }));
    const response = (await client.post(batch)) as RPCResponseBody[];
    expect(response).toHaveLength(5);
    expect(response[0]?.result).toBeTruthy();
    expect(response[4]?.error).toEqual({ code: -32005, message: "response too large" });
  });
});

describe("HTTP limits and methods", () => {
  it("refuses a declared oversized body with 413 and a -32005 body, without reading it", async () => {
    const response = await rawHTTP(started.httpURL, { body: "x".repeat(5000) });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.text)).toMatchObject({ id: null, error: { code: -32005 } });
    expect(await client.call("eth_chainId")).toBe("0x7cff");
  });

  it("refuses a chunked upload once it passes the limit", async () => {
    const { port } = new URL(started.httpURL);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1");
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString("utf8");
      });
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
      socket.write(
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n",
      );
      const chunk = "y".repeat(1000);
      // Keeps sending well past the limit; the server must answer 413 after about 4 KiB and close.
      for (let i = 0; i < 20; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    });
    expect(answer).toMatch(/^HTTP\/1.1 413/);
    expect(answer).toContain('"code":-32005');
  });

  it("answers non-POST methods with 405", async () => {
    const response = await rawHTTP(started.httpURL, { method: "GET" });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe("POST, OPTIONS");
    expect(JSON.parse(response.text).error.code).toBe(-32600);
  });

  it("answers CORS preflights for allowed origins", async () => {
    const response = await rawHTTP(started.httpURL, {
      method: "OPTIONS",
      headers: {
        Origin: "https://console.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers["access-control-allow-origin"]).toBe("https://console.example");
    expect(response.headers["access-control-allow-methods"]).toBe("POST, OPTIONS");
    expect(response.headers["access-control-allow-headers"]).toBe("content-type");
  });

  it("sets no CORS header for other origins", async () => {
    const response = await rawHTTP(started.httpURL, {
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId" }),
      headers: { Origin: "https://evil.example" },
    });
    expect(response.status).toBe(200);
    expect(response.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("allows every origin by default", async () => {
    const open = await startServer(backend);
    try {
      const response = await rawHTTP(open.httpURL, {
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId" }),
        headers: { Origin: "https://anything.example" },
      });
      expect(response.headers["access-control-allow-origin"]).toBe("*");
    } finally {
      await open.server.close();
    }
  });
});
