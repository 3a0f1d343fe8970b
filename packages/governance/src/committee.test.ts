import { bytesToHex, hexToBytes } from "@charter/utils";
import { describe, expect, it } from "vitest";
import {
  account,
  decodeError,
  enact,
  GovChain,
  propose,
  SYSTEM_ADDRESSES_HEX,
  type TxResult,
} from "../test/govChain.js";
import { COMMITTEE_ADDRESS, ORG_REGISTRY_ADDRESS } from "./addresses.js";
import { ProposalState, VoteChoice } from "./constants.js";
import { defaultGovernanceGenesis, type GovernanceGenesis } from "./genesis.js";
import { orgIdToBytes32 } from "./slots.js";

const validators = [0, 1, 2, 3].map(account);
const [m0, m1, m2, m3] = validators as [
  ReturnType<typeof account>,
  ReturnType<typeof account>,
  ReturnType<typeof account>,
  ReturnType<typeof account>,
];
const outsider = account(50);
const newcomer = account(51);
const org = (id: string) => bytesToHex(orgIdToBytes32(id));

function governance(overrides: Partial<GovernanceGenesis> = {}): GovernanceGenesis {
  return { ...defaultGovernanceGenesis(validators), ...overrides };
}

const names = (result: TxResult) => result.events.map((e) => `${e.contract}.${e.name}`);
const vote = (chain: GovChain, member: ReturnType<typeof account>, id: bigint, approve = true) =>
  chain.transact(member, "Committee", "vote", [id, approve]);
const stateOf = async (chain: GovChain, id: bigint) =>
  Number(await chain.view<number>("Committee", "stateOf", [id]));
const isOrg = (chain: GovChain, id: string) => chain.view<boolean>("OrgRegistry", "isOrg", [org(id)]);
const addOrg = ["addOrg", [org("bank"), "Bank of Example", bytesToHex(new Uint8Array(32))]] as const;

