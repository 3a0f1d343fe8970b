import { bytesToHex, hexToBytes } from "@charter/utils";
import { type Abi, toFunctionSelector } from "viem";
import { describe, expect, it } from "vitest";
import {
  ABIS,
  type Account,
  account,
  decodeError,
  GovChain,
  propose,
  SYSTEM_ADDRESSES_HEX,
  type TxResult,
} from "../test/govChain.js";
import type { SystemContractName } from "./addresses.js";
import { AccountStatusCode, ChainParam, NodeRole, PermissionList, Policy, PolicyMode } from "./constants.js";
import { defaultGovernanceGenesis, type GovernanceGenesis } from "./genesis.js";
import { orgIdToBytes32 } from "./slots.js";

const validators = [0, 1, 2, 3].map(account);
const admin = account(10);
const alice = account(20);
const bob = account(21);
const candidate = account(30);
const org = (id: string) => bytesToHex(orgIdToBytes32(id));
const key = (a: Account) =>
  [bytesToHex(a.publicKey.slice(1, 33)), bytesToHex(a.publicKey.slice(33))] as const;
const nodeInit = (a: Account, orgId: string, role: number, weight: bigint) => [
  [a.hex, org(orgId), role, weight, ...key(a)],
];

/** One committee member of weight 1: a proposal executes on its one vote. */
function soloGovernance(): GovernanceGenesis {
  return { ...defaultGovernanceGenesis(validators), committee: [{ address: admin.address, weight: 1 }] };
}

async function soloChain(): Promise<GovChain> {
  return GovChain.create({ validators, governance: soloGovernance(), funded: [admin, alice, bob] });
}

/**
 * Proposes and votes with the single member; returns the vote. A call that reverts fails the vote with
 * `ExecutionFailed`; `inner` is then the registry's own error.
 */
async function govern(
  chain: GovChain,
  contract: SystemContractName,
  fn: string,
  args: readonly unknown[] = [],
): Promise<TxResult & { inner?: string }> {
  const { id, result } = await propose(chain, admin, contract, fn, args);
  expect(result.status, `propose ${fn}`).toBe(1);
  const vote = await chain.transact(admin, "Committee", "vote", [id, true]);
  if (vote.status === 1) return vote;
  const inner = decodeError(hexToBytes(vote.error!.args[1] as string))?.name;
  return { ...vote, ...(inner ? { inner } : {}) };
}

/** The events of a vote that come from the registry (not the Committee's own). */
const registryEvents = (result: TxResult) =>
  result.events.filter((e) => e.contract !== "Committee").map((e) => ({ name: e.name, args: e.args }));

describe("registries accept changes only from the Committee", () => {
  /** Every mutating function of each registry, with plausible arguments. */
  const calls: Record<Exclude<SystemContractName, "Committee">, [string, unknown[]][]> = {
    NodeRegistry: [
      ["addNode", nodeInit(candidate, "org0", NodeRole.validator, 1n)],
      ["removeNode", [validators[0]!.hex]],
      ["setNodeRole", [validators[0]!.hex, NodeRole.observer]],
      ["setNodeWeight", [validators[0]!.hex, 5n]],
    ],
    OrgRegistry: [
      ["addOrg", [org("bank"), "Bank", bytesToHex(new Uint8Array(32))]],
      ["removeOrg", [org("org0")]],
      ["setOrgCA", [org("org0"), bytesToHex(new Uint8Array(32).fill(1))]],
      ["revokeCertificate", [bytesToHex(new Uint8Array(32).fill(2))]],
      ["restoreCertificate", [bytesToHex(new Uint8Array(32).fill(2))]],
    ],
    Permissions: [
      ["setMode", [Policy.deploy, PolicyMode.allowlist]],
      ["setListed", [PermissionList.deployAllow, [alice.hex], true]],
    ],
    AccountStatus: [
      ["freeze", [alice.hex]],
      ["unfreeze", [alice.hex]],
      ["abolish", [alice.hex]],
    ],
    ChainParams: [["setParam", [ChainParam.blockIntervalMs, 2000n]]],
  };

  it("lists every mutating function (so a new one cannot skip this test)", () => {
    // Permissions' admin functions are the documented exception (a contract's admin calls them).
    const adminFunctions = new Set(["setContractAdmin", "setMethodRestricted", "setMethodAllowlist"]);
    for (const [contract, list] of Object.entries(calls)) {
      const mutating = (ABIS[contract as SystemContractName] as Abi)
        .filter((item) => item.type === "function" && item.stateMutability === "nonpayable")
        .map((item) => (item as { name: string }).name)
        .filter((name) => !adminFunctions.has(name));
      expect(list.map(([fn]) => fn).sort(), contract).toEqual(mutating.sort());
    }
  });

  it("reverts with OnlyCommittee for a committee member, a validator and anyone else", async () => {
    const chain = await soloChain();
    for (const caller of [admin, validators[1]!, alice]) {
      for (const [contract, list] of Object.entries(calls)) {
        for (const [fn, args] of list) {
          const result = await chain.transact(caller, contract as SystemContractName, fn, args);
          expect(result.error, `${contract}.${fn} from ${caller.hex}`).toEqual({
            name: "OnlyCommittee",
            args: [caller.hex],
          });
        }
      }
    }
  });
});

