import { bytesToHex } from "@charter/utils";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { RPCLog } from "./format.js";
import {
  createFakeChain,
  devWallets,
  type FakeBackend,
  signTx,
  targets,
  transferTopic,
} from "./testing/fakeBackend.js";
import { HTTPClient, type StartedServer, startServer } from "./testing/rpcClient.js";

let backend: FakeBackend;
let started: StartedServer;
let client: HTTPClient;
let now = 1_000_000;
let nonce = 0;
const emitter = bytesToHex(targets.emitter);
const transfer = bytesToHex(transferTopic);
const aliceTopic = `0x${"00".repeat(12)}${devWallets[0].address.toLowerCase().slice(2)}`;
const bobTopic = `0x${"00".repeat(12)}${devWallets[1].address.toLowerCase().slice(2)}`;

/** Commits a block with `count` emitter calls from wallet 1, each producing one log. */
async function commitLogs(count: number): Promise<void> {
  const txs = [];
  for (let i = 0; i < count; i++) {
    txs.push(
      await signTx(devWallets[1], { type: 2, nonce: nonce++, to: emitter, value: 1n, maxFeePerGas: 0n }),
    );
  }
  backend.commit(txs);
}

beforeAll(async () => {
  backend = await createFakeChain();
  started = await startServer(backend, {
    limits: { logsBlockRangeMax: 6, logsResultsMax: 3, filtersMax: 4, filterTimeoutMs: 60_000 },
    clock: { now: () => now },
  });
  client = new HTTPClient(started.httpURL);
});
afterAll(() => started.server.close());

describe("eth_getLogs", () => {
  it("defaults to the latest block", async () => {
    expect(await client.call("eth_getLogs", [{}])).toEqual([]);
  });

  it("returns logs in a range with block-wide log indices", async () => {
    const logs = await client.call<RPCLog[]>("eth_getLogs", [{ fromBlock: "earliest", toBlock: "latest" }]);
    expect(logs.map((l) => [l.blockNumber, l.transactionIndex, l.logIndex])).toEqual([
      ["0x1", "0x0", "0x0"],
      ["0x1", "0x1", "0x1"],
    ]);
    expect(logs[0]).toMatchObject({
      address: emitter,
      removed: false,
      topics: [transfer, aliceTopic, expect.any(String)],
    });
  });

  it("filters by address, topics with nulls and OR-alternatives", async () => {
    const range = { fromBlock: "0x0", toBlock: "0x3" };
    const count = async (filter: object) =>
      (await client.call<RPCLog[]>("eth_getLogs", [{ ...range, ...filter }])).length;
    expect(await count({ address: emitter })).toBe(2);
    expect(
      await count({ address: [bytesToHex(targets.revertString), emitter.toUpperCase().replace("0X", "0x")] }),
    ).toBe(2);
    expect(await count({ address: bytesToHex(targets.revertString) })).toBe(0);
    expect(await count({ topics: [transfer] })).toBe(2);
    expect(await count({ topics: [null, aliceTopic] })).toBe(2);
    expect(await count({ topics: [null, bobTopic] })).toBe(0);
    expect(await count({ topics: [[bobTopic, transfer]] })).toBe(2);
    expect(await count({ topics: [[bobTopic, null]] })).toBe(2);
    expect(await count({ topics: [[]] })).toBe(2);
    expect(await count({ topics: [null, null, null, transfer] })).toBe(0);
  });

  it("selects one block by hash, and fails on unknown hashes", async () => {
    const logs = await client.call<RPCLog[]>("eth_getLogs", [
      { blockHash: bytesToHex(backend.blocks[1]!.hash) },
    ]);
    expect(logs).toHaveLength(2);
    expect(await client.error("eth_getLogs", [{ blockHash: `0x${"42".repeat(32)}` }])).toEqual({
      code: -32000,
      message: "unknown block",
    });
  });

  it("skips blocks whose header bloom cannot match, without reading receipts", async () => {
    const receipts = vi.spyOn(backend, "receiptsByHeight");
    await client.call("eth_getLogs", [
      { fromBlock: "0x0", toBlock: "latest", address: bytesToHex(targets.outOfGas) },
    ]);
    expect(receipts).not.toHaveBeenCalled();
    await client.call("eth_getLogs", [{ fromBlock: "0x0", toBlock: "latest", address: emitter }]);
    expect(receipts).toHaveBeenCalledTimes(1);
    receipts.mockRestore();
  });

  it("answers an empty list for ranges beyond the head, and an error for inverted ranges", async () => {
    expect(await client.call("eth_getLogs", [{ fromBlock: "0x50", toBlock: "0x60" }])).toEqual([]);
    expect(await client.error("eth_getLogs", [{ fromBlock: "0x2", toBlock: "0x1" }])).toEqual({
      code: -32602,
      message: "invalid block range: fromBlock 2 is after toBlock 1",
    });
  });

  it("enforces the block range and result limits", async () => {
    await commitLogs(2);
    backend.commit([]);
    backend.commit([]);
    // Ranges are clamped to the head (6 now) before the limit applies: 0..6 is seven blocks.
    expect(
      await client.call("eth_getLogs", [{ fromBlock: "0x1", toBlock: "0x60", topics: [bobTopic] }]),
    ).toEqual([]);
    expect(await client.error("eth_getLogs", [{ fromBlock: "0x0", toBlock: "0x60" }])).toEqual({
      code: -32005,
      message: "query exceeds max block range 6",
    });
    expect(await client.error("eth_getLogs", [{ fromBlock: "0x1", toBlock: "0x4" }])).toEqual({
      code: -32005,
      message: "query returned more than 3 results",
    });
    expect(
      await client.call<RPCLog[]>("eth_getLogs", [{ fromBlock: "0x2", toBlock: "latest" }]),
    ).toHaveLength(2);
    expect(await client.error("eth_getLogs", [{ fromBlock: "0x1", toBlock: "latest" }])).toMatchObject({
      code: -32005,
    });
  });
});

