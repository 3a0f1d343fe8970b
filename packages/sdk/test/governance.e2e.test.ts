import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  createTestNetwork,
  devPrivateKeysHex,
  type NodeProcess,
  startNodeProcess,
  type TestNetwork,
} from "@charter/testing";
import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  parseEther,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accountStatusAbi,
  charterGovernanceActions,
  charterRevertOf,
  committeeAbi,
  freezeAccount,
  SYSTEM_CONTRACT_ADDRESSES,
  unfreezeAccount,
} from "../src/index.js";

/**
 * The SDK against a real single-validator node process: the committee member (the validator's node key, the
 * default governance of a genesis without a governance section) proposes to freeze an account, votes it
 * through, and the freeze is in force: `AccountStatus.statusOf` says so through `eth_call`, and the node refuses
 * the account's transactions. Then the same through the `charter_*` reads.
 */

let network: TestNetwork;
let node: NodeProcess;
let publicClient: PublicClient;
let member: ReturnType<typeof memberClient>;
const [, targetKey, outsiderKey] = devPrivateKeysHex(3) as [Hex, Hex, Hex];
const target = privateKeyToAccount(targetKey);
const outsider = privateKeyToAccount(outsiderKey);

function memberClient(account: Account, url: string) {
  return createWalletClient({ account, transport: http(url), pollingInterval: 100 }).extend(
    charterGovernanceActions,
  );
}

beforeAll(async () => {
  network = await createTestNetwork({ blockIntervalMs: 200 });
  node = await startNodeProcess(network.layout.nodes[0]!.configFile);
  publicClient = createPublicClient({ transport: http(node.rpcUrl), pollingInterval: 100 });
  // `charter init` writes each validator's key to node<i>/node.key; the default committee is the validators.
  const nodeKey = readFileSync(join(network.layout.nodes[0]!.dir, "node.key"), "utf8").trim() as Hex;
  member = memberClient(privateKeyToAccount(nodeKey), node.rpcUrl);
});

afterAll(async () => {
  await node?.stop();
  if (network) rmSync(network.layout.dir, { recursive: true, force: true });
});

const statusOf = (account: Hex) =>
  publicClient.readContract({
    address: SYSTEM_CONTRACT_ADDRESSES.AccountStatus,
    abi: accountStatusAbi,
    functionName: "statusOf",
    args: [account],
  });

describe("governance through the SDK against a real node", () => {
  let proposalId: bigint;

  it("a committee member freezes an account by proposal and vote", async () => {
    expect(await statusOf(target.address)).toBe(0);
    const created = await member.proposeAndWait({
      call: freezeAccount({ account: target.address }),
      description: "freeze the e2e target",
      votingBlocks: 100,
    });
    proposalId = created.id;
    expect(created.id).toBe(1n);
    expect(created.proposer).toBe(member.account.address.toLowerCase());
    expect(created.deadline).toBe(created.receipt.blockNumber + 100n);
    // Proposing is not voting: nothing has changed yet.
    expect(await statusOf(target.address)).toBe(0);

    const voted = await member.voteAndWait({ id: created.id, approve: true });
    expect(voted.outcome).toBe("executed");
    expect(await statusOf(target.address)).toBe(1);
    expect(
      await publicClient.readContract({
        address: SYSTEM_CONTRACT_ADDRESSES.Committee,
        abi: committeeAbi,
        functionName: "stateOf",
        args: [created.id],
      }),
    ).toBe(2);

    // In force from the next block: the node refuses the frozen account's transactions (governance rule 1).
    const wallet: WalletClient<Transport, Chain | undefined, Account> = createWalletClient({
      account: target,
      transport: http(node.rpcUrl),
    });
    const refused = await wallet
      .sendTransaction({ to: outsider.address, value: parseEther("1"), chain: null })
      .catch((e: unknown) => e);
    expect(String((refused as Error).message)).toMatch(/is frozen/);
  });

  it("reverts come back as the system contracts' own errors", async () => {
    const again = await member.vote({ id: proposalId, approve: true }).catch((e: unknown) => e);
    expect(charterRevertOf(again)?.message).toBe(`ProposalClosed(${proposalId}, executed)`);
    const stranger = memberClient(outsider, node.rpcUrl);
    const notMember = await stranger
      .propose({ call: unfreezeAccount({ account: target.address }), description: "let me out" })
      .catch((e: unknown) => e);
    expect(charterRevertOf(notMember)?.message).toBe(`NotMember(${outsider.address.toLowerCase()})`);
    const unknown = await member.vote({ id: 99n, approve: false }).catch((e: unknown) => e);
    expect(charterRevertOf(unknown)?.name).toBe("UnknownProposal");
  });

  it("reads the proposal, the status and the audit trail through the charter_* methods", async () => {
    const committee = await member.getCommittee();
    expect(committee).toMatchObject({
      members: [{ address: member.account.address.toLowerCase(), weight: 1 }],
      totalWeight: 1,
      participationBps: 6667,
      approvalBps: 5001,
      version: 1,
      proposalCount: 1n,
    });
    const proposal = await member.getProposal({ id: proposalId });
    expect(proposal).toMatchObject({
      id: proposalId,
      proposer: member.account.address.toLowerCase(),
      target: SYSTEM_CONTRACT_ADDRESSES.AccountStatus,
      description: "freeze the e2e target",
      state: "executed",
      yes: 1,
      no: 0,
      votes: [{ voter: member.account.address.toLowerCase(), approve: true, weight: 1 }],
    });
    expect(await member.getProposal({ id: 42n })).toBeNull();
    expect((await member.getProposals({ state: "executed" })).map((p) => p.id)).toEqual([proposalId]);
    expect(await member.getAccountStatus({ address: target.address })).toBe("frozen");
    const before = proposal!.createdAt.blockNumber - 1n;
    expect(await member.getAccountStatus({ address: target.address, blockNumber: before })).toBe("normal");

    const history = await member.getGovernanceHistory({ proposalId, fromBlock: 0n });
    expect(history.map((e) => `${e.contract}.${e.event}`)).toEqual([
      "Committee.ProposalCreated",
      "Committee.Voted",
      "Committee.ProposalPassed",
      "AccountStatus.StatusChanged",
      "Committee.ProposalExecuted",
    ]);
    expect(history.every((e) => e.sender === member.account.address.toLowerCase())).toBe(true);
    expect(history[3]!.args).toMatchObject({
      account: target.address.toLowerCase(),
      from: "normal",
      to: "frozen",
    });

    const [params, permissions, orgs, nodes] = await Promise.all([
      member.getChainParams(),
      member.getPermissions(),
      member.getOrganizations(),
      member.getNodes(),
    ]);
    expect(params.blockGasLimit).toBeGreaterThan(1_000_000n);
    expect(permissions.deploy.mode).toBe("open");
    expect(orgs.map((o) => o.id)).toEqual(["org0"]);
    expect(nodes).toMatchObject([
      { address: member.account.address.toLowerCase(), org: "org0", role: "validator" },
    ]);
  });
});
