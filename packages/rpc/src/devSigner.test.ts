import { bytesToHex } from "@charter/utils";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RPCTransaction } from "./format.js";
import { createFakeChain, devWallets, type FakeBackend, targets } from "./testing/fakeBackend.js";
import { HTTPClient, type StartedServer, startServer } from "./testing/rpcClient.js";

let backend: FakeBackend;
let started: StartedServer;
let client: HTTPClient;

beforeAll(async () => {
  backend = await createFakeChain({ withDevSigner: true });
  started = await startServer(backend);
  client = new HTTPClient(started.httpURL);
});
afterAll(() => started.server.close());

it("lists the dev accounts", async () => {
  expect(await client.call("eth_accounts")).toEqual(devWallets.map((w) => w.address.toLowerCase()));
});

it("signs and submits eth_sendTransaction with the dev key of `from`", async () => {
  const from = devWallets[1].address.toLowerCase();
  const hash = await client.call<string>("eth_sendTransaction", [
    { from, to: bytesToHex(targets.emitter), value: "0x9", input: "0x01" },
  ]);
  const pending = await client.call<RPCTransaction>("eth_getTransactionByHash", [hash]);
  expect(pending).toMatchObject({ from, value: "0x9", input: "0x01", blockNumber: null, nonce: "0x0" });
  // The next one takes the next pending nonce.
  const second = await client.call<string>("eth_sendTransaction", [
    { from, to: bytesToHex(targets.emitter) },
  ]);
  expect((await client.call<RPCTransaction>("eth_getTransactionByHash", [second])).nonce).toBe("0x1");
  expect(backend.pool.size).toBe(2);
});

it("requires `from` and refuses accounts it holds no key for", async () => {
  expect(await client.error("eth_sendTransaction", [{ to: bytesToHex(targets.emitter) }])).toEqual({
    code: -32602,
    message: 'invalid argument 0: field "from" is required',
  });
  expect(await client.error("eth_sendTransaction", [{ from: `0x${"12".repeat(20)}` }])).toEqual({
    code: -32000,
    message: "unknown account",
  });
});
