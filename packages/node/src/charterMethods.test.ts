import { readFileSync } from "node:fs";
import { Chain } from "@charter/chain";
import { loadNodeConfig } from "@charter/config";
import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { Executor } from "@charter/execution";
import {
  accountStatusArtifact,
  COMMITTEE_ADDRESS,
  committeeArtifact,
  orgIdToBytes32,
  orgRegistryArtifact,
  SYSTEM_ADDRESSES,
} from "@charter/governance";
import { createMemoryKv } from "@charter/kv";
import { Mempool } from "@charter/mempool";
import { createRPCServer, type RPCServer } from "@charter/rpc";
import { StateDB } from "@charter/state";
import { createTestNetwork } from "@charter/testing";
import { signTx, TxType } from "@charter/types";
import { bytesToHex, hexToBytes } from "@charter/utils";
import { type Abi, encodeFunctionData, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeRPCMethods } from "./charterMethods.js";
import { type CharterNode, startNode } from "./node.js";
import { NodeRPCBackend } from "./rpcBackend.js";

const suite = createEcdsaSuite();
const CHAIN_ID = 7348n;
const keys = [0, 1, 2, 3].map((i) => keccak256(new Uint8Array([i, 17])));
const validators = keys.map((key) => {
  const publicKey = suite.publicKeyFromPrivateKey(key);
  return { address: suite.addressFromPublicKey(publicKey), publicKey, weight: 1 };
});
const members = validators.map((v) => bytesToHex(v.address));
const user = suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(keccak256(new Uint8Array([90]))));
const q = (value: number | bigint) => `0x${value.toString(16)}`;
const encode = (abi: unknown, functionName: string, args: readonly unknown[]) =>
  hexToBytes(encodeFunctionData({ abi: abi as Abi, functionName, args } as never) as Hex);
const addBank = encode(orgRegistryArtifact.abi, "addOrg", [
  bytesToHex(orgIdToBytes32("bank")),
  "Bank of Example",
  bytesToHex(new Uint8Array(32)),
]);
const freezeUser = encode(accountStatusArtifact.abi, "freeze", [bytesToHex(user)]);

interface RPCAnswer {
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string };
}

async function call(url: string, method: string, params: readonly unknown[] = []): Promise<RPCAnswer> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(15_000),
  });
  return (await response.json()) as RPCAnswer;
}

async function result(url: string, method: string, params: readonly unknown[] = []): Promise<unknown> {
  const answer = await call(url, method, params);
  if (answer.error) throw new Error(`${method} failed (${answer.error.code}): ${answer.error.message}`);
  return answer.result;
}

/**
 * A chain of four validators (the default committee) driven block by block, its node backend, and two real RPC
 * servers with the node's methods: one with the default limits, one with tight log limits.
 *
 * Blocks: 1 proposal #1 (add the bank) by member 0; 2 votes of members 0 and 1; 3 the deciding vote of member 2;
 * 4 proposal #2 (freeze the user) by member 1; 5 two votes against it (members 0 and 1), which reject it.
 */
