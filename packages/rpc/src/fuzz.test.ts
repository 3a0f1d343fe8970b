import { bytesToHex } from "@charter/utils";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomId } from "./ids.js";
import { resolveRPCLimits } from "./limits.js";
import type { Session } from "./method.js";
import { ethereumMethods } from "./methods/index.js";
import { SubscriptionSet } from "./subscriptions.js";
import { createFakeChain, type FakeBackend, targets } from "./testing/fakeBackend.js";
import { rawHTTP, type StartedServer, startServer } from "./testing/rpcClient.js";

/**
 * Random requests to every method never crash the server and always get a well-formed JSON-RPC answer. No input
 * may produce -32603: that code means a handler met something its parsers let through, which is a bug.
 */

let backend: FakeBackend;
let started: StartedServer;
let wsSession: Session;

beforeAll(async () => {
  backend = await createFakeChain({ withDevSigner: true });
  started = await startServer(backend);
  wsSession = {
    transport: "ws",
    subscriptions: new SubscriptionSet({
      backend,
      limits: resolveRPCLimits(),
      newId: randomId,
      send: () => {},
    }),
  };
  const hashes = backend.blocks.flatMap((b) => [
    bytesToHex(b.hash),
    ...b.block.transactions.map((tx) => bytesToHex(tx.hash)),
  ]);
  envelope = arbitraries(hashes).envelope;
});
afterAll(() => started.server.close());

const methodNames = Object.keys(ethereumMethods);

/** Request arbitraries, built once the chain exists so that real block and transaction hashes show up. */
function arbitraries(hashes: readonly string[]) {
  const hexString = fc.oneof(
    fc.uint8Array({ maxLength: 40 }).map((bytes) => bytesToHex(bytes)),
    fc
      .constantFrom(20, 32)
      .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => bytesToHex(b))),
    fc.stringMatching(/^0x[0-9a-fA-F]{0,70}$/),
    fc.stringMatching(/^(0x)?[0-9a-zA-Z]{0,12}$/),
  );
  const knownValue = fc.oneof(
    hexString,
    fc.constantFrom(
      "latest",
      "earliest",
      "pending",
      "safe",
      "finalized",
      "0x0",
      "0x1",
      "0x3",
      "0xffffffffffffffff",
      "0x00",
      "0x",
    ),
    fc.constantFrom(...Object.values(targets).map((t) => bytesToHex(t))),
    fc.constantFrom(...hashes),
  );
  const leaf = fc.oneof(
    knownValue,
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.constant(null),
    fc.string({ maxLength: 8 }),
  );
  const param: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small" }, leaf, tie("array"), tie("object")),
    array: fc.array(tie("value"), { maxLength: 4 }),
    object: fc.dictionary(fc.constantFrom(...fieldNames), fc.oneof(knownValue, tie("value")), { maxKeys: 5 }),
  })).value;
  // Values that parse for each parameter name, so that handlers run with valid but extreme inputs.
  const address = fc.oneof(
    fc.constantFrom(...Object.values(targets).map((t) => bytesToHex(t))),
    fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => bytesToHex(b)),
  );
  const hash = fc.oneof(
    fc.constantFrom(...hashes),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bytesToHex(b)),
  );
  const number = fc.oneof(
    fc.constantFrom("0x0", "0x1", "0x3", "0x4", "0xffffffffffffffff"),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n) => `0x${n.toString(16)}`),
  );
  const tag = fc.constantFrom("latest", "earliest", "pending", "safe", "finalized");
  const block = fc.oneof(
    tag,
    number,
    hash,
    hash.map((blockHash) => ({ blockHash })),
    number.map((blockNumber) => ({ blockNumber })),
  );
  const quantity = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }).map((n) => `0x${n.toString(16)}`);
  const data = fc.uint8Array({ maxLength: 64 }).map((b) => bytesToHex(b));
  const topics = fc.array(
    fc.oneof(fc.constant(null), hash, fc.array(fc.oneof(hash, fc.constant(null)), { maxLength: 3 })),
    { maxLength: 4 },
  );
  const logFilter = fc.record(
    {
      fromBlock: fc.oneof(tag, number),
      toBlock: fc.oneof(tag, number),
      address: fc.oneof(address, fc.array(address, { maxLength: 3 })),
      topics,
    },
    { requiredKeys: [] },
  );
  const call = fc.record(
    {
      from: address,
      to: address,
      gas: number,
      value: quantity,
      input: data,
      nonce: number,
      maxFeePerGas: quantity,
      chainId: fc.constantFrom("0x7cff", "0x1"),
    },
    { requiredKeys: [] },
  );
  const byName: Record<string, fc.Arbitrary<unknown>> = {
    address,
    block,
    newestBlock: fc.oneof(tag, number),
    blockHash: hash,
    transactionHash: hash,
    fullTransactions: fc.boolean(),
    index: number,
    slot: fc.oneof(number, hash),
    storageKeys: fc.array(fc.oneof(number, hash), { maxLength: 3 }),
    transaction: call,
    data,
    filter: fc.oneof(
      logFilter,
      hash.map((blockHash) => ({ blockHash })),
    ),
    filterId: fc.oneof(hash, fc.constant("0x1")),
    subscriptionId: fc.oneof(hash, fc.constant("0x1")),
    subscription: fc.constantFrom("newHeads", "logs", "newPendingTransactions"),
    options: fc.oneof(fc.boolean(), logFilter),
    blockCount: fc.oneof(number, fc.nat()),
    rewardPercentiles: fc
      .array(fc.double({ min: 0, max: 100, noNaN: true }), { maxLength: 4 })
      .map((a) => a.sort((x, y) => x - y)),
    stateOverrides: fc.constant({}),
    blockOverrides: fc.constant({}),
  };
  const wellFormed = fc.constantFrom(...methodNames).chain((method) => {
    const declared = ethereumMethods[method as keyof typeof ethereumMethods].params;
    const params = declared.map((p) =>
      fc.oneof({ weight: 5, arbitrary: byName[p.name] ?? param }, { weight: 1, arbitrary: param }),
    );
    return fc.record({
      jsonrpc: fc.constant("2.0"),
      id: fc.nat(),
      method: fc.constant(method),
      params: fc
        .tuple(...params)
        .chain((all) => fc.nat({ max: all.length }).map((n) => all.slice(0, Math.max(n, all.length - 1)))),
    });
  });
  const odd = fc.record(
    {
      jsonrpc: fc.constantFrom("2.0", "1.0", 2),
      id: fc.oneof(fc.integer(), fc.string({ maxLength: 6 }), fc.constant(null), fc.constant({})),
      method: fc.oneof(fc.constantFrom(...methodNames), fc.string({ maxLength: 10 })),
      params: fc.oneof(fc.array(param, { maxLength: 5 }), param),
    },
    { requiredKeys: ["method"] },
  );
  const envelope = fc.oneof({ weight: 4, arbitrary: wellFormed }, { weight: 1, arbitrary: odd });
  return { envelope };
}

