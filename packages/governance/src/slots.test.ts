import { bytesToBigint, bytesToHex, equalBytes, hexToBytes } from "@charter/utils";
import { toFunctionSelector } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { account, GovChain, propose } from "../test/govChain.js";
import {
  ACCOUNT_STATUS_ADDRESS,
  CHAIN_PARAMS_ADDRESS,
  COMMITTEE_ADDRESS,
  NODE_REGISTRY_ADDRESS,
  ORG_REGISTRY_ADDRESS,
  PERMISSIONS_ADDRESS,
  type SystemContractName,
} from "./addresses.js";
import { ChainParam, NodeRole, PermissionList, Policy, PolicyMode } from "./constants.js";
import { defaultGovernanceGenesis } from "./genesis.js";
import {
  accountStatusSlot,
  chainParamSlot,
  committeeMemberSlot,
  contractAdminSlot,
  createGovernanceView,
  type GovernanceView,
  methodAllowedSlot,
  methodRestrictedSlot,
  methodSelector,
  nodeSlot,
  orgIdFromBytes32,
  orgIdToBytes32,
  orgSlot,
  permissionListLengthSlot,
  permissionListSlot,
  permissionModesSlot,
  revokedCertificateSlot,
} from "./slots.js";

// Every slot helper is pinned the same way: change the state through the contract (a proposal of a one-member
// committee, or the admin's own call), then read the slot directly and compare with the contract's own view.

const validators = [0, 1, 2, 3].map(account);
const admin = account(10);
const [alice, bob, carol] = [account(20), account(21), account(22)];
const candidate = account(30);
const everyone = [...validators, admin, alice, bob, carol, candidate];
const hex = (bytes: Uint8Array) => bytesToHex(bytes);
const org = (id: string) => hex(orgIdToBytes32(id));

let chain: GovChain;
let view: GovernanceView;
let app: string;
const selector = toFunctionSelector("transfer(address,uint256)");
const caFingerprint = new Uint8Array(32).fill(0xca);
const revoked = new Uint8Array(32).fill(0xbd);

async function govern(contract: SystemContractName, fn: string, args: readonly unknown[]): Promise<void> {
  const { id } = await propose(chain, admin, contract, fn, args);
  const vote = await chain.transact(admin, "Committee", "vote", [id, true]);
  expect(
    vote.events.map((e) => e.name),
    `${contract}.${fn}`,
  ).toContain("ProposalExecuted");
}

beforeAll(async () => {
  chain = await GovChain.create({
    validators,
    governance: {
      ...defaultGovernanceGenesis(validators),
      committee: [{ address: admin.address, weight: 1 }],
    },
    funded: [admin, alice, bob],
  });
  view = createGovernanceView(chain.read);
  const deployed = await chain.send(
    alice,
    null,
    hexToBytes("0x600a600c600039600a6000f3602a60005260206000f3"),
  );
  app = hex(deployed.contractAddress!);
  await govern("AccountStatus", "freeze", [alice.hex]);
  await govern("AccountStatus", "abolish", [carol.hex]);
  await govern("Permissions", "setMode", [Policy.deploy, PolicyMode.allowlist]);
  await govern("Permissions", "setMode", [Policy.transact, PolicyMode.denylist]);
  await govern("Permissions", "setListed", [PermissionList.deployAllow, [alice.hex, bob.hex], true]);
  await govern("Permissions", "setListed", [PermissionList.transactDeny, [bob.hex], true]);
  await govern("Permissions", "setListed", [PermissionList.deployDeny, [carol.hex], true]);
  await govern("Permissions", "setContractAdmin", [app, alice.hex]);
  await chain.transact(alice, "Permissions", "setMethodRestricted", [app, selector, true]);
  await chain.transact(alice, "Permissions", "setMethodAllowlist", [app, selector, [bob.hex], true]);
  await govern("OrgRegistry", "addOrg", [org("bank.cn-01"), "Bank", hex(caFingerprint)]);
  await govern("OrgRegistry", "revokeCertificate", [hex(revoked)]);
  await govern("NodeRegistry", "addNode", [
    [
      candidate.hex,
      org("bank.cn-01"),
      NodeRole.observer,
      7n,
      hex(candidate.publicKey.slice(1, 33)),
      hex(candidate.publicKey.slice(33)),
    ],
  ]);
  await govern("ChainParams", "setParam", [ChainParam.poolPerSenderMax, 128n]);
  await govern("Committee", "addMember", [bob.hex, 3n]);
});