describe("NodeRegistry", () => {
  const validatorsList = (chain: GovChain) => chain.view<string[]>("NodeRegistry", "getValidators");

  it("adds a validator and an observer, changes roles and weights, removes nodes; `validators` follows", async () => {
    const chain = await soloChain();
    expect(await validatorsList(chain)).toEqual(validators.map((v) => v.hex));
    const added = await govern(
      chain,
      "NodeRegistry",
      "addNode",
      nodeInit(candidate, "org1", NodeRole.validator, 3n),
    );
    expect(registryEvents(added)).toEqual([
      {
        name: "NodeAdded",
        args: { account: candidate.hex, org: org("org1"), role: NodeRole.validator, weight: 3n },
      },
      { name: "ValidatorSetChanged", args: { count: 5n, weightTotal: 7n } },
    ]);
    const entry = await chain.view<readonly unknown[]>("NodeRegistry", "validators", [4n]);
    expect(entry).toEqual([candidate.hex, 3n, ...key(candidate)]);

    const observer = account(31);
    const asObserver = await govern(
      chain,
      "NodeRegistry",
      "addNode",
      nodeInit(observer, "org2", NodeRole.observer, 1n),
    );
    expect(registryEvents(asObserver).map((e) => e.name)).toEqual(["NodeAdded"]);
    expect(await chain.view("NodeRegistry", "validatorCount")).toBe(5n);
    expect(await chain.view("NodeRegistry", "nodeCount")).toBe(6n);
    expect(await chain.view("NodeRegistry", "nodeCountOf", [org("org2")])).toBe(2n);

    const promoted = await govern(chain, "NodeRegistry", "setNodeRole", [observer.hex, NodeRole.validator]);
    expect(registryEvents(promoted)).toEqual([
      {
        name: "NodeRoleChanged",
        args: { account: observer.hex, from: NodeRole.observer, to: NodeRole.validator },
      },
      { name: "ValidatorSetChanged", args: { count: 6n, weightTotal: 8n } },
    ]);
    const reweighted = await govern(chain, "NodeRegistry", "setNodeWeight", [candidate.hex, 1n]);
    expect(registryEvents(reweighted)).toEqual([
      { name: "NodeWeightChanged", args: { account: candidate.hex, from: 3n, to: 1n } },
      { name: "ValidatorSetChanged", args: { count: 6n, weightTotal: 6n } },
    ]);
    // Demoting validator 0 moves the last validator (observer) into its place.
    const demoted = await govern(chain, "NodeRegistry", "setNodeRole", [
      validators[0]!.hex,
      NodeRole.observer,
    ]);
    expect(registryEvents(demoted).map((e) => e.name)).toEqual(["NodeRoleChanged", "ValidatorSetChanged"]);
    expect(await validatorsList(chain)).toEqual([
      observer.hex,
      validators[1]!.hex,
      validators[2]!.hex,
      validators[3]!.hex,
      candidate.hex,
    ]);
    const removed = await govern(chain, "NodeRegistry", "removeNode", [candidate.hex]);
    expect(registryEvents(removed)).toEqual([
      { name: "NodeRemoved", args: { account: candidate.hex, org: org("org1") } },
      { name: "ValidatorSetChanged", args: { count: 4n, weightTotal: 4n } },
    ]);
    expect(await chain.view("NodeRegistry", "isNode", [candidate.hex])).toBe(false);
    expect(await chain.view("NodeRegistry", "validatorWeightTotal")).toBe(4n);
    const node = await chain.view<readonly unknown[]>("NodeRegistry", "getNode", [validators[0]!.hex]);
    expect(node).toEqual([NodeRole.observer, org("org0"), 1n, ...key(validators[0]!)]);
  });

  it("refuses nodes that break a rule, and never leaves the chain without a validator", async () => {
    const chain = await soloChain();
    const other = account(32);
    const cases: [string, unknown[], string][] = [
      ["addNode", nodeInit(candidate, "nowhere", NodeRole.validator, 1n), "UnknownOrg"],
      ["addNode", nodeInit(validators[0]!, "org0", NodeRole.validator, 1n), "NodeExists"],
      ["addNode", nodeInit(candidate, "org0", NodeRole.none, 1n), "InvalidRole"],
      ["addNode", nodeInit(candidate, "org0", NodeRole.validator, 0n), "InvalidWeight"],
      [
        "addNode",
        nodeInit(candidate, "org0", NodeRole.validator, 2n ** 20n - 3n),
        "ValidatorWeightTotalExceeded",
      ],
      // The key of another account: the address is not keccak256(x ‖ y).
      ["addNode", [[candidate.hex, org("org0"), NodeRole.validator, 1n, ...key(other)]], "PublicKeyMismatch"],
      ["removeNode", [candidate.hex], "UnknownNode"],
      ["setNodeRole", [validators[0]!.hex, NodeRole.none], "InvalidRole"],
      ["setNodeWeight", [validators[0]!.hex, 2n ** 20n + 1n], "InvalidWeight"],
    ];
    for (const [fn, args, inner] of cases) {
      const result = await govern(chain, "NodeRegistry", fn, args);
      expect(result.inner, `${fn}: ${inner}`).toBe(inner);
    }
    for (const v of validators.slice(1))
      expect((await govern(chain, "NodeRegistry", "removeNode", [v.hex])).status).toBe(1);
    expect((await govern(chain, "NodeRegistry", "removeNode", [validators[0]!.hex])).inner).toBe(
      "LastValidator",
    );
    expect(
      (await govern(chain, "NodeRegistry", "setNodeRole", [validators[0]!.hex, NodeRole.observer])).inner,
    ).toBe("LastValidator");
    expect(await chain.view("NodeRegistry", "getValidators")).toEqual([validators[0]!.hex]);
  });
});

