import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { request } from "node:http";
import {
  createTestNetwork,
  devPrivateKeysHex,
  type JSONRPCResponseBody,
  type NodeProcess,
  postJSON,
  rpcCall,
  rpcRequest,
  startNodeProcess,
  type TestNetwork,
  waitFor,
} from "@charter/testing";
import {
  type BaseWallet,
  decodeRlp,
  encodeRlp,
  hexlify,
  keccak256,
  Transaction,
  type TransactionLike,
  Wallet,
} from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

/**
 * Bad input against a real node, over raw HTTP and a raw WebSocket: every malformed request or transaction gets its
 * specific JSON-RPC error (the verbatim strings ethers and viem match), limits answer -32005, and afterwards the node
 * still serves and keeps producing blocks. Nothing here may reach the node's "internal error" path.
 */

const CHAIN_ID = 7345;
/** secp256k1 group order. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

let node: NodeProcess;
let network: TestNetwork;
const keys = devPrivateKeysHex(14);
const sender = new Wallet(keys[11]!);
const queuedSender = new Wallet(keys[12]!);
const unfunded = Wallet.createRandom();

beforeAll(async () => {
  network = await createTestNetwork({ blockIntervalMs: 200 });
  node = await startNodeProcess(network.layout.nodes[0]!.configFile);
});

afterAll(async () => {
  await node?.stop();
  if (network) rmSync(network.layout.dir, { recursive: true, force: true });
});

function errorOf(response: unknown): { code: number; message: string } {
  const body = response as JSONRPCResponseBody;
  if (!body?.error)
    throw new Error(`expected a JSON-RPC error, got ${JSON.stringify(response).slice(0, 300)}`);
  return body.error;
}

async function pendingNonce(address: string): Promise<number> {
  return Number(await rpcCall<string>(node.rpcUrl, "eth_getTransactionCount", [address, "pending"]));
}

async function sign(wallet: BaseWallet, tx: TransactionLike): Promise<string> {
  const fees = tx.type === 0 ? { gasPrice: 0n } : { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n };
  return wallet.signTransaction({
    chainId: CHAIN_ID,
    type: 2,
    to: Wallet.createRandom().address,
    value: 1n,
    gasLimit: 21_000n,
    ...fees,
    ...tx,
  });
}

/**
 * Signs a type-2 transaction from raw field values, for transactions that ethers refuses to build (a tip above
 * the fee cap). Returns the EIP-2718 encoding.
 */
function signType2Unchecked(
  wallet: BaseWallet,
  fields: { nonce: bigint; maxPriorityFeePerGas: bigint; maxFeePerGas: bigint; gasLimit: bigint },
): string {
  const body = [
    toMinimalHex(BigInt(CHAIN_ID)),
    toMinimalHex(fields.nonce),
    toMinimalHex(fields.maxPriorityFeePerGas),
    toMinimalHex(fields.maxFeePerGas),
    toMinimalHex(fields.gasLimit),
    Wallet.createRandom().address,
    "0x01",
    "0x",
    [],
  ];
  const signature = wallet.signingKey.sign(keccak256(`0x02${encodeRlp(body).slice(2)}`));
  // r and s are RLP integers: minimal, without the leading zero bytes a 32-byte value has one time in 256.
  const signed = [
    ...body,
    signature.yParity === 0 ? "0x" : "0x01",
    toMinimalHex(BigInt(signature.r)),
    toMinimalHex(BigInt(signature.s)),
  ];
  return `0x02${encodeRlp(signed).slice(2)}`;
}

async function sendRaw(raw: string): Promise<JSONRPCResponseBody> {
  return rpcRequest(node.rpcUrl, "eth_sendRawTransaction", [raw]);
}

async function expectSendError(raw: string, code: number, message: string | RegExp): Promise<void> {
  const error = errorOf(await sendRaw(raw));
  expect(error.code).toBe(code);
  if (typeof message === "string") expect(error.message).toContain(message);
  else expect(error.message).toMatch(message);
}

async function waitMined(hash: string): Promise<{ blockNumber: string; status: string }> {
  return waitFor(`receipt of ${hash}`, () =>
    rpcCall<{ blockNumber: string; status: string } | null>(node.rpcUrl, "eth_getTransactionReceipt", [
      hash,
    ]).then((r) => r ?? undefined),
  );
}