describe("filters", () => {
  beforeEach(async () => {
    // Expire whatever the previous test left installed, so each test starts under filtersMax.
    now += 120_000;
  });

  it("reports new matching logs once, then nothing", async () => {
    const id = await client.call<string>("eth_newFilter", [{ address: emitter, topics: [transfer] }]);
    expect(id).toMatch(/^0x[0-9a-f]{32}$/);
    expect(await client.call("eth_getFilterChanges", [id])).toEqual([]);
    await commitLogs(1);
    const changes = await client.call<RPCLog[]>("eth_getFilterChanges", [id]);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.blockNumber).toBe(`0x${backend.headHeight().toString(16)}`);
    expect(await client.call("eth_getFilterChanges", [id])).toEqual([]);
    expect(await client.call("eth_uninstallFilter", [id])).toBe(true);
  });

  it("does not report logs that do not match", async () => {
    const id = await client.call<string>("eth_newFilter", [{ topics: [null, aliceTopic] }]);
    await commitLogs(1);
    expect(await client.call("eth_getFilterChanges", [id])).toEqual([]);
  });

  it("returns the whole range with eth_getFilterLogs", async () => {
    const id = await client.call<string>("eth_newFilter", [
      { fromBlock: "0x1", toBlock: "0x2", address: emitter },
    ]);
    expect(await client.call<RPCLog[]>("eth_getFilterLogs", [id])).toHaveLength(2);
  });

  it("hands out many logs over several polls, at block boundaries", async () => {
    const id = await client.call<string>("eth_newFilter", [{}]);
    await commitLogs(2);
    await commitLogs(2);
    await commitLogs(2);
    const first = await client.call<RPCLog[]>("eth_getFilterChanges", [id]);
    const second = await client.call<RPCLog[]>("eth_getFilterChanges", [id]);
    expect(first).toHaveLength(4);
    expect(second).toHaveLength(2);
    expect(new Set([...first, ...second].map((l) => `${l.blockNumber}/${l.logIndex}`)).size).toBe(6);
  });

  it("reports block hashes to block filters", async () => {
    const id = await client.call<string>("eth_newBlockFilter");
    const a = backend.commit([]);
    const b = backend.commit([]);
    expect(await client.call("eth_getFilterChanges", [id])).toEqual([bytesToHex(a.hash), bytesToHex(b.hash)]);
    expect(await client.call("eth_getFilterChanges", [id])).toEqual([]);
    // eth_getFilterLogs is for log filters only.
    expect((await client.error("eth_getFilterLogs", [id])).message).toBe("filter not found");
  });

  it("reports pool admissions to pending-transaction filters", async () => {
    const id = await client.call<string>("eth_newPendingTransactionFilter");
    const tx = await signTx(devWallets[1], { type: 2, nonce, to: emitter, maxFeePerGas: 0n });
    await client.call("eth_sendRawTransaction", [bytesToHex(tx.raw)]);
    expect(await client.call("eth_getFilterChanges", [id])).toEqual([bytesToHex(tx.hash)]);
    expect(await client.call("eth_getFilterChanges", [id])).toEqual([]);
    backend.commit();
    nonce++;
  });

  it("answers -32000 filter not found after uninstall and for unknown ids", async () => {
    const id = await client.call<string>("eth_newBlockFilter");
    expect(await client.call("eth_uninstallFilter", [id])).toBe(true);
    expect(await client.call("eth_uninstallFilter", [id])).toBe(false);
    expect(await client.error("eth_getFilterChanges", [id])).toEqual({
      code: -32000,
      message: "filter not found",
    });
    expect(await client.error("eth_getFilterChanges", ["0x1234"])).toEqual({
      code: -32000,
      message: "filter not found",
    });
  });

  it("expires filters not polled within filterTimeoutMs, and keeps polled ones", async () => {
    const polled = await client.call<string>("eth_newBlockFilter");
    const idle = await client.call<string>("eth_newBlockFilter");
    now += 50_000;
    await client.call("eth_getFilterChanges", [polled]);
    now += 50_000;
    expect(await client.call("eth_getFilterChanges", [polled])).toEqual([]);
    expect(await client.error("eth_getFilterChanges", [idle])).toEqual({
      code: -32000,
      message: "filter not found",
    });
  });

  it("refuses more than filtersMax filters", async () => {
    for (let i = 0; i < 4; i++) await client.call("eth_newBlockFilter");
    const error = await client.error("eth_newBlockFilter");
    expect(error.code).toBe(-32005);
    expect(error.message).toMatch(/too many filters installed \(at most 4\)/);
    // Once the old ones expire there is room again.
    now += 61_000;
    expect(await client.call("eth_newBlockFilter")).toMatch(/^0x/);
  });
});