describe("OrgRegistry", () => {
  it("adds and removes organizations (not while they have nodes), records CAs and revocations", async () => {
    const chain = await soloChain();
    const ca = bytesToHex(new Uint8Array(32).fill(7));
    const added = await govern(chain, "OrgRegistry", "addOrg", [org("bank"), "Bank of Example", ca]);
    expect(registryEvents(added)).toEqual([
      { name: "OrgAdded", args: { id: org("bank"), name: "Bank of Example", caFingerprint: ca } },
    ]);
    expect(await chain.view("OrgRegistry", "getOrg", [org("bank")])).toEqual([true, "Bank of Example", ca]);
    expect((await govern(chain, "OrgRegistry", "addOrg", [org("bank"), "Again", ca])).inner).toBe(
      "OrgExists",
    );
    expect((await govern(chain, "OrgRegistry", "addOrg", [org("x"), "", ca])).inner).toBe("InvalidName");
    expect(
      (await govern(chain, "OrgRegistry", "addOrg", [bytesToHex(new Uint8Array(32)), "Zero", ca])).inner,
    ).toBe("InvalidOrgId");

    const rotated = bytesToHex(new Uint8Array(32).fill(8));
    expect(registryEvents(await govern(chain, "OrgRegistry", "setOrgCA", [org("bank"), rotated]))).toEqual([
      { name: "OrgCAChanged", args: { id: org("bank"), from: ca, to: rotated } },
    ]);
    expect(registryEvents(await govern(chain, "OrgRegistry", "revokeCertificate", [ca]))).toEqual([
      { name: "CertificateRevoked", args: { fingerprint: ca } },
    ]);
    expect(await chain.view("OrgRegistry", "revoked", [ca])).toBe(true);
    expect(registryEvents(await govern(chain, "OrgRegistry", "restoreCertificate", [ca]))).toEqual([
      { name: "CertificateRestored", args: { fingerprint: ca } },
    ]);
    expect(await chain.view("OrgRegistry", "revoked", [ca])).toBe(false);

    expect((await govern(chain, "OrgRegistry", "removeOrg", [org("org0")])).inner).toBe("OrgHasNodes");
    expect(registryEvents(await govern(chain, "OrgRegistry", "removeOrg", [org("bank")]))).toEqual([
      { name: "OrgRemoved", args: { id: org("bank") } },
    ]);
    expect(await chain.view("OrgRegistry", "isOrg", [org("bank")])).toBe(false);
    expect(await chain.view("OrgRegistry", "getOrgIds")).toEqual(["org0", "org1", "org2", "org3"].map(org));
  });
});

