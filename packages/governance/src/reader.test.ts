import { signTx, TxType, type VerifiedTx } from "@charter/types";
import { bytesToHex, equalBytes } from "@charter/utils";
import type { AbiParameter } from "viem";
import { describe, expect, it } from "vitest";
import {
  type Account,
  account,
  CHAIN_ID,
  encode,
  GovChain,
  SYSTEM_ADDRESSES_HEX,
  suite,
  type TxResult,
} from "../test/govChain.js";
import { SYSTEM_ADDRESSES, type SystemContractName } from "./addresses.js";
import { defaultGovernanceGenesis, type GovernanceGenesis } from "./genesis.js";
import {
  createGovernanceReader,
  GOVERNANCE_ENUMS,
  type GovernanceLog,
  type GovernanceReader,
  type GovernanceSource,
  PROPOSALS_SCAN_MAX,
} from "./reader.js";
import { orgIdToBytes32 } from "./slots.js";
import { SYSTEM_CONTRACTS } from "./systemContracts.js";

const validators = [0, 1, 2, 3].map(account);
const [m0, m1, m2, m3] = validators as [Account, Account, Account, Account];
const outsider = account(60);
const GENESIS_MS = 1_700_000_000_000;
const org = (id: string) => bytesToHex(orgIdToBytes32(id));
const zero32 = bytesToHex(new Uint8Array(32));
const q = (value: number | bigint) => `0x${value.toString(16)}`;

/**
 * A GovChain whose blocks are recorded: each height's state root (for calls against older states) and every log
 * with its transaction's hash, sender and block-wide index, which is what a node's `GovernanceSource` serves.
 */
class RecordedChain {
  readonly roots: Uint8Array[];
  readonly logs: GovernanceLog[] = [];
  readonly #nonces = new Map<string, bigint>();
  calls = 0;
  logQueries = 0;

  constructor(readonly chain: GovChain) {
    this.roots = [chain.state.root];
  }

  static async create(governance?: GovernanceGenesis): Promise<RecordedChain> {
    return new RecordedChain(
      await GovChain.create({
        validators,
        funded: [outsider],
        ...(governance === undefined ? {} : { governance }),
      }),
    );
  }

  get height(): number {
    return this.chain.height;
  }

  tx(
    from: Account,
    contract: SystemContractName,
    functionName: string,
    args: readonly unknown[],
  ): VerifiedTx {
    const key = bytesToHex(from.address);
    const nonce = this.#nonces.get(key) ?? 0n;
    this.#nonces.set(key, nonce + 1n);
    const tx = signTx(
      {
        type: TxType.feeMarket,
        chainId: CHAIN_ID,
        nonce,
        gasPrice: 0n,
        maxFeePerGas: 0n,
        maxPriorityFeePerGas: 0n,
        gasLimit: 5_000_000n,
        to: SYSTEM_ADDRESSES[contract],
        value: 0n,
        data: encode(contract, functionName, args),
        accessList: [],
      },
      from.key,
      suite,
    );
    return { ...tx, sender: from.address };
  }

  async block(txs: readonly VerifiedTx[] = []): Promise<TxResult[]> {
    const results = await this.chain.block(txs);
    this.roots.push(this.chain.state.root);
    let logIndex = 0;
    results.forEach((result, i) => {
      for (const log of result.logs) {
        this.logs.push({
          ...log,
          blockNumber: this.chain.height,
          transactionHash: txs[i]!.hash,
          logIndex: logIndex++,
          sender: txs[i]!.sender,
        });
      }
    });
    return results;
  }

  async mine(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await this.block();
  }

  /** One transaction in a block of its own; fails the test if it reverts. */
  async send(
    from: Account,
    contract: SystemContractName,
    functionName: string,
    args: readonly unknown[] = [],
  ): Promise<{ result: TxResult; hash: string }> {
    const tx = this.tx(from, contract, functionName, args);
    const [result] = await this.block([tx]);
    expect(result!.status, `${contract}.${functionName} reverted: ${JSON.stringify(result!.error)}`).toBe(1);
    return { result: result!, hash: bytesToHex(tx.hash) };
  }