describe("Committee proposals", () => {
  it("passes at the thresholds and executes the call in the deciding vote, with an event for every step", async () => {
    // Four members of weight 1, participation 6667 and approval 5001: three yes votes are needed.
    const chain = await GovChain.create({ validators });
    const { id, result } = await propose(chain, m0, "OrgRegistry", ...addOrg, {
      description: "admit the bank",
    });
    expect(result.status).toBe(1);
    expect(id).toBe(1n);
    const created = result.events.find((e) => e.name === "ProposalCreated")!;
    expect(created.args).toMatchObject({
      id: 1n,
      proposer: m0.hex,
      target: SYSTEM_ADDRESSES_HEX.OrgRegistry,
      description: "admit the bank",
      deadline: BigInt(chain.height) + 100n,
    });
    expect(await stateOf(chain, id)).toBe(ProposalState.pending);

    const first = await vote(chain, m0, id);
    expect(names(first)).toEqual(["Committee.Voted"]);
    expect(first.events[0]!.args).toMatchObject({ id, voter: m0.hex, approve: true, weight: 1n });
    expect(names(await vote(chain, m1, id))).toEqual(["Committee.Voted"]);
    // yes * 10^4 = 20000 < 5001 * 4: not yet.
    expect(await isOrg(chain, "bank")).toBe(false);
    expect(await stateOf(chain, id)).toBe(ProposalState.pending);

    const deciding = await vote(chain, m2, id);
    expect(deciding.status).toBe(1);
    expect(names(deciding)).toEqual([
      "Committee.Voted",
      "Committee.ProposalPassed",
      "OrgRegistry.OrgAdded",
      "Committee.ProposalExecuted",
    ]);
    expect(deciding.events[1]!.args).toMatchObject({ id, yes: 3n, no: 0n });
    expect(deciding.events[2]!.args).toMatchObject({ id: org("bank"), name: "Bank of Example" });
    expect(await isOrg(chain, "bank")).toBe(true);
    expect(await stateOf(chain, id)).toBe(ProposalState.executed);
    expect(Number(await chain.view("Committee", "voteOf", [id, m2.hex]))).toBe(VoteChoice.yes);

    // The proposal is closed: a late vote is refused and nothing runs twice.
    const late = await vote(chain, m3, id);
    expect(late.status).toBe(0);
    expect(late.error).toEqual({ name: "ProposalClosed", args: [id, ProposalState.executed] });
  });

  it("passes exactly at the approval threshold", async () => {
    // approval 7500 of weight 4: yes * 10^4 >= 30000 holds with exactly three yes votes.
    const chain = await GovChain.create({ validators, governance: governance({ approvalBps: 7500 }) });
    const { id } = await propose(chain, m0, "OrgRegistry", ...addOrg);
    await vote(chain, m0, id);
    await vote(chain, m1, id);
    expect(names(await vote(chain, m2, id))).toContain("Committee.ProposalExecuted");
  });

  it("does not pass below the participation threshold, whatever the approval", async () => {
    // Everyone must take part (10000), and more than half approve: three yes votes are not enough until the
    // fourth member votes, even against.
    const chain = await GovChain.create({ validators, governance: governance({ participationBps: 10_000 }) });
    const { id } = await propose(chain, m0, "OrgRegistry", ...addOrg);
    for (const member of [m0, m1, m2])
      expect(names(await vote(chain, member, id))).toEqual(["Committee.Voted"]);
    expect(await stateOf(chain, id)).toBe(ProposalState.pending);
    expect(await isOrg(chain, "bank")).toBe(false);
    const last = await vote(chain, m3, id, false);
    expect(names(last)).toEqual([
      "Committee.Voted",
      "Committee.ProposalPassed",
      "OrgRegistry.OrgAdded",
      "Committee.ProposalExecuted",
    ]);
    expect(last.events[1]!.args).toMatchObject({ yes: 3n, no: 1n });
  });

  it("rejects a proposal as soon as approval becomes unreachable", async () => {
    const chain = await GovChain.create({ validators });
    const { id } = await propose(chain, m0, "OrgRegistry", ...addOrg);
    expect(names(await vote(chain, m0, id, false))).toEqual(["Committee.Voted"]);
    // Two no votes of four: at most two yes votes remain, below 5001 bps.
    const deciding = await vote(chain, m1, id, false);
    expect(names(deciding)).toEqual(["Committee.Voted", "Committee.ProposalRejected"]);
    expect(deciding.events[1]!.args).toMatchObject({ id, yes: 0n, no: 2n });
    expect(await stateOf(chain, id)).toBe(ProposalState.rejected);
    const late = await vote(chain, m2, id);
    expect(late.error).toEqual({ name: "ProposalClosed", args: [id, ProposalState.rejected] });
    expect(await isOrg(chain, "bank")).toBe(false);
  });

  it("expires after its deadline: a late vote reverts with ProposalExpired and the call never runs", async () => {
    const chain = await GovChain.create({ validators });
    const { id, result } = await propose(chain, m0, "OrgRegistry", ...addOrg, { votingBlocks: 3n });
    const deadline = BigInt(chain.height) + 3n;
    expect(result.events[0]!.args.deadline).toBe(deadline);
    expect((await vote(chain, m0, id)).status).toBe(1);
    await chain.mine(Number(deadline) - chain.height - 1);
    // The deadline block itself still takes votes.
    const atDeadline = await vote(chain, m1, id);
    expect(BigInt(chain.height)).toBe(deadline);
    expect(atDeadline.status).toBe(1);
    const expired = await vote(chain, m2, id);
    expect(expired.status).toBe(0);
    expect(expired.error).toEqual({ name: "ProposalExpired", args: [id, deadline] });
    expect(await stateOf(chain, id)).toBe(ProposalState.expired);
    expect(await isOrg(chain, "bank")).toBe(false);
  });

  it("counts one vote per member", async () => {
    const chain = await GovChain.create({ validators });
    const { id } = await propose(chain, m0, "OrgRegistry", ...addOrg);
    await vote(chain, m0, id);
    const again = await vote(chain, m0, id, false);
    expect(again.error).toEqual({ name: "AlreadyVoted", args: [id, m0.hex] });
    const proposal = await chain.view<{ yes: bigint; no: bigint }>("Committee", "getProposal", [id]);
    expect([proposal.yes, proposal.no]).toEqual([1n, 0n]);
  });

  it("refuses proposals and votes from non-members", async () => {
    const chain = await GovChain.create({ validators, funded: [outsider] });
    const attempt = await propose(chain, outsider, "OrgRegistry", ...addOrg);
    expect(attempt.result.error).toEqual({ name: "NotMember", args: [outsider.hex] });
    const { id } = await propose(chain, m0, "OrgRegistry", ...addOrg);
    expect((await vote(chain, outsider, id)).error).toEqual({ name: "NotMember", args: [outsider.hex] });
  });

  it("checks what is proposed: a voting period in bounds, a contract target, an existing proposal", async () => {
    const chain = await GovChain.create({ validators });
    const zero = await propose(chain, m0, "OrgRegistry", ...addOrg, { votingBlocks: 0n });
    expect(zero.result.error).toEqual({ name: "InvalidVotingPeriod", args: [0n, 5_000_000n] });
    const long = await propose(chain, m0, "OrgRegistry", ...addOrg, { votingBlocks: 5_000_001n });
    expect(long.result.error?.name).toBe("InvalidVotingPeriod");
    const toAccount = await chain.transact(m0, "Committee", "propose", [outsider.hex, "0x", "", 10n]);
    expect(toAccount.error).toEqual({ name: "TargetNotContract", args: [outsider.hex] });
    expect((await vote(chain, m0, 7n)).error).toEqual({ name: "UnknownProposal", args: [7n] });
  });

  it("reverts the deciding vote when the call fails, so the proposal stays open and is never marked executed", async () => {
    const chain = await GovChain.create({ validators });
    // A node of an organization that does not exist: NodeRegistry refuses it.
    const node = [
      newcomer.hex,
      org("nobody"),
      2,
      1n,
      bytesToHex(newcomer.publicKey.slice(1, 33)),
      bytesToHex(newcomer.publicKey.slice(33)),
    ];
    const { id } = await propose(chain, m0, "NodeRegistry", "addNode", [node]);
    await vote(chain, m0, id);
    await vote(chain, m1, id);
    const deciding = await vote(chain, m2, id);
    expect(deciding.status).toBe(0);
    expect(deciding.error?.name).toBe("ExecutionFailed");
    expect(deciding.error?.args[0]).toBe(id);
    expect(deciding.logs).toEqual([]);
    expect(await stateOf(chain, id)).toBe(ProposalState.pending);
    expect(Number(await chain.view("Committee", "voteOf", [id, m2.hex]))).toBe(VoteChoice.none);
  });
});

