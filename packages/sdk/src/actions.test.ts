import {
  type AbiEvent,
  createClient,
  createWalletClient,
  custom,
  decodeFunctionData,
  encodeAbiParameters,
  encodeErrorResult,
  encodeEventTopics,
  type Hex,
  keccak256,
  parseTransaction,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { charterGovernanceActions } from "./actions.js";
import { committeeAbi, SYSTEM_CONTRACT_ADDRESSES } from "./contracts.js";
import { isCharterSDKError } from "./errors.js";
import { freezeAccount } from "./governance.js";
import { charterRevertOf } from "./revert.js";

/**
 * The actions against a viem `custom` transport that records every request and answers from a table: what goes
 * on the wire (method names, parameter encoding) and what the SDK makes of the answers.
 */

interface Recorded {
  readonly method: string;
  readonly params: unknown;
}

function recordingClient(answer: (method: string, params: unknown) => unknown) {
  const requests: Recorded[] = [];
  const transport = custom({
    async request({ method, params }: { method: string; params?: unknown }) {
      requests.push({ method, params });
      return answer(method, params);
    },
  });
  const client = createClient({ transport }).extend(charterGovernanceActions);
  return { client, requests };
}

const alice = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const member = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

const rpcProposal = {
  id: "0x3",
  proposer: member,
  target: SYSTEM_CONTRACT_ADDRESSES.AccountStatus,
  data: freezeAccount({ account: alice }).data,
  description: "court order 17",
  deadline: "0x258",
  committeeVersion: "0x1",
  state: "executed",
  yes: "0x1",
  no: "0x0",
  createdAt: { blockNumber: "0xa", transactionHash: hash(1) },
  votes: [{ voter: member, approve: true, weight: "0x1", blockNumber: "0xb", transactionHash: hash(2) }],
};

describe("read actions", () => {
  it("getCommittee sends no block by default, a tag or a hex number when asked, and converts quantities", async () => {
    const { client, requests } = recordingClient(() => ({
      members: [{ address: member, weight: "0x2" }],
      totalWeight: "0x2",
      participationBps: "0x1a0b",
      approvalBps: "0x1389",
      version: "0x1",
      proposalCount: "0x5",
    }));
    const committee = await client.getCommittee();
    await client.getCommittee({ blockTag: "finalized" });
    await client.getCommittee({ blockNumber: 255n });
    expect(requests).toEqual([
      { method: "charter_getCommittee", params: [] },
      { method: "charter_getCommittee", params: ["finalized"] },
      { method: "charter_getCommittee", params: ["0xff"] },
    ]);
    expect(committee).toEqual({
      members: [{ address: member, weight: 2 }],
      totalWeight: 2,
      participationBps: 6667,
      approvalBps: 5001,
      version: 1,
      proposalCount: 5n,
    });
  });

  it("getProposal encodes the id as a quantity and returns null for an unknown one", async () => {
    const { client, requests } = recordingClient((_, params) =>
      (params as string[])[0] === "0x3" ? rpcProposal : null,
    );
    const proposal = await client.getProposal({ id: 3n, blockTag: "latest" });
    expect(await client.getProposal({ id: 4 })).toBeNull();
    expect(requests).toEqual([
      { method: "charter_getProposal", params: ["0x3", "latest"] },
      { method: "charter_getProposal", params: ["0x4"] },
    ]);
    expect(proposal).toEqual({
      id: 3n,
      proposer: member,
      target: SYSTEM_CONTRACT_ADDRESSES.AccountStatus,
      data: rpcProposal.data,
      description: "court order 17",
      deadline: 600n,
      committeeVersion: 1,
      state: "executed",
      yes: 1,
      no: 0,
      createdAt: { blockNumber: 10n, transactionHash: hash(1) },
      votes: [{ voter: member, approve: true, weight: 1, blockNumber: 11n, transactionHash: hash(2) }],
    });
  });

  it("getProposals sends only the filter fields given", async () => {
    const { client, requests } = recordingClient(() => [rpcProposal]);
    const [first] = await client.getProposals({ state: "pending", fromId: 10n, count: 20 });
    await client.getProposals();
    await client.getProposals({ blockNumber: 1n });
    expect(requests).toEqual([
      { method: "charter_getProposals", params: [{ state: "pending", fromId: "0xa", count: "0x14" }] },
      { method: "charter_getProposals", params: [{}] },
      { method: "charter_getProposals", params: [{}, "0x1"] },
    ]);
    expect(first?.id).toBe(3n);
  });

  it("getGovernanceHistory encodes blocks, the proposal id and the account", async () => {
    const { client, requests } = recordingClient(() => [
      {
        blockNumber: "0xa",
        transactionHash: hash(1),
        logIndex: "0x0",
        sender: member,
        contract: "Committee",
        event: "ProposalCreated",
        args: { id: "0x3", proposer: member },
      },
    ]);
    const history = await client.getGovernanceHistory({
      fromBlock: 1n,
      toBlock: "latest",
      proposalId: 3n,
      account: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    });
    expect(requests).toEqual([
      {
        method: "charter_getGovernanceHistory",
        params: [{ fromBlock: "0x1", toBlock: "latest", proposalId: "0x3", account: alice }],
      },
    ]);
    expect(history).toEqual([
      {
        blockNumber: 10n,
        transactionHash: hash(1),
        logIndex: 0,
        sender: member,
        contract: "Committee",
        event: "ProposalCreated",
        args: { id: "0x3", proposer: member },
      },
    ]);
  });

  it("reads organizations, nodes, an account's status, permissions and chain parameters", async () => {
    const answers: Record<string, unknown> = {
      charter_getOrganizations: [
        { id: "org0", name: "org0", caFingerprint: null },
        { id: "bank", name: "Bank", caFingerprint: `0x${"AB".repeat(32)}` },
      ],
      charter_getNodes: [
        { address: member, org: "org0", role: "validator", weight: "0x1", publicKey: "0x04ab" },
      ],
      charter_getAccountStatus: "frozen",
      charter_getPermissions: {
        deploy: { mode: "allowlist", allowlist: [alice], denylist: [] },
        transact: { mode: "open", allowlist: [], denylist: [] },
      },
      charter_getChainParams: {
        blockIntervalMs: "0x3e8",
        blockGasLimit: "0x5f5e100",
        poolTxCountMax: "0x0",
        poolPerSenderMax: "0x0",
      },
    };
    const { client, requests } = recordingClient((method) => answers[method]);
    expect(await client.getOrganizations()).toEqual([
      { id: "org0", name: "org0", caFingerprint: null },
      { id: "bank", name: "Bank", caFingerprint: `0x${"ab".repeat(32)}` },
    ]);
    expect(await client.getNodes({ blockTag: "latest" })).toEqual([
      { address: member, org: "org0", role: "validator", weight: 1, publicKey: "0x04ab" },
    ]);
    expect(await client.getAccountStatus({ address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" })).toBe(
      "frozen",
    );
    expect(await client.getPermissions()).toEqual(answers.charter_getPermissions);
    expect(await client.getChainParams({ blockNumber: 2n })).toEqual({
      blockIntervalMs: 1000n,
      blockGasLimit: 100_000_000n,
      poolTxCountMax: 0n,
      poolPerSenderMax: 0n,
    });
    expect(requests.map((r) => [r.method, r.params])).toEqual([
      ["charter_getOrganizations", []],
      ["charter_getNodes", ["latest"]],
      ["charter_getAccountStatus", [alice]],
      ["charter_getPermissions", []],
      ["charter_getChainParams", ["0x2"]],
    ]);
  });

  it("names the method and the field when a node answers with another shape", async () => {
    const { client } = recordingClient(() => ({
      ...rpcProposal,
      votes: [{ ...rpcProposal.votes[0], weight: "one" }],
    }));
    const error = await client.getProposal({ id: 3n }).catch((e: unknown) => e);
    expect(isCharterSDKError(error, "unexpected-response")).toBe(true);
    expect((error as Error).message).toMatch(
      /^charter_getProposal answered result\.votes\[0\]\.weight = "one", which is not a quantity/,
    );
    const status = recordingClient(() => "suspended").client;
    await expect(status.getAccountStatus({ address: alice })).rejects.toThrow(
      /charter_getAccountStatus answered result = "suspended", which is not one of normal, frozen, abolished/,
    );
  });
});

describe("write actions", () => {
  const key = `0x${"42".repeat(32)}` as const;
  const account = privateKeyToAccount(key);

  /** A node that accepts one raw transaction and gives a receipt with the logs `logs` produces. */
  function fakeNode(options: { estimateError?: Hex; logs?: (tx: { data: Hex }) => unknown[] } = {}) {
    const requests: Recorded[] = [];
    let sent: Hex | undefined;
    const transport = custom(
      {
        async request({ method, params }: { method: string; params?: unknown }) {
          requests.push({ method, params });
          switch (method) {
            case "eth_chainId":
              return "0x1cb1";
            case "eth_getTransactionCount":
              return "0x0";
            case "eth_estimateGas":
              if (options.estimateError)
                throw Object.assign(new Error("execution reverted"), {
                  code: 3,
                  data: options.estimateError,
                });
              return "0x40000";
            case "eth_maxPriorityFeePerGas":
            case "eth_gasPrice":
              return "0x0";
            case "eth_getBlockByNumber":
              return {
                number: "0x1",
                baseFeePerGas: "0x0",
                hash: hash(9),
                timestamp: "0x1",
                transactions: [],
              };
            case "eth_sendRawTransaction":
              sent = (params as [Hex])[0];
              return keccak256(sent);
            case "eth_blockNumber":
              return "0x2";
            case "eth_getTransactionReceipt": {
              if (!sent) return null;
              const tx = parseTransaction(sent as Hex);
              return {
                transactionHash: keccak256(sent),
                blockNumber: "0x2",
                blockHash: hash(8),
                transactionIndex: "0x0",
                from: account.address.toLowerCase(),
                to: SYSTEM_CONTRACT_ADDRESSES.Committee,
                status: "0x1",
                gasUsed: "0x1",
                cumulativeGasUsed: "0x1",
                effectiveGasPrice: "0x0",
                contractAddress: null,
                logsBloom: `0x${"00".repeat(256)}`,
                type: "0x2",
                logs: (options.logs?.({ data: tx.data as Hex }) ?? []).map((log, i) => ({
                  ...(log as object),
                  address: SYSTEM_CONTRACT_ADDRESSES.Committee,
                  blockNumber: "0x2",
                  blockHash: hash(8),
                  transactionHash: keccak256(sent as Hex),
                  transactionIndex: "0x0",
                  logIndex: `0x${i.toString(16)}`,
                  removed: false,
                })),
              };
            }
            default:
              throw new Error(`unexpected ${method}`);
          }
        },
      },
      { retryCount: 0 },
    );
    const client = createWalletClient({ account, transport, pollingInterval: 10 }).extend(
      charterGovernanceActions,
    );
    return { client, requests, sent: () => sent };
  }

  const event = (
    eventName: "ProposalCreated" | "Voted" | "ProposalPassed" | "ProposalExecuted",
    args: object,
  ) => {
    const item = committeeAbi.find((e) => e.type === "event" && e.name === eventName) as AbiEvent;
    const topics = encodeEventTopics({ abi: committeeAbi, eventName, args } as never);
    const unindexed = item.inputs.filter((input) => !input.indexed);
    const values = unindexed.map((input) => (args as Record<string, unknown>)[input.name ?? ""]);
    return { topics, data: encodeAbiParameters(unindexed, values) };
  };

  it("proposeAndWait signs Committee.propose and reads the id from ProposalCreated", async () => {
    const call = freezeAccount({ account: alice });
    const node = fakeNode({
      logs: () => [
        event("ProposalCreated", {
          id: 12n,
          proposer: account.address,
          target: call.target,
          data: call.data,
          description: "court order 17",
          deadline: 602n,
        }),
      ],
    });
    const result = await node.client.proposeAndWait({
      call,
      description: "court order 17",
      votingBlocks: 600,
    });
    const tx = parseTransaction(node.sent()!);
    expect(tx.to).toBe(SYSTEM_CONTRACT_ADDRESSES.Committee);
    expect(tx.chainId).toBe(7345);
    expect(decodeFunctionData({ abi: committeeAbi, data: tx.data! })).toEqual({
      functionName: "propose",
      args: [expect.stringMatching(/^0x0+1004$/i), call.data, "court order 17", 600n],
    });
    expect(result).toMatchObject({
      id: 12n,
      deadline: 602n,
      target: call.target,
      hash: keccak256(node.sent()!),
    });
    expect(result.proposer).toBe(account.address.toLowerCase());
  });

  it("voteAndWait signs Committee.vote and reports that the vote executed the proposal", async () => {
    const node = fakeNode({
      logs: () => [
        event("Voted", { id: 12n, voter: account.address, approve: true, weight: 1n }),
        event("ProposalPassed", { id: 12n, yes: 1n, no: 0n }),
        event("ProposalExecuted", { id: 12n }),
      ],
    });
    const result = await node.client.voteAndWait({ id: 12n, approve: true });
    expect(decodeFunctionData({ abi: committeeAbi, data: parseTransaction(node.sent()!).data! })).toEqual({
      functionName: "vote",
      args: [12n, true],
    });
    expect(result.outcome).toBe("executed");
  });

  it("a revert in the gas estimate surfaces as the decoded custom error, and nothing is sent", async () => {
    const data = encodeErrorResult({ abi: committeeAbi, errorName: "NotMember", args: [account.address] });
    const node = fakeNode({ estimateError: data });
    const error = await node.client.vote({ id: 1n, approve: true }).catch((e: unknown) => e);
    expect(charterRevertOf(error)?.message).toBe(`NotMember(${account.address.toLowerCase()})`);
    expect(node.sent()).toBeUndefined();
  });

  it("refuses what Committee.propose would refuse before signing", async () => {
    const node = fakeNode();
    const call = freezeAccount({ account: alice });
    await expect(node.client.propose({ call, description: "x", votingBlocks: 0 })).rejects.toThrow(
      /votingBlocks must be from 1 to 5000000, not 0/,
    );
    await expect(node.client.propose({ call, description: "é".repeat(513) })).rejects.toThrow(
      /description is 1026 bytes; at most 1024/,
    );
    const noAccount = createClient({ transport: custom({ request: async () => null }) }).extend(
      charterGovernanceActions,
    );
    await expect(noAccount.propose({ call, description: "x" })).rejects.toThrow(/No account to send from/);
    expect(node.requests).toEqual([]);
  });
});