describe("malformed JSON-RPC over HTTP", () => {
  it("answers malformed JSON with -32700", async () => {
    const { status, json } = await postJSON(node.rpcUrl, '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"');
    expect(status).toBe(200);
    expect(json).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700 } });
  });

  it("answers bad envelopes with -32600", async () => {
    const noMethod = await postJSON(node.rpcUrl, JSON.stringify({ jsonrpc: "2.0", id: 7 }));
    expect(noMethod.json).toMatchObject({ id: 7, error: { code: -32600 } });
    const wrongVersion = await postJSON(
      node.rpcUrl,
      JSON.stringify({ jsonrpc: "1.0", id: 8, method: "eth_chainId" }),
    );
    expect(wrongVersion.json).toMatchObject({ id: 8, error: { code: -32600 } });
    const notAnObject = await postJSON(node.rpcUrl, "42");
    expect(notAnObject.json).toMatchObject({ id: null, error: { code: -32600 } });
  });

  it("answers wrong parameters with -32602 and says which argument is wrong", async () => {
    const badAddress = errorOf(await rpcRequest(node.rpcUrl, "eth_getBalance", ["0x1234", "latest"]));
    expect(badAddress.code).toBe(-32602);
    expect(badAddress.message).toMatch(/^invalid argument 0: .*length/);
    const missing = errorOf(await rpcRequest(node.rpcUrl, "eth_getBalance", []));
    expect(missing).toEqual({ code: -32602, message: "missing value for required argument 0 (address)" });
    const badTag = errorOf(await rpcRequest(node.rpcUrl, "eth_getBalance", [sender.address, "latestt"]));
    expect(badTag.code).toBe(-32602);
    expect(badTag.message).toMatch(/^invalid argument 1: /);
    const tooMany = errorOf(await rpcRequest(node.rpcUrl, "eth_blockNumber", [1]));
    expect(tooMany.code).toBe(-32602);
    expect(tooMany.message).toContain("too many arguments");
    const notHex = errorOf(await rpcRequest(node.rpcUrl, "eth_getBlockByNumber", ["12", false]));
    expect(notHex.code).toBe(-32602);
    const objectParams = await postJSON(
      node.rpcUrl,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 3,
        method: "eth_getBalance",
        params: { address: sender.address },
      }),
    );
    expect(objectParams.json).toMatchObject({ id: 3, error: { code: -32602 } });
  });

  it("answers an unknown method with -32601 'does not exist'", async () => {
    const error = errorOf(await rpcRequest(node.rpcUrl, "eth_doesNotExist", []));
    expect(error.code).toBe(-32601);
    expect(error.message).toBe("the method eth_doesNotExist does not exist/is not available");
  });

  it("refuses a body over 5 MiB with HTTP 413 / -32005 and keeps serving", async () => {
    const huge = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "eth_call",
      params: [{ data: `0x${"00".repeat(3 * 1024 * 1024)}` }],
    });
    expect(huge.length).toBeGreaterThan(5 * 1024 * 1024);
    const { status, json } = await postJSON(node.rpcUrl, huge);
    expect(status).toBe(413);
    expect(errorOf(json).code).toBe(-32005);
    // node:http, which ethers' FetchRequest uses, sees the 413 too (not EPIPE while still uploading).
    const viaHTTP = await postWithNodeHTTP(node.rpcUrl, Buffer.from(huge));
    expect(viaHTTP.status).toBe(413);
    expect(errorOf(JSON.parse(viaHTTP.text)).code).toBe(-32005);
    expect(Number(await rpcCall<string>(node.rpcUrl, "eth_blockNumber"))).toBeGreaterThanOrEqual(0);
  });

  it("answers a batch over 1000 requests with -32005 and an empty batch with -32600", async () => {
    const batch = Array.from({ length: 1001 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "eth_chainId" }));
    const over = await postJSON(node.rpcUrl, JSON.stringify(batch));
    expect(errorOf(over.json).code).toBe(-32005);
    const atLimit = await postJSON(node.rpcUrl, JSON.stringify(batch.slice(0, 1000)));
    expect(Array.isArray(atLimit.json) && atLimit.json.length).toBe(1000);
    const empty = await postJSON(node.rpcUrl, "[]");
    expect(errorOf(empty.json).code).toBe(-32600);
    // One bad item does not spoil the rest of a batch.
    const mixed = await postJSON(
      node.rpcUrl,
      JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "eth_chainId" },
        5,
        { jsonrpc: "2.0", id: 2, method: "nope" },
      ]),
    );
    expect(mixed.json).toEqual([
      { jsonrpc: "2.0", id: 1, result: `0x${CHAIN_ID.toString(16)}` },
      { jsonrpc: "2.0", id: null, error: expect.objectContaining({ code: -32600 }) },
      { jsonrpc: "2.0", id: 2, error: expect.objectContaining({ code: -32601 }) },
    ]);
  });
});

