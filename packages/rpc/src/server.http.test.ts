import { bytesToHex } from "@charter/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RPCBlock, RPCReceipt, RPCTransaction } from "./format.js";
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
const alice = devWallets[0].address.toLowerCase();
const bob = devWallets[1].address.toLowerCase();
const emitter = bytesToHex(targets.emitter);

beforeAll(async () => {
  backend = await createFakeChain();
  started = await startServer(backend);
  client = new HTTPClient(started.httpURL);
});
afterAll(() => started.server.close());

describe("chain identity and status", () => {
  it("answers the identity methods", async () => {
    expect(await client.call("eth_chainId")).toBe("0x7cff");
    expect(await client.call("net_version")).toBe("31999");
    expect(await client.call("net_listening")).toBe(true);
    expect(await client.call("net_peerCount")).toBe("0x3");
    expect(await client.call("web3_clientVersion")).toBe("charter/v0.1.0/test/node20");
    expect(await client.call("eth_syncing")).toBe(false);
    expect(await client.call("eth_mining")).toBe(false);
    expect(await client.call("eth_accounts")).toEqual([]);
  });

  it("hashes with Keccak-256 in web3_sha3", async () => {
    expect(await client.call("web3_sha3", ["0x68656c6c6f20776f726c64"])).toBe(
      "0x47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad",
    );
    expect(await client.call("web3_sha3", ["0x"])).toBe(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
  });

  it("answers free-gas fee methods with zeros", async () => {
    expect(await client.call("eth_gasPrice")).toBe("0x0");
    expect(await client.call("eth_maxPriorityFeePerGas")).toBe("0x0");
  });
});

describe("blocks", () => {
  it("returns the head height", async () => {
    expect(await client.call("eth_blockNumber")).toBe("0x3");
  });

  it("formats a block with hashes, field for field", async () => {
    const block = await client.call<RPCBlock>("eth_getBlockByNumber", ["0x1", false]);
    const indexed = backend.blocks[1]!;
    expect(block).toEqual({
      number: "0x1",
      hash: bytesToHex(indexed.hash),
      parentHash: bytesToHex(backend.blocks[0]!.hash),
      nonce: "0x0000000000000000",
      sha3Uncles: "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
      logsBloom: bytesToHex(indexed.block.header.logsBloom),
      transactionsRoot: bytesToHex(indexed.block.header.transactionsRoot),
      stateRoot: bytesToHex(indexed.block.header.stateRoot),
      receiptsRoot: bytesToHex(indexed.block.header.receiptsRoot),
      miner: `0x${"77".repeat(20)}`,
      difficulty: "0x0",
      totalDifficulty: "0x0",
      extraData: "0x63686172746572",
      size: "0x348",
      gasLimit: "0x1c9c380",
      gasUsed: "0xa410",
      timestamp: `0x${Math.floor(indexed.block.header.timestampMs / 1000).toString(16)}`,
      transactions: indexed.block.transactions.map((tx) => bytesToHex(tx.hash)),
      uncles: [],
      baseFeePerGas: "0x0",
      mixHash: `0x${"00".repeat(32)}`,
    });
  });

  it("returns full transactions with type-specific fields", async () => {
    const block = await client.call<RPCBlock>("eth_getBlockByNumber", ["0x1", true]);
    const [legacy, feeMarket] = block.transactions as RPCTransaction[];
    expect(legacy).toMatchObject({
      type: "0x0",
      from: alice,
      to: emitter,
      value: "0x5",
      nonce: "0x0",
      gasPrice: "0x0",
      chainId: "0x7cff",
      blockNumber: "0x1",
      transactionIndex: "0x0",
      blockHash: block.hash,
      gas: "0x186a0",
      input: "0x",
    });
    expect(BigInt(legacy!.v)).toBeGreaterThanOrEqual(31_999n * 2n + 35n);
    expect(legacy).not.toHaveProperty("yParity");
    expect(legacy).not.toHaveProperty("accessList");
    expect(legacy).not.toHaveProperty("maxFeePerGas");
    // A mined EIP-1559 transaction reports what it paid: min(maxFee, baseFee 0 + tip).
    expect(feeMarket).toMatchObject({
      type: "0x2",
      gasPrice: "0x1",
      maxFeePerGas: "0x3",
      maxPriorityFeePerGas: "0x1",
      accessList: [],
      transactionIndex: "0x1",
    });
    expect(feeMarket!.yParity).toBe(feeMarket!.v);
    expect(feeMarket!.r).toMatch(/^0x[1-9a-f][0-9a-f]*$/);
  });

  it("returns an access list for type 1", async () => {
    const block = await client.call<RPCBlock>("eth_getBlockByHash", [
      bytesToHex(backend.blocks[2]!.hash),
      true,
    ]);
    const [accessList, creation] = block.transactions as RPCTransaction[];
    expect(accessList).toMatchObject({
      type: "0x1",
      to: bob,
      accessList: [{ address: bob, storageKeys: [`0x${"00".repeat(32)}`] }],
    });
    expect(accessList).not.toHaveProperty("maxFeePerGas");
    expect(creation).toMatchObject({ type: "0x2", to: null, input: "0x6001600055" });
  });

  it("resolves every tag: latest = safe = finalized = pending = head, earliest = 0", async () => {
    for (const tag of ["latest", "safe", "finalized", "pending"]) {
      expect((await client.call<RPCBlock>("eth_getBlockByNumber", [tag, false])).number).toBe("0x3");
    }
    expect((await client.call<RPCBlock>("eth_getBlockByNumber", ["earliest", false])).number).toBe("0x0");
  });

  it("answers null for unknown blocks and counts", async () => {
    expect(await client.call("eth_getBlockByNumber", ["0x64", false])).toBeNull();
    expect(await client.call("eth_getBlockByHash", [`0x${"12".repeat(32)}`, false])).toBeNull();
    expect(await client.call("eth_getBlockTransactionCountByNumber", ["0x64"])).toBeNull();
    expect(await client.call("eth_getBlockTransactionCountByNumber", ["0x1"])).toBe("0x2");
    expect(
      await client.call("eth_getBlockTransactionCountByHash", [bytesToHex(backend.blocks[3]!.hash)]),
    ).toBe("0x0");
  });

  it("has no uncles", async () => {
    expect(await client.call("eth_getUncleByBlockNumberAndIndex", ["0x1", "0x0"])).toBeNull();
    expect(
      await client.call("eth_getUncleByBlockHashAndIndex", [bytesToHex(backend.blocks[1]!.hash), "0x0"]),
    ).toBeNull();
    expect(await client.call("eth_getUncleCountByBlockNumber", ["0x1"])).toBe("0x0");
    expect(await client.call("eth_getUncleCountByBlockHash", [bytesToHex(backend.blocks[1]!.hash)])).toBe(
      "0x0",
    );
    expect(await client.call("eth_getUncleCountByBlockNumber", ["0x99"])).toBeNull();
  });

  it("returns a block's receipts", async () => {
    const receipts = await client.call<RPCReceipt[]>("eth_getBlockReceipts", ["0x1"]);
    expect(receipts.map((r) => r.logs[0]?.logIndex)).toEqual(["0x0", "0x1"]);
    expect(await client.call("eth_getBlockReceipts", ["0x99"])).toBeNull();
  });
});

describe("transactions and receipts", () => {
  it("finds transactions by block and index, null when out of range", async () => {
    const tx = await client.call<RPCTransaction>("eth_getTransactionByBlockNumberAndIndex", ["0x2", "0x1"]);
    expect(tx.hash).toBe(bytesToHex(backend.blocks[2]!.block.transactions[1]!.hash));
    const byHash = await client.call<RPCTransaction>("eth_getTransactionByBlockHashAndIndex", [
      bytesToHex(backend.blocks[2]!.hash),
      "0x0",
    ]);
    expect(byHash.type).toBe("0x1");
    expect(await client.call("eth_getTransactionByBlockNumberAndIndex", ["0x2", "0x2"])).toBeNull();
    expect(await client.call("eth_getTransactionByBlockNumberAndIndex", ["0x63", "0x0"])).toBeNull();
  });

  it("formats a receipt with block-wide log indices and a computed bloom", async () => {
    const tx = backend.blocks[1]!.block.transactions[1]!;
    const receipt = await client.call<RPCReceipt>("eth_getTransactionReceipt", [bytesToHex(tx.hash)]);
    expect(receipt).toMatchObject({
      transactionHash: bytesToHex(tx.hash),
      transactionIndex: "0x1",
      blockHash: bytesToHex(backend.blocks[1]!.hash),
      blockNumber: "0x1",
      from: alice,
      to: emitter,
      cumulativeGasUsed: "0xa410",
      gasUsed: "0x5208",
      effectiveGasPrice: "0x1",
      contractAddress: null,
      type: "0x2",
      status: "0x1",
    });
    expect(receipt.logs).toEqual([
      {
        address: emitter,
        topics: [
          bytesToHex(transferTopic),
          `0x${"00".repeat(12)}${alice.slice(2)}`,
          `0x${"00".repeat(12)}${emitter.slice(2)}`,
        ],
        data: `0x${"7".padStart(64, "0")}`,
        blockNumber: "0x1",
        blockHash: bytesToHex(backend.blocks[1]!.hash),
        transactionHash: bytesToHex(tx.hash),
        transactionIndex: "0x1",
        logIndex: "0x1",
        removed: false,
      },
    ]);
    // The receipt bloom holds only its own log; the header bloom holds both transactions' logs.
    expect(receipt.logsBloom).not.toBe(`0x${"00".repeat(256)}`);
    expect(receipt.logsBloom).toBe(bytesToHex(backend.blocks[1]!.block.header.logsBloom));
  });

  it("reports the created contract in the receipt", async () => {
    const tx = backend.blocks[2]!.block.transactions[1]!;
    const receipt = await client.call<RPCReceipt>("eth_getTransactionReceipt", [bytesToHex(tx.hash)]);
    expect(receipt.contractAddress).toMatch(/^0x[0-9a-f]{40}$/);
    expect(receipt.to).toBeNull();
    expect(receipt.logsBloom).toBe(`0x${"00".repeat(256)}`);
  });

  it("returns null for unknown transactions and receipts", async () => {
    const unknown = `0x${"ab".repeat(32)}`;
    expect(await client.call("eth_getTransactionByHash", [unknown])).toBeNull();
    expect(await client.call("eth_getTransactionReceipt", [unknown])).toBeNull();
  });

  it("accepts a raw transaction, shows it pending, and then mined", async () => {
    const signed = await signTx(devWallets[1], {
      type: 2,
      nonce: 0,
      to: emitter,
      maxFeePerGas: 9n,
      maxPriorityFeePerGas: 2n,
    });
    const hash = await client.call<string>("eth_sendRawTransaction", [bytesToHex(signed.raw)]);
    expect(hash).toBe(bytesToHex(signed.hash));
    const pending = await client.call<RPCTransaction>("eth_getTransactionByHash", [hash]);
    expect(pending).toMatchObject({
      blockHash: null,
      blockNumber: null,
      transactionIndex: null,
      gasPrice: "0x9",
      from: bob,
    });
    expect(await client.call("eth_getTransactionReceipt", [hash])).toBeNull();
    expect(await client.call("eth_getTransactionCount", [bob, "pending"])).toBe("0x1");
    expect(await client.call("eth_getTransactionCount", [bob, "latest"])).toBe("0x0");

    backend.commit();
    const mined = await client.call<RPCTransaction>("eth_getTransactionByHash", [hash]);
    expect(mined).toMatchObject({ blockNumber: "0x4", transactionIndex: "0x0", gasPrice: "0x2" });
    const receipt = await client.call<RPCReceipt>("eth_getTransactionReceipt", [hash]);
    expect(receipt.effectiveGasPrice).toBe("0x2");
    expect(await client.call("eth_getTransactionCount", [bob, "latest"])).toBe("0x1");
  });

  it("passes the backend's verbatim rejection through", async () => {
    const stale = backend.blocks[1]!.block.transactions[0]!;
    expect(await client.error("eth_sendRawTransaction", [bytesToHex(stale.raw)])).toEqual({
      code: -32000,
      message: "nonce too low",
    });
  });

  it("refuses eth_sendTransaction without a dev signer as a missing method", async () => {
    const error = await client.error("eth_sendTransaction", [{ from: alice, to: bob }]);
    expect(error.code).toBe(-32601);
    expect(error.message).toMatch(/the method .* does not exist/);
  });
});

describe("state", () => {
  it("reads balance, code, storage and nonce at tags, numbers and EIP-1898 objects", async () => {
    expect(await client.call("eth_getBalance", [alice, "latest"])).toBe("0x3635c9adc5dea00000");
    expect(await client.call("eth_getBalance", [alice])).toBe("0x3635c9adc5dea00000");
    expect(await client.call("eth_getBalance", [alice, { blockNumber: "0x2" }])).toBe("0x3635c9adc5dea00000");
    const hash = bytesToHex(backend.blocks[1]!.hash);
    expect(await client.call("eth_getBalance", [alice, { blockHash: hash, requireCanonical: true }])).toBe(
      "0x3635c9adc5dea00000",
    );
    expect(await client.call("eth_getBalance", [alice, hash])).toBe("0x3635c9adc5dea00000");
    expect(await client.call("eth_getCode", [bob, "finalized"])).toBe("0x6001600055");
    expect(await client.call("eth_getCode", [alice, "safe"])).toBe("0x");
    expect(await client.call("eth_getStorageAt", [bob, "0x0", "latest"])).toBe(`0x${"2a".padStart(64, "0")}`);
    expect(await client.call("eth_getStorageAt", [bob, `0x${"00".repeat(32)}`])).toBe(
      `0x${"2a".padStart(64, "0")}`,
    );
    expect(await client.call("eth_getStorageAt", [bob, "0x1"])).toBe(`0x${"00".repeat(32)}`);
    expect(await client.call("eth_getTransactionCount", [alice, "earliest"])).toBe("0x4");
  });

  it("fails state reads above the head or at unknown hashes with geth's messages", async () => {
    expect(await client.error("eth_getBalance", [alice, "0x64"])).toEqual({
      code: -32000,
      message: "header not found",
    });
    expect(await client.error("eth_getCode", [alice, { blockHash: `0x${"11".repeat(32)}` }])).toEqual({
      code: -32000,
      message: "header for hash not found",
    });
  });

  it("returns an EIP-1186 proof", async () => {
    const proof = await client.call<Record<string, unknown>>("eth_getProof", [alice, ["0x0"], "latest"]);
    expect(proof).toMatchObject({
      address: alice,
      balance: "0x3635c9adc5dea00000",
      nonce: "0x4",
      storageProof: [{ key: `0x${"00".repeat(32)}`, value: "0x0", proof: [] }],
    });
    expect(proof.accountProof).toHaveLength(1);
  });
});

describe("calls and reverts", () => {
  it("returns call output", async () => {
    expect(await client.call("eth_call", [{ to: emitter, input: "0x1234" }, "latest"])).toBe("0x1234");
    expect(await client.call("eth_call", [{ to: emitter, data: "0x1234" }])).toBe("0x1234");
    expect(await client.call("eth_call", [{ to: emitter, data: "0xab" }, "pending", {}])).toBe("0xab");
    expect(await client.call("eth_estimateGas", [{ to: emitter, data: "0x1234" }])).toBe("0x5228");
  });

  it("answers Error(string) reverts with code 3, the reason and the data", async () => {
    for (const method of ["eth_call", "eth_estimateGas"]) {
      const error = await client.error(method, [{ to: bytesToHex(targets.revertString) }]);
      expect(error.code).toBe(3);
      expect(error.message).toBe("execution reverted: not allowed");
      expect(error.data).toMatch(/^0x08c379a0/);
    }
  });

  it("decodes panics and keeps empty revert data as 0x", async () => {
    const panic = await client.error("eth_call", [{ to: bytesToHex(targets.revertPanic) }]);
    expect(panic).toEqual({
      code: 3,
      message: "execution reverted: panic: arithmetic underflow or overflow (0x11)",
      data: `0x4e487b71${"11".padStart(64, "0")}`,
    });
    expect(await client.error("eth_call", [{ to: bytesToHex(targets.revertEmpty) }])).toEqual({
      code: 3,
      message: "execution reverted",
      data: "0x",
    });
  });

  it("answers other EVM failures with -32000 and the EVM message", async () => {
    expect(await client.error("eth_call", [{ to: bytesToHex(targets.invalidOpcode) }])).toEqual({
      code: -32000,
      message: "invalid opcode: INVALID",
    });
    expect(
      await client.error("eth_estimateGas", [{ to: bytesToHex(targets.outOfGas), gas: "0x5208" }]),
    ).toEqual({
      code: -32000,
      message: "gas required exceeds allowance (21000)",
    });
    expect(await client.error("eth_estimateGas", [{ to: bytesToHex(targets.outOfGas) }])).toEqual({
      code: -32000,
      message: "gas required exceeds allowance (30000000)",
    });
  });

  it("refuses overrides it cannot honour and mismatched chain ids", async () => {
    expect(
      await client.error("eth_call", [{ to: emitter }, "latest", { [alice]: { balance: "0x1" } }]),
    ).toEqual({
      code: -32602,
      message: "state overrides are not supported",
    });
    expect(await client.error("eth_call", [{ to: emitter, chainId: "0x1" }])).toEqual({
      code: -32000,
      message: "chainId does not match node's (have=1, want=31999)",
    });
  });
});

describe("fee history", () => {
  it("sizes its arrays for the blocks and percentiles asked for", async () => {
    const history = await client.call<Record<string, unknown[]>>("eth_feeHistory", [
      "0x2",
      "latest",
      [25, 50, 75],
    ]);
    const head = Number(await client.call<string>("eth_blockNumber"));
    expect(history.oldestBlock).toBe(`0x${(head - 1).toString(16)}`);
    expect(history.baseFeePerGas).toEqual(["0x0", "0x0", "0x0"]);
    expect(history.gasUsedRatio).toHaveLength(2);
    expect(history.reward).toEqual([
      ["0x0", "0x0", "0x0"],
      ["0x0", "0x0", "0x0"],
    ]);
  });

  it("computes gasUsedRatio from real blocks and clamps at genesis", async () => {
    const history = await client.call<Record<string, unknown>>("eth_feeHistory", [10, "0x1"]);
    expect(history.oldestBlock).toBe("0x0");
    expect(history.gasUsedRatio).toEqual([0, 42_000 / 30_000_000]);
    expect(history.baseFeePerGas).toHaveLength(3);
    expect(history).not.toHaveProperty("reward");
  });

  it("rejects bad percentiles and future blocks", async () => {
    expect((await client.error("eth_feeHistory", ["0x1", "latest", [50, 10]])).code).toBe(-32602);
    expect((await client.error("eth_feeHistory", ["0x1", "latest", [101]])).message).toBe(
      "invalid argument 2: invalid reward percentile: 101",
    );
    expect(await client.error("eth_feeHistory", ["0x1", "0x99"])).toEqual({
      code: -32000,
      message: "request beyond head block",
    });
  });
});

describe("parameter validation", () => {
  const cases: [string, unknown[], string][] = [
    ["eth_getBalance", ["0xabc"], "invalid argument 0: hex string has length 3, want 40 for an address"],
    ["eth_getBalance", ["abc"], 'invalid argument 0: hex string without 0x prefix: "abc"'],
    ["eth_getBalance", [42], "invalid argument 0: expected a hex string for an address, got number"],
    ["eth_getBalance", [alice, "0x01"], "invalid argument 1: hex number with leading zero digits"],
    ["eth_getBalance", [alice, "0x"], 'invalid argument 1: hex string "0x"'],
    [
      "eth_getBalance",
      [alice, "newest"],
      'invalid argument 1: invalid block number "newest": want latest, earliest, pending, safe, finalized or a hex number',
    ],
    [
      "eth_getBalance",
      [alice, { blockNumber: "0x1", blockHash: `0x${"11".repeat(32)}` }],
      "invalid argument 1: blockNumber and blockHash are both set; give one of them",
    ],
    ["eth_getBalance", [alice, {}], "invalid argument 1: block object has neither blockNumber nor blockHash"],
    ["eth_getBalance", [alice, "latest", 1], "too many arguments, want at most 2"],
    ["eth_getBalance", [], "missing value for required argument 0 (address)"],
    ["eth_getBlockByNumber", ["0x1"], "missing value for required argument 1 (fullTransactions)"],
    ["eth_getBlockByNumber", ["0x1", "true"], "invalid argument 1: expected a boolean, got string"],
    [
      "eth_getBlockByHash",
      ["0x1234", false],
      "invalid argument 0: hex string has length 4, want 64 for a hash",
    ],
    ["eth_getBlockByNumber", ["0x10000000000000000", false], "invalid argument 0: hex number > 64 bits"],
    ["eth_sendRawTransaction", ["0xabc"], "invalid argument 0: hex string has odd length"],
    ["eth_sendRawTransaction", ["0xzz"], 'invalid argument 0: invalid hex string: "0xzz"'],
    [
      "eth_call",
      [{ to: "0x12" }],
      'invalid argument 0: field "to": hex string has length 2, want 40 for an address',
    ],
    [
      "eth_call",
      [{ data: "0x12", input: "0x34" }],
      'invalid argument 0: both "data" and "input" are set and not equal. Please use "input" to pass transaction call data',
    ],
    [
      "eth_call",
      [{ gasPrice: "0x1", maxFeePerGas: "0x1" }],
      "invalid argument 0: both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified",
    ],
    [
      "eth_call",
      [{ maxFeePerGas: "0x1", maxPriorityFeePerGas: "0x2" }],
      "invalid argument 0: max priority fee per gas higher than max fee per gas",
    ],
    [
      "eth_call",
      [{ value: `0x1${"0".repeat(64)}` }],
      'invalid argument 0: field "value": hex number > 256 bits',
    ],
    ["eth_call", ["0x"], "invalid argument 0: expected an object, got string"],
    [
      "eth_getLogs",
      [{ blockHash: `0x${"11".repeat(32)}`, fromBlock: "0x1" }],
      "invalid argument 0: cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other",
    ],
    [
      "eth_getLogs",
      [{ topics: [null, null, null, null, null] }],
      'invalid argument 0: field "topics": too many topic positions: 5, at most 4',
    ],
    [
      "eth_getLogs",
      [{ address: ["0x12"] }],
      'invalid argument 0: field "address": hex string has length 2, want 40 for an address',
    ],
    ["eth_getFilterChanges", [12], "invalid argument 0: expected an id string, got number"],
    ["eth_subscribe", ["newHeads"], "notifications not supported"],
  ];
  it.each(cases)("%s %j → %s", async (method, params, message) => {
    const error = await client.error(method, params);
    expect(error.message).toBe(message);
    expect(error.code).toBe(method === "eth_subscribe" ? -32601 : -32602);
  });
});