  async propose(
    from: Account,
    contract: SystemContractName,
    functionName: string,
    args: readonly unknown[],
    options: { description?: string; votingBlocks?: bigint } = {},
  ): Promise<{ id: bigint; hash: string }> {
    const { result, hash } = await this.send(from, "Committee", "propose", [
      SYSTEM_ADDRESSES_HEX[contract],
      bytesToHex(encode(contract, functionName, args)),
      options.description ?? `${contract}.${functionName}`,
      options.votingBlocks ?? 100n,
    ]);
    return { id: result.events.find((e) => e.name === "ProposalCreated")!.args.id as bigint, hash };
  }

  vote(member: Account, id: bigint, approve = true) {
    return this.send(member, "Committee", "vote", [id, approve]);
  }

  /** Proposes a call and has the first three members vote for it, which executes it. */
  async enact(contract: SystemContractName, functionName: string, args: readonly unknown[]): Promise<bigint> {
    const { id } = await this.propose(m0, contract, functionName, args);
    for (const member of [m0, m1, m2]) await this.vote(member, id);
    return id;
  }

  readonly source: GovernanceSource = {
    call: async (to, data, height) => {
      this.calls++;
      const root = this.roots[height];
      if (root === undefined) throw new Error(`no block ${height}`);
      const outcome = await this.chain.executor.call({
        base: this.chain.state.at(root),
        env: {
          height,
          timestampMs: GENESIS_MS + height * 1000,
          proposer: new Uint8Array(20),
          gasLimit: 100_000_000n,
        },
        request: { to, data },
      });
      if (outcome.kind !== "success")
        throw new Error(`the call to ${bytesToHex(to)} failed: ${outcome.kind}`);
      return outcome.returnData;
    },
    logs: async (filter) => {
      this.logQueries++;
      expect(filter.toHeight).toBeLessThanOrEqual(this.height);
      const found = this.logs.filter(
        (log) =>
          log.blockNumber >= filter.fromHeight &&
          log.blockNumber <= filter.toHeight &&
          filter.addresses.some((a) => equalBytes(a, log.address)) &&
          (filter.topics ?? []).every(
            (wanted, i) =>
              wanted === null ||
              (log.topics[i] !== undefined && wanted.some((t) => equalBytes(t, log.topics[i]!))),
          ),
      );
      if (filter.logsMax !== undefined && found.length > filter.logsMax) throw new Error("too many logs");
      return found;
    },
  };

  reader(): GovernanceReader {
    return createGovernanceReader(this.source);
  }
}

const addOrg = (id: string) => ["addOrg", [org(id), `The ${id}`, zero32]] as const;