describe("bad transactions over eth_sendRawTransaction", () => {
  it("rejects garbage, unknown types and truncated encodings with a decoding error", async () => {
    const valid = await sign(sender, { nonce: 0 });
    const cases: [string, RegExp][] = [
      [hexlify(randomBytes(100)), /not valid RLP|Malformed|^transaction type not valid/],
      [`0xf8ff${hexlify(randomBytes(60)).slice(2)}`, /not valid RLP/],
      [`0x01${hexlify(randomBytes(60)).slice(2)}`, /Malformed|not valid RLP/],
      [`0x04${encodeRlp([]).slice(2)}`, /^transaction type not valid$/],
      [`0x03${encodeRlp(["0x01"]).slice(2)}`, /^transaction type not valid$/],
      ["0x7f01", /^transaction type not valid$/],
      ["0x", /^transaction type not valid$/],
      [valid.slice(0, valid.length - 20), /not valid RLP/],
      [`${valid}00`, /trailing bytes/],
      ["0xc0", /Malformed legacy transaction: expected a list of 9 items/],
    ];
    for (const [raw, message] of cases) {
      const error = errorOf(await sendRaw(raw));
      expect({ raw: raw.slice(0, 20), code: error.code }).toEqual({ raw: raw.slice(0, 20), code: -32000 });
      expect(error.message).toMatch(message);
      expect(error.message).not.toBe("internal error");
    }
    const notHex = errorOf(await sendRaw("0xzz"));
    expect(notHex.code).toBe(-32602);
  });

  it("rejects a transaction signed for another chain", async () => {
    const raw = await sign(sender, { nonce: 0, chainId: 1 });
    await expectSendError(raw, -32000, /^invalid chain id for signer/);
    const legacy = await sign(sender, { nonce: 0, chainId: 1, type: 0, gasPrice: 0n });
    await expectSendError(legacy, -32000, /^invalid chain id for signer/);
  });

  it("rejects a high-s signature", async () => {
    const valid = await sign(sender, { nonce: 0 });
    const fields = decodeRlp(`0x${valid.slice(4)}`) as string[];
    const yParity = BigInt(fields[9] === "0x" ? 0 : fields[9]!);
    const s = BigInt(fields[11]!);
    const malleated = [
      ...fields.slice(0, 9),
      yParity === 0n ? "0x01" : "0x",
      fields[10]!,
      toMinimalHex(SECP256K1_N - s),
    ];
    const raw = `0x02${encodeRlp(malleated).slice(2)}`;
    // The same transaction with (r, n - s, !yParity) recovers the same sender: only the low-s rule stops it.
    expect(Transaction.from(valid).from).toBe(sender.address);
    await expectSendError(raw, -32000, /^invalid transaction v, r, s values/);
  });

  it("rejects an unprotected legacy transaction (v = 27/28)", async () => {
    const tx = Transaction.from({
      type: 0,
      nonce: await pendingNonce(sender.address),
      gasLimit: 21_000n,
      gasPrice: 0n,
      to: Wallet.createRandom().address,
      value: 1n,
    });
    tx.signature = sender.signingKey.sign(tx.unsignedHash);
    const raw = tx.serialized;
    const v = Number((decodeRlp(raw) as string[])[6]);
    expect([27, 28]).toContain(v);
    await expectSendError(raw, -32000, "only replay-protected (EIP-155) transactions allowed over RPC");
  });

  it("rejects intrinsic gas too low and a tip above the fee cap", async () => {
    const nonce = await pendingNonce(sender.address);
    await expectSendError(await sign(sender, { nonce, gasLimit: 20_000n }), -32000, /^intrinsic gas too low/);
    await expectSendError(
      signType2Unchecked(sender, {
        nonce: BigInt(nonce),
        maxFeePerGas: 1n,
        maxPriorityFeePerGas: 2n,
        gasLimit: 21_000n,
      }),
      -32000,
      /^max priority fee per gas higher than max fee per gas/,
    );
  });

  it("rejects insufficient funds when the gas price is not zero", async () => {
    await expectSendError(
      await sign(unfunded, { nonce: 0, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 0n, value: 0n }),
      -32000,
      /^insufficient funds for gas \* price \+ value/,
    );
  });

  it("rejects nonce too low, a nonce gap beyond the limit, and a transaction it already has", async () => {
    const nonce = await pendingNonce(sender.address);
    const first = await sendRaw(await sign(sender, { nonce }));
    expect(first.error).toBeUndefined();
    await waitMined(first.result as string);
    // The mined nonce again, with different content.
    await expectSendError(
      await sign(sender, { nonce, value: 2n, data: "0x01", gasLimit: 30_000n }),
      -32000,
      /^nonce too low/,
    );
    await expectSendError(await sign(sender, { nonce: nonce + 1 + 65 }), -32000, /^nonce too high/);

    // A transaction waiting behind a nonce gap stays in the pool, so sending it twice is certainly a duplicate.
    const queuedNonce = (await pendingNonce(queuedSender.address)) + 3;
    const queued = await sign(queuedSender, { nonce: queuedNonce });
    expect((await sendRaw(queued)).error).toBeUndefined();
    await expectSendError(queued, -32000, /^already known$/);
    // The same nonce at the same (zero) price is not a replacement either.
    await expectSendError(
      await sign(queuedSender, { nonce: queuedNonce, value: 5n }),
      -32000,
      /^replacement transaction underpriced/,
    );
  });
});