describe("AccountStatus", () => {
  const statusOf = async (chain: GovChain, a: Account) =>
    Number(await chain.view("AccountStatus", "statusOf", [a.hex]));

  it("freezes and unfreezes accounts, abolishes for good, and never touches system contracts", async () => {
    const chain = await soloChain();
    expect(await statusOf(chain, alice)).toBe(AccountStatusCode.normal);
    expect(registryEvents(await govern(chain, "AccountStatus", "freeze", [alice.hex]))).toEqual([
      {
        name: "StatusChanged",
        args: { account: alice.hex, from: AccountStatusCode.normal, to: AccountStatusCode.frozen },
      },
    ]);
    expect(await statusOf(chain, alice)).toBe(AccountStatusCode.frozen);
    expect(await chain.view("AccountStatus", "isFrozen", [alice.hex])).toBe(true);
    expect(
      registryEvents(await govern(chain, "AccountStatus", "unfreeze", [alice.hex]))[0]!.args,
    ).toMatchObject({
      from: AccountStatusCode.frozen,
      to: AccountStatusCode.normal,
    });
    expect(await statusOf(chain, alice)).toBe(AccountStatusCode.normal);
    await govern(chain, "AccountStatus", "abolish", [alice.hex]);
    expect(await statusOf(chain, alice)).toBe(AccountStatusCode.abolished);
    expect((await govern(chain, "AccountStatus", "unfreeze", [alice.hex])).inner).toBe("AccountAbolished");
    expect((await govern(chain, "AccountStatus", "freeze", [SYSTEM_ADDRESSES_HEX.Committee])).inner).toBe(
      "SystemAccount",
    );
  });
});