describe("the committee governs itself by proposal", () => {
  it("adds, reweights and removes members and changes thresholds; every change closes open proposals", async () => {
    const chain = await GovChain.create({ validators, funded: [newcomer] });
    // Open proposal that the committee change will make outdated.
    const { id: pending } = await propose(chain, m1, "OrgRegistry", ...addOrg);
    await vote(chain, m1, pending);

    const added = await enact(chain, [m0, m1, m2], "Committee", "addMember", [newcomer.hex, 2n]);
    expect(added.events.map((e) => e.name)).toEqual([
      "Voted",
      "ProposalPassed",
      "MemberAdded",
      "ProposalExecuted",
    ]);
    expect(added.events[2]!.args).toMatchObject({ member: newcomer.hex, weight: 2n });
    expect(await chain.view("Committee", "totalWeight")).toBe(6n);
    expect(await chain.view("Committee", "version")).toBe(2);

    // The proposal made under the old committee can no longer be voted on.
    expect(await stateOf(chain, pending)).toBe(ProposalState.outdated);
    expect((await vote(chain, m2, pending)).error).toEqual({ name: "ProposalOutdated", args: [pending] });

    // Total weight 6: participation needs 4.0002 (so 5) and approval 3.0006 (so 4); newcomer (2), m0 and m1 make 4
    // yes votes, still below participation, and m2's vote decides.
    const { id: reweight } = await propose(chain, newcomer, "Committee", "setMemberWeight", [m3.hex, 3n]);
    for (const member of [newcomer, m0, m1])
      expect(names(await vote(chain, member, reweight))).toEqual(["Committee.Voted"]);
    const reweighted = await vote(chain, m2, reweight);
    expect(reweighted.events.find((e) => e.name === "MemberWeightChanged")!.args).toMatchObject({
      member: m3.hex,
      from: 1n,
      to: 3n,
    });
    // Total weight 8: m3 (3), newcomer (2) and m0 (1) give 6 votes, above 5.3336 and 4.0008.
    const thresholds = await enact(chain, [m3, newcomer, m0], "Committee", "setThresholds", [8000, 6000]);
    expect(thresholds.events.find((e) => e.name === "ThresholdsChanged")!.args).toEqual({
      participationBps: 8000,
      approvalBps: 6000,
    });
    expect([
      await chain.view("Committee", "participationBps"),
      await chain.view("Committee", "approvalBps"),
    ]).toEqual([8000, 6000]);
    // Participation 8000 of 8 needs 7 votes.
    const removed = await enact(chain, [m3, newcomer, m0, m1], "Committee", "removeMember", [m2.hex]);
    expect(removed.events.find((e) => e.name === "MemberRemoved")!.args).toEqual({ member: m2.hex });
    const [members, weights] = await chain.view<[string[], bigint[]]>("Committee", "getMembers");
    expect(new Map(members.map((m, i) => [m.toLowerCase(), weights[i]]))).toEqual(
      new Map([
        [m0.hex, 1n],
        [m1.hex, 1n],
        [m3.hex, 3n],
        [newcomer.hex, 2n],
      ]),
    );
    expect(await chain.view("Committee", "isMember", [m2.hex])).toBe(false);
    expect((await propose(chain, m2, "OrgRegistry", ...addOrg)).result.error?.name).toBe("NotMember");
  });

  it("refuses thresholds out of range and removing the last member, by failing the deciding vote", async () => {
    const solo = account(9);
    const chain = await GovChain.create({
      validators,
      governance: governance({ committee: [{ address: solo.address, weight: 1 }] }),
      funded: [solo],
    });
    for (const [fn, args, inner] of [
      ["setThresholds", [6667, 5000], "InvalidThresholds"],
      ["setThresholds", [0, 6000], "InvalidThresholds"],
      ["setThresholds", [10_001, 6000], "InvalidThresholds"],
      ["removeMember", [solo.hex], "LastMember"],
      ["addMember", [newcomer.hex, 0n], "InvalidWeight"],
      ["addMember", [solo.hex, 1n], "MemberExists"],
    ] as const) {
      const { id } = await propose(chain, solo, "Committee", fn, args);
      const result = await vote(chain, solo, id);
      expect(result.error?.name, fn).toBe("ExecutionFailed");
      const reason = result.error!.args[1] as string;
      const decoded = decodeError(hexToBytes(reason));
      expect(decoded?.name, `${fn}(${args.join(", ")})`).toBe(inner);
    }
  });

  it("accepts changes of the committee only from the Committee itself", async () => {
    const chain = await GovChain.create({ validators });
    for (const [fn, args] of [
      ["addMember", [newcomer.hex, 1n]],
      ["removeMember", [m1.hex]],
      ["setMemberWeight", [m1.hex, 2n]],
      ["setThresholds", [5000, 6000]],
    ] as const) {
      const result = await chain.transact(m0, "Committee", fn, args);
      expect(result.error, fn).toEqual({ name: "OnlyCommittee", args: [m0.hex] });
    }
    expect(bytesToHex(COMMITTEE_ADDRESS)).toBe(SYSTEM_ADDRESSES_HEX.Committee);
    expect(bytesToHex(ORG_REGISTRY_ADDRESS)).toBe(SYSTEM_ADDRESSES_HEX.OrgRegistry);
  });
});