describe("bad input over WebSocket", () => {
  function connect(): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(node.wsUrl);
      const timer = setTimeout(() => reject(new Error("WebSocket did not open")), 10_000);
      socket.once("open", () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once("error", reject);
    });
  }

  function exchange(socket: WebSocket, text: string | Buffer): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no WebSocket answer within 10 s")), 10_000);
      socket.once("message", (data) => {
        clearTimeout(timer);
        resolve(JSON.parse(data.toString()));
      });
      socket.send(text);
    });
  }

  it("answers malformed messages, unknown methods and over-limit batches, then closes on an oversized frame", async () => {
    const socket = await connect();
    try {
      expect(errorOf(await exchange(socket, "{not json")).code).toBe(-32700);
      expect(
        errorOf(await exchange(socket, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_nope" }))).code,
      ).toBe(-32601);
      expect(
        errorOf(
          await exchange(
            socket,
            JSON.stringify({ jsonrpc: "2.0", id: 2, method: "eth_subscribe", params: ["noSuchTopic"] }),
          ),
        ).code,
      ).toBe(-32602);
      const batch = Array.from({ length: 1001 }, (_, i) => ({
        jsonrpc: "2.0",
        id: i,
        method: "eth_chainId",
      }));
      expect(errorOf(await exchange(socket, JSON.stringify(batch))).code).toBe(-32005);
      expect(errorOf(await exchange(socket, "[]")).code).toBe(-32600);
      // Still usable after all of that.
      expect(
        await exchange(socket, JSON.stringify({ jsonrpc: "2.0", id: 3, method: "eth_chainId" })),
      ).toEqual({
        jsonrpc: "2.0",
        id: 3,
        result: `0x${CHAIN_ID.toString(16)}`,
      });

      const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
      socket.send(Buffer.alloc(5 * 1024 * 1024 + 1024, 0x20));
      expect(await closed).toBe(1009);
    } finally {
      socket.terminate();
    }
    // A new connection is served as usual.
    const again = await connect();
    try {
      expect(await exchange(again, JSON.stringify({ jsonrpc: "2.0", id: 4, method: "net_version" }))).toEqual(
        {
          jsonrpc: "2.0",
          id: 4,
          result: String(CHAIN_ID),
        },
      );
    } finally {
      again.terminate();
    }
  });
});

describe("after the bad input", () => {
  it("still answers, keeps producing blocks and reports healthy", async () => {
    const start = Number(await rpcCall<string>(node.rpcUrl, "eth_blockNumber"));
    await waitFor("two more blocks", async () => {
      const height = Number(await rpcCall<string>(node.rpcUrl, "eth_blockNumber"));
      return height >= start + 2 ? height : undefined;
    });
    const health = await fetch(`${node.metricsUrl}/health`, { signal: AbortSignal.timeout(5000) });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", chainId: String(CHAIN_ID) });
    const metrics = await fetch(`${node.metricsUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    const height = /^charter_head_height (\d+)$/m.exec(text);
    expect(Number(height?.[1])).toBeGreaterThanOrEqual(start);
    expect(text).toMatch(/^charter_blocks_committed_total \d+$/m);
    // Nothing above was a bug in the node's eyes: no handler failed unexpectedly.
    expect(node.log()).not.toContain("failed unexpectedly");
    expect(node.log()).not.toContain("RPC dispatcher failed");
  });
});

/** POSTs with node:http and resolves with the answer even if the upload is cut off after it. */
function postWithNodeHTTP(url: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no HTTP answer within 15 s")), 15_000);
    const req = request(url, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}

function toMinimalHex(value: bigint): string {
  return value === 0n
    ? "0x"
    : `0x${value.toString(16).padStart(2 * Math.ceil(value.toString(16).length / 2), "0")}`;
}