describe("Permissions", () => {
  const may = (chain: GovChain, fn: "mayDeploy" | "mayTransact", a: Account) =>
    chain.view<boolean>("Permissions", fn, [a.hex]);

  it("switches deploy and transact modes; each list keeps its meaning whatever the mode", async () => {
    const chain = await soloChain();
    expect([await may(chain, "mayDeploy", alice), await may(chain, "mayTransact", alice)]).toEqual([
      true,
      true,
    ]);
    const listed = await govern(chain, "Permissions", "setListed", [
      PermissionList.deployAllow,
      [alice.hex, bob.hex],
      true,
    ]);
    expect(registryEvents(listed)).toEqual([
      { name: "ListChanged", args: { list: PermissionList.deployAllow, account: alice.hex, listed: true } },
      { name: "ListChanged", args: { list: PermissionList.deployAllow, account: bob.hex, listed: true } },
    ]);
    // Listing again is a no-op without events.
    expect(
      registryEvents(
        await govern(chain, "Permissions", "setListed", [PermissionList.deployAllow, [alice.hex], true]),
      ),
    ).toEqual([]);
    await govern(chain, "Permissions", "setListed", [PermissionList.deployDeny, [alice.hex], true]);
    const mode = await govern(chain, "Permissions", "setMode", [Policy.deploy, PolicyMode.allowlist]);
    expect(registryEvents(mode)).toEqual([
      {
        name: "ModeChanged",
        args: { policy: Policy.deploy, from: PolicyMode.open, to: PolicyMode.allowlist },
      },
    ]);
    expect([await may(chain, "mayDeploy", alice), await may(chain, "mayDeploy", candidate)]).toEqual([
      true,
      false,
    ]);
    await govern(chain, "Permissions", "setMode", [Policy.deploy, PolicyMode.denylist]);
    expect([await may(chain, "mayDeploy", alice), await may(chain, "mayDeploy", candidate)]).toEqual([
      false,
      true,
    ]);
    // The transact policy is separate.
    await govern(chain, "Permissions", "setMode", [Policy.transact, PolicyMode.allowlist]);
    await govern(chain, "Permissions", "setListed", [PermissionList.transactAllow, [bob.hex], true]);
    expect([await may(chain, "mayTransact", alice), await may(chain, "mayTransact", bob)]).toEqual([
      false,
      true,
    ]);
    const unlisted = await govern(chain, "Permissions", "setListed", [
      PermissionList.deployAllow,
      [alice.hex],
      false,
    ]);
    expect(registryEvents(unlisted)[0]!.args).toEqual({
      list: PermissionList.deployAllow,
      account: alice.hex,
      listed: false,
    });
    expect(await chain.view("Permissions", "getList", [PermissionList.deployAllow, 0n, 10n])).toEqual([
      bob.hex,
    ]);
    expect(await chain.view("Permissions", "listLength", [PermissionList.deployDeny])).toBe(1n);
    const tooMany = Array.from({ length: 65 }, (_, i) => account(100 + i).hex);
    expect(
      (await govern(chain, "Permissions", "setListed", [PermissionList.deployAllow, tooMany, true])).inner,
    ).toBe("BatchTooLarge");
  });

  it("a contract's admin, named by the Committee, restricts methods to an allowlist and hands the role on", async () => {
    const chain = await soloChain();
    // Any contract will do as the target; the admin is set by proposal.
    const target = SYSTEM_ADDRESSES_HEX.ChainParams;
    const app = await chain.send(alice, null, hexToBytes("0x600a600c600039600a6000f3602a60005260206000f3"));
    expect(app.status).toBe(1);
    const appAddress = bytesToHex(app.contractAddress!);
    const selector = toFunctionSelector("transfer(address,uint256)");

    expect(
      (await chain.transact(alice, "Permissions", "setContractAdmin", [appAddress, alice.hex])).error,
    ).toEqual({
      name: "NotContractAdmin",
      args: [appAddress, alice.hex],
    });
    expect((await govern(chain, "Permissions", "setContractAdmin", [target, alice.hex])).inner).toBe(
      "SystemContract",
    );
    expect((await govern(chain, "Permissions", "setContractAdmin", [bob.hex, alice.hex])).inner).toBe(
      "NotAContract",
    );
    const named = await govern(chain, "Permissions", "setContractAdmin", [appAddress, alice.hex]);
    expect(registryEvents(named)).toEqual([
      {
        name: "ContractAdminChanged",
        args: { target: appAddress, from: "0x0000000000000000000000000000000000000000", to: alice.hex },
      },
    ]);
    expect(await chain.view("Permissions", "contractAdmin", [appAddress])).toBe(alice.hex);

    // Only the admin restricts and edits the allowlist; the Committee is not the admin.
    expect(
      (await chain.transact(bob, "Permissions", "setMethodRestricted", [appAddress, selector, true])).error,
    ).toEqual({
      name: "NotContractAdmin",
      args: [appAddress, bob.hex],
    });
    expect(
      (await govern(chain, "Permissions", "setMethodRestricted", [appAddress, selector, true])).inner,
    ).toBe("NotContractAdmin");
    const restricted = await chain.transact(alice, "Permissions", "setMethodRestricted", [
      appAddress,
      selector,
      true,
    ]);
    expect(restricted.events.map((e) => [e.name, e.args])).toEqual([
      ["MethodRestrictionChanged", { target: appAddress, selector, restricted: true }],
    ]);
    const mayCall = (a: Account) =>
      chain.view<boolean>("Permissions", "mayCall", [a.hex, appAddress, selector]);
    expect([await mayCall(alice), await mayCall(bob)]).toEqual([false, false]);
    const allowed = await chain.transact(alice, "Permissions", "setMethodAllowlist", [
      appAddress,
      selector,
      [bob.hex],
      true,
    ]);
    expect(allowed.events.map((e) => [e.name, e.args])).toEqual([
      ["MethodAllowlistChanged", { target: appAddress, selector, account: bob.hex, allowed: true }],
    ]);
    expect([await mayCall(alice), await mayCall(bob)]).toEqual([false, true]);
    // Another method of the same contract stays open.
    expect(await chain.view("Permissions", "mayCall", [alice.hex, appAddress, "0x12345678"])).toBe(true);

    // The admin hands the role on; the old admin loses it.
    const handed = await chain.transact(alice, "Permissions", "setContractAdmin", [appAddress, bob.hex]);
    expect(handed.events[0]!.args).toEqual({ target: appAddress, from: alice.hex, to: bob.hex });
    expect(
      (await chain.transact(alice, "Permissions", "setMethodRestricted", [appAddress, selector, false])).error
        ?.name,
    ).toBe("NotContractAdmin");
    expect(
      (await chain.transact(bob, "Permissions", "setMethodRestricted", [appAddress, selector, false])).status,
    ).toBe(1);
    expect(await mayCall(alice)).toBe(true);
  });
});