describe("slot helpers agree with the contracts", () => {
  it("AccountStatus.statusOf", async () => {
    for (const a of everyone) {
      const status = Number(await chain.view("AccountStatus", "statusOf", [a.hex]));
      expect(bytesToBigint(chain.read(ACCOUNT_STATUS_ADDRESS, accountStatusSlot(a.address)))).toBe(
        BigInt(status),
      );
    }
    expect([
      view.accountStatus(alice.address),
      view.accountStatus(carol.address),
      view.accountStatus(bob.address),
    ]).toEqual(["frozen", "abolished", "normal"]);
  });

  it("Permissions: modes, lists, deploy and transact decisions", async () => {
    expect(bytesToBigint(chain.read(PERMISSIONS_ADDRESS, permissionModesSlot()))).toBe(
      BigInt(PolicyMode.allowlist) | (BigInt(PolicyMode.denylist) << 8n),
    );
    expect(view.policyModes()).toEqual({ deploy: "allowlist", transact: "denylist" });
    for (const list of Object.keys(PermissionList) as PermissionList[]) {
      const length = await chain.view<bigint>("Permissions", "listLength", [PermissionList[list]]);
      expect(bytesToBigint(chain.read(PERMISSIONS_ADDRESS, permissionListLengthSlot(list))), list).toBe(
        length,
      );
      for (const a of everyone) {
        const onList = await chain.view<boolean>("Permissions", "isListed", [PermissionList[list], a.hex]);
        expect(view.isListed(list, a.address), `${list} ${a.hex}`).toBe(onList);
        expect(
          bytesToBigint(chain.read(PERMISSIONS_ADDRESS, permissionListSlot(list, a.address))) !== 0n,
        ).toBe(onList);
      }
    }
    for (const a of everyone) {
      expect(view.mayDeploy(a.address), `deploy ${a.hex}`).toBe(
        await chain.view("Permissions", "mayDeploy", [a.hex]),
      );
      expect(view.mayTransact(a.address), `transact ${a.hex}`).toBe(
        await chain.view("Permissions", "mayTransact", [a.hex]),
      );
    }
    expect([
      view.mayDeploy(alice.address),
      view.mayDeploy(carol.address),
      view.mayTransact(bob.address),
    ]).toEqual([true, false, false]);
  });

  it("Permissions: contract admins and method allowlists", async () => {
    const appBytes = hexToBytes(app);
    const sel = hexToBytes(selector);
    expect(
      hex(chain.read(PERMISSIONS_ADDRESS, contractAdminSlot(appBytes))).endsWith(alice.hex.slice(2)),
    ).toBe(true);
    expect(hex(view.contractAdmin(appBytes)!)).toBe(alice.hex);
    expect(view.contractAdmin(bob.address)).toBeUndefined();
    expect(bytesToBigint(chain.read(PERMISSIONS_ADDRESS, methodRestrictedSlot(appBytes, sel)))).toBe(1n);
    expect(
      bytesToBigint(chain.read(PERMISSIONS_ADDRESS, methodAllowedSlot(appBytes, sel, bob.address))),
    ).toBe(1n);
    for (const a of everyone)
      for (const s of [selector, "0xa9059cbc", "0x00000000"]) {
        const expected = await chain.view<boolean>("Permissions", "mayCall", [a.hex, app, s]);
        expect(view.mayCall(a.address, appBytes, hexToBytes(s)), `${a.hex} ${s}`).toBe(expected);
      }
    expect(view.mayCall(alice.address, appBytes, sel)).toBe(false);
    expect(view.mayCall(bob.address, appBytes, sel)).toBe(true);
    expect(hex(methodSelector(hexToBytes("0xa9059cbc0000")))).toBe("0xa9059cbc");
    expect(hex(methodSelector(hexToBytes("0x01")))).toBe("0x01000000");
  });

  it("NodeRegistry: nodes of either role", async () => {
    for (const a of everyone) {
      const [role, orgId, weight, x, y] = await chain.view<[number, string, bigint, string, string]>(
        "NodeRegistry",
        "getNode",
        [a.hex],
      );
      const node = view.node(a.address);
      if (role === NodeRole.none) {
        expect(node).toBeUndefined();
        continue;
      }
      expect(node).toEqual({
        role: role === NodeRole.validator ? "validator" : "observer",
        weight: Number(weight),
        org: orgIdFromBytes32(hexToBytes(orgId)),
        publicKey: hexToBytes(`0x04${x.slice(2)}${y.slice(2)}`),
      });
      expect(hex(chain.read(NODE_REGISTRY_ADDRESS, nodeSlot(a.address, 1)))).toBe(orgId);
    }
    expect(view.node(candidate.address)).toEqual({
      role: "observer",
      weight: 7,
      org: "bank.cn-01",
      publicKey: candidate.publicKey,
    });
    expect(view.node(validators[2]!.address)?.org).toBe("org2");
  });

  it("OrgRegistry: organizations, their CAs and revoked certificates", async () => {
    for (const id of ["org0", "org3", "bank.cn-01", "nobody"]) {
      const [exists, , ca] = await chain.view<[boolean, string, string]>("OrgRegistry", "getOrg", [org(id)]);
      expect(view.isOrg(id), id).toBe(exists);
      expect(bytesToBigint(chain.read(ORG_REGISTRY_ADDRESS, orgSlot(id, 0))) & 0xffn).toBe(exists ? 1n : 0n);
      expect(hex(chain.read(ORG_REGISTRY_ADDRESS, orgSlot(id, 1)))).toBe(ca);
    }
    expect(view.orgCAFingerprint("bank.cn-01")).toEqual(caFingerprint);
    expect(view.orgCAFingerprint("org0")).toBeUndefined();
    expect(bytesToBigint(chain.read(ORG_REGISTRY_ADDRESS, revokedCertificateSlot(revoked)))).toBe(1n);
    expect([view.isCertificateRevoked(revoked), view.isCertificateRevoked(caFingerprint)]).toEqual([
      true,
      false,
    ]);
  });

  it("Committee: member weights and the packed totals", async () => {
    for (const a of everyone) {
      const weight = await chain.view<bigint>("Committee", "weightOf", [a.hex]);
      expect(view.committeeWeight(a.address), a.hex).toBe(Number(weight));
      expect(
        bytesToBigint(chain.read(COMMITTEE_ADDRESS, committeeMemberSlot(a.address))) & (2n ** 96n - 1n),
      ).toBe(weight);
    }
    expect(view.committeeTotals()).toEqual({
      totalWeight: Number(await chain.view("Committee", "totalWeight")),
      participationBps: await chain.view("Committee", "participationBps"),
      approvalBps: await chain.view("Committee", "approvalBps"),
      version: await chain.view("Committee", "version"),
    });
    expect(view.committeeTotals()).toMatchObject({ totalWeight: 4, version: 2 });
  });

  it("ChainParams values", async () => {
    for (const param of Object.keys(ChainParam) as ChainParam[]) {
      const value = await chain.view<bigint>("ChainParams", "valueOf", [ChainParam[param]]);
      expect(bytesToBigint(chain.read(CHAIN_PARAMS_ADDRESS, chainParamSlot(param)))).toBe(value);
      expect(view.chainParam(param), param).toBe(value);
    }
    expect(view.chainParam("poolPerSenderMax")).toBe(128n);
    expect(view.chainParam("blockGasLimit")).toBe(100_000_000n);
  });

  it("reports storage its contract never writes as corrupt", () => {
    const corrupt = createGovernanceView((address, slot) =>
      equalBytes(address, ACCOUNT_STATUS_ADDRESS) ? new Uint8Array(32).fill(9) : chain.read(address, slot),
    );
    expect(() => corrupt.accountStatus(alice.address)).toThrow(/never writes/);
  });
});

describe("organization ids", () => {
  it("are ASCII left-aligned in a bytes32", () => {
    expect(hex(orgIdToBytes32("org0"))).toBe(`0x6f726730${"00".repeat(28)}`);
    expect(orgIdFromBytes32(orgIdToBytes32("bank.cn-01"))).toBe("bank.cn-01");
    expect(() => orgIdToBytes32("")).toThrow(RangeError);
    expect(() => orgIdToBytes32("x".repeat(32))).toThrow(RangeError);
    expect(() => orgIdToBytes32("bänk")).toThrow(RangeError);
  });
});