describe("the governance reader: committee and proposals", () => {
  it("reads the committee at any height", async () => {
    const rc = await RecordedChain.create();
    const reader = rc.reader();
    expect(await reader.committee(0)).toEqual({
      members: validators.map((v) => ({ address: v.hex, weight: "0x1" })),
      totalWeight: "0x4",
      participationBps: q(6667),
      approvalBps: q(5001),
      version: "0x1",
      proposalCount: "0x0",
    });
    await rc.enact("Committee", "addMember", [outsider.hex, 3n]);
    const now = await reader.committee(rc.height);
    expect(now.members).toContainEqual({ address: outsider.hex, weight: "0x3" });
    expect(now).toMatchObject({ totalWeight: "0x7", version: "0x2", proposalCount: "0x1" });
    // Older states are still read as they were.
    expect((await reader.committee(1)).totalWeight).toBe("0x4");
  });

  it("follows a proposal from pending to executed, with its description, creation and votes", async () => {
    const rc = await RecordedChain.create();
    const reader = rc.reader();
    const { id, hash } = await rc.propose(m0, "OrgRegistry", ...addOrg("bank"), {
      description: "admit the bank",
    });
    const createdAt = rc.height;
    const pending = await reader.proposal(id, rc.height);
    expect(pending).toEqual({
      id: "0x1",
      proposer: m0.hex,
      target: SYSTEM_ADDRESSES_HEX.OrgRegistry,
      data: bytesToHex(encode("OrgRegistry", ...addOrg("bank"))),
      description: "admit the bank",
      deadline: q(createdAt + 100),
      committeeVersion: "0x1",
      state: "pending",
      yes: "0x0",
      no: "0x0",
      createdAt: { blockNumber: q(createdAt), transactionHash: hash },
      votes: [],
    });

    const first = await rc.vote(m1, id);
    const second = await rc.vote(m0, id, true);
    const afterTwo = rc.height;
    const deciding = await rc.vote(m2, id);
    expect(deciding.result.events.map((e) => e.name)).toContain("ProposalExecuted");

    const executed = await reader.proposal(id, rc.height);
    expect(executed).toMatchObject({ state: "executed", yes: "0x3", no: "0x0" });
    expect(executed!.votes).toEqual([
      {
        voter: m1.hex,
        approve: true,
        weight: "0x1",
        blockNumber: q(createdAt + 1),
        transactionHash: first.hash,
      },
      {
        voter: m0.hex,
        approve: true,
        weight: "0x1",
        blockNumber: q(createdAt + 2),
        transactionHash: second.hash,
      },
      {
        voter: m2.hex,
        approve: true,
        weight: "0x1",
        blockNumber: q(createdAt + 3),
        transactionHash: deciding.hash,
      },
    ]);
    // At an older height the proposal is what it was then, even after the reader cached its final votes.
    const earlier = await reader.proposal(id, afterTwo);
    expect(earlier).toMatchObject({ state: "pending", yes: "0x2" });
    expect(earlier!.votes.map((v) => v.voter)).toEqual([m1.hex, m0.hex]);
    // Before it existed, and for ids never used, there is no proposal.
    expect(await reader.proposal(id, createdAt - 1)).toBeNull();
    expect(await reader.proposal(0n, rc.height)).toBeNull();
    expect(await reader.proposal(2n, rc.height)).toBeNull();
  });

  it("reports rejected, expired and outdated proposals", async () => {
    const rc = await RecordedChain.create();
    const reader = rc.reader();
    const rejected = (await rc.propose(m0, "OrgRegistry", ...addOrg("a"))).id;
    await rc.vote(m0, rejected, false);
    await rc.vote(m1, rejected, false);
    expect(await reader.proposal(rejected, rc.height)).toMatchObject({
      state: "rejected",
      yes: "0x0",
      no: "0x2",
      votes: [
        { voter: m0.hex, approve: false },
        { voter: m1.hex, approve: false },
      ],
    });

    const expiring = (await rc.propose(m0, "OrgRegistry", ...addOrg("b"), { votingBlocks: 2n })).id;
    const deadline = rc.height + 2;
    await rc.vote(m3, expiring);
    await rc.mine(1);
    expect((await reader.proposal(expiring, deadline))!.state).toBe("pending");
    await rc.mine(1);
    const expired = await reader.proposal(expiring, rc.height);
    expect(expired).toMatchObject({ state: "expired", deadline: q(deadline), yes: "0x1" });
    expect(expired!.votes.map((v) => v.voter)).toEqual([m3.hex]);

    const open = (await rc.propose(m0, "OrgRegistry", ...addOrg("c"))).id;
    await rc.vote(m0, open);
    await rc.enact("Committee", "setThresholds", [6000, 6000]);
    expect(await reader.proposal(open, rc.height)).toMatchObject({
      state: "outdated",
      committeeVersion: "0x1",
      yes: "0x1",
    });
  });

  it("finds a proposal's creation and votes far from its deadline with a bounded number of calls", async () => {
    const rc = await RecordedChain.create();
    await rc.mine(40);
    const { id, hash } = await rc.propose(m0, "OrgRegistry", ...addOrg("bank"), {
      votingBlocks: 2000n,
      description: "long vote",
    });
    const createdAt = rc.height;
    await rc.mine(700);
    const early = await rc.vote(m1, id, false);
    await rc.mine(900);
    const late = await rc.vote(m2, id);
    await rc.mine(300);
    const reader = rc.reader();
    rc.calls = 0;
    rc.logQueries = 0;
    const proposal = await reader.proposal(id, rc.height);
    expect(proposal).toMatchObject({
      description: "long vote",
      createdAt: { blockNumber: q(createdAt), transactionHash: hash },
      state: "pending",
      yes: "0x1",
      no: "0x1",
    });
    expect(proposal!.votes.map((v) => [v.voter, v.blockNumber, v.transactionHash])).toEqual([
      [m1.hex, q(createdAt + 701), early.hash],
      [m2.hex, q(createdAt + 1602), late.hash],
    ]);
    // A scan of every block would take thousands of calls or log queries; splitting the range takes a few dozen.
    expect(rc.calls).toBeLessThan(60);
    expect(rc.logQueries).toBeLessThan(10);
    // What never changes is remembered: creation is not searched again.
    rc.calls = 0;
    await reader.proposal(id, rc.height);
    expect(rc.calls).toBeLessThan(30);
  });

  it("lists proposals newest first, from an id, by state, up to a count", async () => {
    const rc = await RecordedChain.create();
    const reader = rc.reader();
    const ids: bigint[] = [];
    for (const name of ["a", "b", "c", "d", "e"])
      ids.push((await rc.propose(m0, "OrgRegistry", ...addOrg(name))).id);
    // Reject b and d.
    for (const id of [ids[1]!, ids[3]!]) {
      await rc.vote(m0, id, false);
      await rc.vote(m1, id, false);
    }
    const head = rc.height;
    expect((await reader.proposals({ count: 20 }, head)).map((p) => p.id)).toEqual([
      "0x5",
      "0x4",
      "0x3",
      "0x2",
      "0x1",
    ]);
    expect((await reader.proposals({ count: 2 }, head)).map((p) => p.id)).toEqual(["0x5", "0x4"]);
    expect((await reader.proposals({ count: 2, fromId: 3n }, head)).map((p) => p.id)).toEqual(["0x3", "0x2"]);
    expect((await reader.proposals({ count: 20, fromId: 99n }, head)).length).toBe(5);
    expect((await reader.proposals({ count: 20, state: "rejected" }, head)).map((p) => p.id)).toEqual([
      "0x4",
      "0x2",
    ]);
    expect(
      (await reader.proposals({ count: 20, state: "pending", fromId: 4n }, head)).map((p) => [p.id, p.state]),
    ).toEqual([
      ["0x3", "pending"],
      ["0x1", "pending"],
    ]);
    expect(await reader.proposals({ count: 20, state: "executed" }, head)).toEqual([]);
    // At a height before any proposal, none.
    expect(await reader.proposals({ count: 20 }, 0)).toEqual([]);
    expect(PROPOSALS_SCAN_MAX).toBeGreaterThanOrEqual(100);
  });
});