describe("ChainParams", () => {
  it("holds the genesis values and takes changes within bounds", async () => {
    const chain = await soloChain();
    expect(await chain.view("ChainParams", "getValues")).toEqual([1000n, 100_000_000n, 0n, 0n]);
    const changed = await govern(chain, "ChainParams", "setParam", [ChainParam.blockIntervalMs, 500n]);
    expect(registryEvents(changed)).toEqual([
      { name: "ParamChanged", args: { param: ChainParam.blockIntervalMs, from: 1000n, to: 500n } },
    ]);
    expect(await chain.view("ChainParams", "valueOf", [ChainParam.blockIntervalMs])).toBe(500n);
    for (const [param, value] of [
      [ChainParam.blockIntervalMs, 49n],
      [ChainParam.blockIntervalMs, 0n],
      [ChainParam.blockGasLimit, 999_999n],
      [ChainParam.poolTxCountMax, 999n],
      [ChainParam.poolPerSenderMax, 100_001n],
    ] as const)
      expect(
        (await govern(chain, "ChainParams", "setParam", [param, value])).inner,
        `${param} = ${value}`,
      ).toBe("ParamOutOfRange");
    await govern(chain, "ChainParams", "setParam", [ChainParam.poolPerSenderMax, 64n]);
    // Zero unsets a pool cap.
    await govern(chain, "ChainParams", "setParam", [ChainParam.poolPerSenderMax, 0n]);
    expect(await chain.view("ChainParams", "valueOf", [ChainParam.poolPerSenderMax])).toBe(0n);
  });
});