describe("charter_* methods over the real RPC server", () => {
  let server: RPCServer;
  let tight: RPCServer;
  let url: string;
  let tightUrl: string;
  const hashes: string[][] = [];

  beforeAll(async () => {
    const kv = createMemoryKv();
    const executor = new Executor({ chainId: CHAIN_ID, blockHash: async () => undefined });
    const chain = await Chain.open({
      kv,
      suite,
      state: new StateDB({ kv, hash: suite.hash, codeHash: keccak256 }),
      executor,
      genesis: {
        chainId: CHAIN_ID,
        timestampMs: 1_700_000_000_000,
        gasLimit: 30_000_000n,
        alloc: new Map(),
        validators,
        extraData: new Uint8Array(0),
      },
    });
    const nonces = new Map<number, bigint>();
    const sign = (member: number, data: Uint8Array) => {
      const nonce = nonces.get(member) ?? 0n;
      nonces.set(member, nonce + 1n);
      const tx = signTx(
        {
          type: TxType.feeMarket,
          chainId: CHAIN_ID,
          nonce,
          gasPrice: 0n,
          maxFeePerGas: 0n,
          maxPriorityFeePerGas: 0n,
          gasLimit: 2_000_000n,
          to: COMMITTEE_ADDRESS,
          value: 0n,
          data,
          accessList: [],
        },
        keys[member]!,
        suite,
      );
      return { ...tx, sender: validators[member]!.address };
    };
    const propose = (target: Uint8Array, data: Uint8Array, description: string) =>
      encode(committeeArtifact.abi, "propose", [bytesToHex(target), bytesToHex(data), description, 100n]);
    const vote = (id: bigint, approve: boolean) => encode(committeeArtifact.abi, "vote", [id, approve]);
    const block = async (transactions: ReturnType<typeof sign>[]) => {
      const executed = await chain.propose({
        timestampMs: chain.head.block.header.timestampMs + 1000,
        proposer: validators[0]!.address,
        transactions,
        lastCommit: null,
      });
      expect(executed.receipts.map((r) => r.status)).toEqual(transactions.map(() => 1));
      await chain.commit(executed);
      hashes.push(transactions.map((tx) => bytesToHex(tx.hash)));
    };
    hashes.push([]); // genesis
    await block([sign(0, propose(SYSTEM_ADDRESSES.OrgRegistry, addBank, "admit the bank"))]);
    await block([sign(0, vote(1n, true)), sign(1, vote(1n, true))]);
    await block([sign(2, vote(1n, true))]);
    await block([sign(1, propose(SYSTEM_ADDRESSES.AccountStatus, freezeUser, "freeze the user"))]);
    await block([sign(0, vote(2n, false)), sign(1, vote(2n, false))]);

    const backend = new NodeRPCBackend(
      { clientVersion: "test" },
      {
        chain,
        executor,
        mempool: new Mempool(),
        getProof: () => {
          throw new Error("unused");
        },
        onAdmitted: () => {},
      },
    );
    server = createRPCServer({ backend, port: 0, methods: nodeRPCMethods(backend) });
    tight = createRPCServer({
      backend,
      port: 0,
      methods: nodeRPCMethods(backend),
      limits: { logsBlockRangeMax: 2, logsResultsMax: 5 },
    });
    url = `http://127.0.0.1:${(await server.start()).port}`;
    tightUrl = `http://127.0.0.1:${(await tight.start()).port}`;
  });

  afterAll(async () => {
    await server?.close();
    await tight?.close();
  });

  it("serves the committee at a block, by tag, number or hash", async () => {
    const committee = {
      members: members.map((address) => ({ address, weight: "0x1" })),
      totalWeight: "0x4",
      participationBps: q(6667),
      approvalBps: q(5001),
      version: "0x1",
    };
    expect(await result(url, "charter_getCommittee")).toEqual({ ...committee, proposalCount: "0x2" });
    expect(await result(url, "charter_getCommittee", ["latest"])).toEqual({
      ...committee,
      proposalCount: "0x2",
    });
    expect(await result(url, "charter_getCommittee", ["0x3"])).toEqual({
      ...committee,
      proposalCount: "0x1",
    });
    expect(await result(url, "charter_getCommittee", ["earliest"])).toEqual({
      ...committee,
      proposalCount: "0x0",
    });
    const block1 = (await result(url, "eth_getBlockByNumber", ["0x1", false])) as { hash: string };
    expect(await result(url, "charter_getCommittee", [block1.hash])).toEqual({
      ...committee,
      proposalCount: "0x1",
    });
  });

  it("serves a proposal with its description, state and votes, as of any block; null for unknown ids", async () => {
    expect(await result(url, "charter_getProposal", ["0x1"])).toEqual({
      id: "0x1",
      proposer: members[0],
      target: bytesToHex(SYSTEM_ADDRESSES.OrgRegistry),
      data: bytesToHex(addBank),
      description: "admit the bank",
      deadline: q(101),
      committeeVersion: "0x1",
      state: "executed",
      yes: "0x3",
      no: "0x0",
      createdAt: { blockNumber: "0x1", transactionHash: hashes[1]![0] },
      votes: [
        {
          voter: members[0],
          approve: true,
          weight: "0x1",
          blockNumber: "0x2",
          transactionHash: hashes[2]![0],
        },
        {
          voter: members[1],
          approve: true,
          weight: "0x1",
          blockNumber: "0x2",
          transactionHash: hashes[2]![1],
        },
        {
          voter: members[2],
          approve: true,
          weight: "0x1",
          blockNumber: "0x3",
          transactionHash: hashes[3]![0],
        },
      ],
    });
    expect(await result(url, "charter_getProposal", ["0x1", "0x1"])).toMatchObject({
      state: "pending",
      yes: "0x0",
      votes: [],
    });
    expect(await result(url, "charter_getProposal", ["0x2"])).toMatchObject({
      proposer: members[1],
      description: "freeze the user",
      state: "rejected",
      no: "0x2",
    });
    // A JSON integer is accepted for the id as well.
    expect(await result(url, "charter_getProposal", [2])).toMatchObject({ id: "0x2" });
    expect(await result(url, "charter_getProposal", ["0x3"])).toBeNull();
    expect(await result(url, "charter_getProposal", ["0x0"])).toBeNull();
    expect(await result(url, "charter_getProposal", ["0x2", "0x3"])).toBeNull();
  });

  it("lists proposals newest first, by state, from an id, up to a count", async () => {
    const ids = async (params: readonly unknown[]) =>
      ((await result(url, "charter_getProposals", params)) as { id: string }[]).map((p) => p.id);
    expect(await ids([])).toEqual(["0x2", "0x1"]);
    expect(await ids([{}])).toEqual(["0x2", "0x1"]);
    expect(await ids([{ count: "0x1" }])).toEqual(["0x2"]);
    expect(await ids([{ count: 1 }])).toEqual(["0x2"]);
    expect(await ids([{ fromId: "0x1" }])).toEqual(["0x1"]);
    expect(await ids([{ state: "executed" }])).toEqual(["0x1"]);
    expect(await ids([{ state: "pending" }])).toEqual([]);
    // As of block 3, proposal 1 was just executed and 2 did not exist.
    expect(await ids([null, "0x3"])).toEqual(["0x1"]);
    expect(await ids([{ state: "pending" }, "0x2"])).toEqual(["0x1"]);
  });

  it("serves the audit trail decoded, in chain order, by range, proposal and account", async () => {
    type Event = { blockNumber: string; logIndex: string; sender: string; contract: string; event: string };
    const history = async (filter?: unknown) =>
      (await result(url, "charter_getGovernanceHistory", filter === undefined ? [] : [filter])) as Event[];
    const names = (events: Event[]) => events.map((e) => `${e.blockNumber} ${e.contract}.${e.event}`);
    const all = await history();
    expect(names(all)).toEqual([
      "0x1 Committee.ProposalCreated",
      "0x2 Committee.Voted",
      "0x2 Committee.Voted",
      "0x3 Committee.Voted",
      "0x3 Committee.ProposalPassed",
      "0x3 OrgRegistry.OrgAdded",
      "0x3 Committee.ProposalExecuted",
      "0x4 Committee.ProposalCreated",
      "0x5 Committee.Voted",
      "0x5 Committee.Voted",
      "0x5 Committee.ProposalRejected",
    ]);
    expect(all[2]).toEqual({
      blockNumber: "0x2",
      transactionHash: hashes[2]![1],
      logIndex: "0x1",
      sender: members[1],
      contract: "Committee",
      event: "Voted",
      args: { id: "0x1", voter: members[1], approve: true, weight: "0x1" },
    });
    expect(all[5]).toMatchObject({
      sender: members[2],
      args: { id: bytesToHex(orgIdToBytes32("bank")), name: "Bank of Example" },
    });
    expect(await history({})).toEqual(all);
    expect(names(await history({ fromBlock: "0x4", toBlock: "latest" }))).toEqual(names(all).slice(7));
    expect(names(await history({ toBlock: "0x2" }))).toEqual(names(all).slice(0, 3));
    expect(names(await history({ proposalId: "0x1" }))).toEqual(names(all).slice(0, 7));
    expect(names(await history({ proposalId: "0x2" }))).toEqual(names(all).slice(7));
    expect(names(await history({ account: members[1] }))).toEqual([
      "0x2 Committee.Voted",
      "0x4 Committee.ProposalCreated",
      "0x5 Committee.Voted",
      // Member 1's vote was the one that rejected proposal 2.
      "0x5 Committee.ProposalRejected",
    ]);
    // The user was only the subject of a call that never ran.
    expect(await history({ account: bytesToHex(user) })).toEqual([]);
    // A range past the head has no events yet, as eth_getLogs answers.
    expect(await history({ fromBlock: "0x64" })).toEqual([]);
  });

  it("serves organizations, nodes, account statuses, permissions and chain parameters", async () => {
    expect(await result(url, "charter_getOrganizations")).toEqual([
      ...[0, 1, 2, 3].map((i) => ({ id: `org${i}`, name: `org${i}`, caFingerprint: null })),
      { id: "bank", name: "Bank of Example", caFingerprint: null },
    ]);
    expect(await result(url, "charter_getOrganizations", ["0x2"])).toHaveLength(4);
    expect(await result(url, "charter_getNodes")).toEqual(
      validators.map((v, i) => ({
        address: members[i],
        org: `org${i}`,
        role: "validator",
        weight: "0x1",
        publicKey: bytesToHex(v.publicKey),
      })),
    );
    expect(await result(url, "charter_getAccountStatus", [bytesToHex(user)])).toBe("normal");
    expect(await result(url, "charter_getAccountStatus", [bytesToHex(user), "0x0"])).toBe("normal");
    expect(await result(url, "charter_getPermissions")).toEqual({
      deploy: { mode: "open", allowlist: [], denylist: [] },
      transact: { mode: "open", allowlist: [], denylist: [] },
    });
    expect(await result(url, "charter_getChainParams")).toEqual({
      blockIntervalMs: q(1000),
      blockGasLimit: q(30_000_000),
      poolTxCountMax: "0x0",
      poolPerSenderMax: "0x0",
    });
  });

  it("answers bad parameters with -32602 and a message that says what is wrong", async () => {
    const cases: [string, unknown[], string][] = [
      ["charter_getProposal", [], "missing value for required argument 0 (id)"],
      ["charter_getProposal", ["1"], 'invalid argument 0: hex string without 0x prefix: "1"'],
      ["charter_getProposal", ["0x01"], "invalid argument 0: hex number with leading zero digits"],
      [
        "charter_getProposal",
        [-1],
        "invalid argument 0: invalid integer -1: want a non-negative integer or a hex quantity",
      ],
      [
        "charter_getProposal",
        ["0x1", "soon"],
        'invalid argument 1: invalid block number "soon": want latest, earliest, pending, safe, finalized or a hex number',
      ],
      ["charter_getCommittee", ["latest", 1], "too many arguments, want at most 1"],
      [
        "charter_getProposals",
        [{ state: "open" }],
        'invalid argument 0: field "state": unknown proposal state "open"; want pending, executed, rejected, expired, outdated',
      ],
      [
        "charter_getProposals",
        [{ count: "0x0" }],
        'invalid argument 0: field "count": count must be 1 to 100, got 0',
      ],
      [
        "charter_getProposals",
        [{ count: 101 }],
        'invalid argument 0: field "count": count must be 1 to 100, got 101',
      ],
      [
        "charter_getProposals",
        [{ cnt: 1 }],
        'invalid argument 0: unknown field "cnt"; want state, fromId, count',
      ],
      ["charter_getProposals", ["pending"], "invalid argument 0: expected an object, got string"],
      [
        "charter_getAccountStatus",
        ["0x1234"],
        "invalid argument 0: hex string has length 4, want 40 for an address",
      ],
      [
        "charter_getGovernanceHistory",
        [{ account: "0x12" }],
        'invalid argument 0: field "account": hex string has length 2, want 40 for an address',
      ],
      [
        "charter_getGovernanceHistory",
        [{ fromBlock: "0x5", toBlock: "0x2" }],
        "invalid block range: fromBlock 5 is after toBlock 2",
      ],
      [
        "charter_getGovernanceHistory",
        [{ fromBlock: "0x1", blockHash: `0x${"00".repeat(32)}` }],
        'invalid argument 0: unknown field "blockHash"; want fromBlock, toBlock, proposalId, account',
      ],
    ];
    for (const [method, params, message] of cases) {
      const answer = await call(url, method, params);
      expect(answer.error, `${method}(${JSON.stringify(params)})`).toEqual({ code: -32602, message });
    }
    // A block above the head is an error for these state reads, as for eth_call.
    expect((await call(url, "charter_getNodes", ["0x64"])).error).toEqual({
      code: -32000,
      message: "header not found",
    });
  });

  it("bounds the history by the eth_getLogs limits, with the same errors", async () => {
    const range = { fromBlock: "0x1", toBlock: "0x5" };
    const logs = await call(tightUrl, "eth_getLogs", [range]);
    const history = await call(tightUrl, "charter_getGovernanceHistory", [range]);
    expect(history.error).toEqual({ code: -32005, message: "query exceeds max block range 2" });
    expect(history.error).toEqual(logs.error);
    // Without fromBlock the range is the last blocks the limit allows: 4 and 5 here.
    const recent = (await result(tightUrl, "charter_getGovernanceHistory", [{ toBlock: "latest" }])) as {
      blockNumber: string;
    }[];
    expect(recent.map((e) => e.blockNumber)).toEqual(["0x4", "0x5", "0x5", "0x5"]);
    const crowded = await call(tightUrl, "charter_getGovernanceHistory", [
      { fromBlock: "0x2", toBlock: "0x3" },
    ]);
    expect(crowded.error).toEqual({ code: -32005, message: "query returned more than 5 results" });
    expect(crowded.error).toEqual(
      (await call(tightUrl, "eth_getLogs", [{ fromBlock: "0x2", toBlock: "0x3" }])).error,
    );
  });
});