describe("the governance reader: registries", () => {
  const caFingerprint = `0x${"ab".repeat(32)}`;
  const governance = (): GovernanceGenesis => ({
    ...defaultGovernanceGenesis(validators),
    organizations: [
      { id: "bank", name: "Bank of Example", caFingerprint: new Uint8Array(32).fill(0xab) },
      { id: "notary", name: "Notary Office" },
      { id: "org2", name: "org2" },
      { id: "org3", name: "org3" },
    ],
    validatorOrgs: ["bank", "notary", "org2", "org3"],
    transact: { mode: "denylist", allowlist: [], denylist: [outsider.address] },
  });

  it("reads organizations, nodes, account statuses, permissions and chain parameters", async () => {
    const rc = await RecordedChain.create(governance());
    const reader = rc.reader();
    expect(await reader.organizations(0)).toEqual([
      { id: "bank", name: "Bank of Example", caFingerprint },
      { id: "notary", name: "Notary Office", caFingerprint: null },
      { id: "org2", name: "org2", caFingerprint: null },
      { id: "org3", name: "org3", caFingerprint: null },
    ]);
    expect(await reader.nodes(0)).toEqual(
      validators.map((v, i) => ({
        address: v.hex,
        org: ["bank", "notary", "org2", "org3"][i],
        role: "validator",
        weight: "0x1",
        publicKey: bytesToHex(v.publicKey),
      })),
    );
    expect(await reader.permissions(0)).toEqual({
      deploy: { mode: "open", allowlist: [], denylist: [] },
      transact: { mode: "denylist", allowlist: [], denylist: [outsider.hex] },
    });
    expect(await reader.chainParams(0)).toEqual({
      blockIntervalMs: q(1000),
      blockGasLimit: q(100_000_000),
      poolTxCountMax: "0x0",
      poolPerSenderMax: "0x0",
    });
    expect(await reader.accountStatus(outsider.address, 0)).toBe("normal");

    await rc.enact("AccountStatus", "freeze", [outsider.hex]);
    await rc.enact("NodeRegistry", "setNodeRole", [m3.hex, 1]);
    await rc.enact("Permissions", "setMode", [0, 1]);
    await rc.enact("Permissions", "setListed", [0, [m0.hex, m1.hex], true]);
    await rc.enact("ChainParams", "setParam", [3, 64n]);
    const head = rc.height;
    expect(await reader.accountStatus(outsider.address, head)).toBe("frozen");
    expect((await reader.nodes(head)).find((n) => n.address === m3.hex)?.role).toBe("observer");
    expect((await reader.permissions(head)).deploy).toEqual({
      mode: "allowlist",
      allowlist: [m0.hex, m1.hex],
      denylist: [],
    });
    expect((await reader.chainParams(head)).poolPerSenderMax).toBe(q(64));
  });

  it("pages through a permission list longer than one getList call returns", async () => {
    const rc = await RecordedChain.create();
    const listed = Array.from(
      { length: 300 },
      (_, i) => `0x${"ee".repeat(18)}${(i + 1).toString(16).padStart(4, "0")}`,
    );
    for (let i = 0; i < listed.length; i += 64) {
      await rc.enact("Permissions", "setListed", [3, listed.slice(i, i + 64), true]);
    }
    expect((await rc.reader().permissions(rc.height)).transact.denylist).toEqual(listed);
  });
});