const fieldNames = [
  "from",
  "to",
  "gas",
  "gasPrice",
  "maxFeePerGas",
  "maxPriorityFeePerGas",
  "value",
  "data",
  "input",
  "nonce",
  "accessList",
  "type",
  "chainId",
  "fromBlock",
  "toBlock",
  "blockHash",
  "blockNumber",
  "requireCanonical",
  "address",
  "topics",
  "storageKeys",
];

let envelope: ReturnType<typeof arbitraries>["envelope"];

function checkResponse(request: unknown, text: string | undefined): void {
  if (text === undefined) {
    // Only notifications (requests without an id) go unanswered.
    const requests = Array.isArray(request) ? request : [request];
    for (const r of requests) expect(typeof r === "object" && r !== null && !("id" in r)).toBe(true);
    return;
  }
  const parsed: unknown = JSON.parse(text);
  for (const response of Array.isArray(parsed) ? parsed : [parsed]) {
    expect(response.jsonrpc).toBe("2.0");
    expect("id" in response).toBe(true);
    expect("result" in response !== "error" in response).toBe(true);
    if ("error" in response) {
      expect(Number.isInteger(response.error.code)).toBe(true);
      expect(typeof response.error.message).toBe("string");
      expect(
        response.error.code,
        `${JSON.stringify(request).slice(0, 300)} → ${response.error.message}`,
      ).not.toBe(-32603);
    }
  }
}

describe("fuzzing the dispatcher", () => {
  it("answers random envelopes to every method, over HTTP and WebSocket sessions", async () => {
    await fc.assert(
      fc.asyncProperty(envelope, fc.boolean(), async (request, ws) => {
        const text = await started.server.dispatcher.handleText(
          JSON.stringify(request),
          ws ? wsSession : { transport: "http" },
        );
        checkResponse(request, text);
      }),
      { numRuns: 1200 },
    );
  });

  it("answers random JSON documents and batches", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.array(envelope, { maxLength: 4 })), async (request) => {
        checkResponse(
          request,
          await started.server.dispatcher.handleText(JSON.stringify(request), { transport: "http" }),
        );
      }),
      { numRuns: 400 },
    );
  });

  it("answers random bytes with a parse error or a response", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), async (text) => {
        const answer = await started.server.dispatcher.handleText(text, { transport: "http" });
        if (answer !== undefined) expect(() => JSON.parse(answer)).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  it("keeps answering over a real socket", async () => {
    await fc.assert(
      fc.asyncProperty(envelope, async (request) => {
        const response = await rawHTTP(started.httpURL, { body: JSON.stringify(request) });
        expect([200, 204]).toContain(response.status);
        checkResponse(request, response.status === 204 ? undefined : response.text);
      }),
      { numRuns: 200 },
    );
    expect(backend.headHeight()).toBe(3);
  });
});