describe("charter_* methods on a started node", () => {
  let node: CharterNode | undefined;

  afterAll(async () => {
    await node?.stop();
  });

  it("are served next to the Ethereum methods and follow a proposal sent as transactions", async () => {
    const { layout, chainId } = await createTestNetwork({ blockIntervalMs: 100 });
    const config = loadNodeConfig({
      file: layout.nodes[0]!.configFile,
      flags: { rpcPort: 0, metricsPort: 0, logLevel: "error" },
    });
    node = await startNode(config);
    const rpcUrl = `http://127.0.0.1:${node.rpcPort}`;
    // A single-validator network: the node's key is the whole committee.
    const text = readFileSync(config.nodeKeyFile, "utf8").trim();
    const key = hexToBytes(text.startsWith("0x") ? text : `0x${text}`);
    const self = bytesToHex(node.address);
    expect(await result(rpcUrl, "charter_getCommittee")).toMatchObject({
      members: [{ address: self, weight: "0x1" }],
      proposalCount: "0x0",
    });

    let nonce = 0n;
    const send = async (data: Uint8Array) => {
      const tx = signTx(
        {
          type: TxType.feeMarket,
          chainId: BigInt(chainId),
          nonce: nonce++,
          gasPrice: 0n,
          maxFeePerGas: 0n,
          maxPriorityFeePerGas: 0n,
          gasLimit: 2_000_000n,
          to: COMMITTEE_ADDRESS,
          value: 0n,
          data,
          accessList: [],
        },
        key,
        suite,
      );
      const hash = await result(rpcUrl, "eth_sendRawTransaction", [bytesToHex(tx.raw)]);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const receipt = (await result(rpcUrl, "eth_getTransactionReceipt", [hash])) as {
          status: string;
        } | null;
        if (receipt !== null) {
          expect(receipt.status).toBe("0x1");
          return hash as string;
        }
        if (Date.now() > deadline) throw new Error("the transaction was not committed in time");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const proposed = await send(
      encode(committeeArtifact.abi, "propose", [
        bytesToHex(SYSTEM_ADDRESSES.OrgRegistry),
        bytesToHex(addBank),
        "admit the bank",
        50n,
      ]),
    );
    expect(await result(rpcUrl, "charter_getProposal", ["0x1"])).toMatchObject({
      state: "pending",
      description: "admit the bank",
      createdAt: { transactionHash: proposed },
    });
    const voted = await send(encode(committeeArtifact.abi, "vote", [1n, true]));
    expect(await result(rpcUrl, "charter_getProposal", ["0x1"])).toMatchObject({
      state: "executed",
      votes: [{ voter: self, approve: true, transactionHash: voted }],
    });
    const events = (await result(rpcUrl, "charter_getGovernanceHistory", [{ proposalId: "0x1" }])) as {
      event: string;
    }[];
    expect(events.map((e) => e.event)).toEqual([
      "ProposalCreated",
      "Voted",
      "ProposalPassed",
      "OrgAdded",
      "ProposalExecuted",
    ]);
    expect(await result(rpcUrl, "charter_getOrganizations")).toContainEqual({
      id: "bank",
      name: "Bank of Example",
      caFingerprint: null,
    });
  }, 60_000);
});