describe("the governance reader: history", () => {
  it("decodes every event in chain order, naming enum values, with filters by proposal and account", async () => {
    const rc = await RecordedChain.create();
    const reader = rc.reader();
    const start = rc.height + 1;
    const bank = (await rc.propose(m0, "OrgRegistry", ...addOrg("bank"))).id;
    const freeze = (await rc.propose(m1, "AccountStatus", "freeze", [outsider.hex])).id;
    await rc.vote(m0, bank);
    await rc.vote(m1, bank);
    for (const member of [m0, m2, m3]) await rc.vote(member, freeze);
    const deciding = await rc.vote(m2, bank);
    const beforeEnacts = rc.height;
    await rc.enact("Permissions", "setMode", [1, 2]);
    await rc.enact("ChainParams", "setParam", [1, 5_000_000n]);

    const all = await reader.history({ fromHeight: start, toHeight: rc.height });
    // Chain order: by block, then by index in the block.
    const positions = all.map((e) => [Number(e.blockNumber), Number(e.logIndex)]);
    expect(positions).toEqual([...positions].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!));
    expect(all[0]).toEqual({
      blockNumber: q(start),
      transactionHash: all[0]!.transactionHash,
      logIndex: "0x0",
      sender: m0.hex,
      contract: "Committee",
      event: "ProposalCreated",
      args: {
        id: "0x1",
        proposer: m0.hex,
        target: SYSTEM_ADDRESSES_HEX.OrgRegistry,
        data: bytesToHex(encode("OrgRegistry", ...addOrg("bank"))),
        description: "OrgRegistry.addOrg",
        deadline: q(start + 100),
      },
    });
    const find = (event: string) => all.find((e) => e.event === event)!;
    expect(find("StatusChanged")).toMatchObject({
      contract: "AccountStatus",
      sender: m3.hex,
      args: { account: outsider.hex, from: "normal", to: "frozen" },
    });
    expect(find("ModeChanged").args).toEqual({ policy: "transact", from: "open", to: "denylist" });
    expect(find("ParamChanged").args).toEqual({
      param: "blockGasLimit",
      from: q(100_000_000),
      to: q(5_000_000),
    });
    expect(find("OrgAdded").args).toEqual({ id: org("bank"), name: "The bank", caFingerprint: zero32 });
    expect(find("Voted").args).toEqual({ id: "0x1", voter: m0.hex, approve: true, weight: "0x1" });

    // A proposal's own events, and what its execution emitted, but nothing of the other proposals.
    const ofBank = await reader.history({ fromHeight: start, toHeight: rc.height, proposalId: bank });
    expect(ofBank.map((e) => `${e.contract}.${e.event}`)).toEqual([
      "Committee.ProposalCreated",
      "Committee.Voted",
      "Committee.Voted",
      "Committee.Voted",
      "Committee.ProposalPassed",
      "OrgRegistry.OrgAdded",
      "Committee.ProposalExecuted",
    ]);
    expect(ofBank.at(-1)!.transactionHash).toBe(deciding.hash);
    expect(ofBank.at(-1)!.sender).toBe(m2.hex);

    // The outsider sent nothing, but is named by the freeze proposal's events.
    const ofOutsider = await reader.history({
      fromHeight: start,
      toHeight: beforeEnacts,
      account: outsider.address,
    });
    expect(ofOutsider.map((e) => e.event)).toEqual(["StatusChanged"]);
    // m1 sent two transactions (a proposal and a vote) and is named by nothing else.
    const ofM1 = await reader.history({ fromHeight: start, toHeight: beforeEnacts, account: m1.address });
    expect(ofM1.map((e) => [e.event, e.sender])).toEqual([
      ["ProposalCreated", m1.hex],
      ["Voted", m1.hex],
    ]);
    // Both filters at once, and a range that misses everything.
    expect(
      (
        await reader.history({
          fromHeight: start,
          toHeight: rc.height,
          proposalId: freeze,
          account: m3.address,
        })
      ).map((e) => e.event),
    ).toEqual(["Voted", "ProposalPassed", "StatusChanged", "ProposalExecuted"]);
    expect(await reader.history({ fromHeight: 0, toHeight: start - 1 })).toEqual([]);
  });

  it("names every enum of every system contract's ABI", () => {
    const enums = new Set<string>();
    const visit = (parameter: AbiParameter) => {
      if (parameter.internalType?.startsWith("enum "))
        enums.add(parameter.internalType.replace(/\[\d*\]$/, ""));
      if ("components" in parameter) for (const c of parameter.components) visit(c);
    };
    for (const { artifact } of Object.values(SYSTEM_CONTRACTS)) {
      for (const item of artifact.abi as readonly { inputs?: AbiParameter[]; outputs?: AbiParameter[] }[]) {
        for (const p of [...(item.inputs ?? []), ...(item.outputs ?? [])]) visit(p);
      }
    }
    expect(enums.size).toBeGreaterThanOrEqual(7);
    expect([...enums].filter((name) => GOVERNANCE_ENUMS[name] === undefined)).toEqual([]);
  });
});
