import { Executor } from "@charter/execution";
import { bytesToHex, hexToBytes } from "@charter/utils";
import { describe, expect, it } from "vitest";
import { type Account, account, CHAIN_ID, GovChain } from "../test/govChain.js";
import { SYSTEM_ADDRESSES, type SystemContractName } from "./addresses.js";
import {
  BPS,
  CHAIN_PARAM_BOUNDS,
  ChainParam,
  COMMITTEE_MEMBER_WEIGHT_MAX,
  COMMITTEE_MEMBERS_MAX,
  DEFAULT_APPROVAL_BPS,
  DEFAULT_PARTICIPATION_BPS,
  NODE_WEIGHT_TOTAL_MAX,
  NODES_MAX,
  NodeRole,
  ORG_NAME_BYTES_MAX,
  ORGS_MAX,
  PERMISSION_BATCH_MAX,
  PERMISSION_LIST_MAX,
  PolicyMode,
  VOTING_BLOCKS_MAX,
} from "./constants.js";
import { GovernanceError } from "./errors.js";
import {
  bootstrapSystemContracts,
  defaultGovernanceGenesis,
  type GovernanceGenesis,
  governanceGenesisFields,
  type SystemContractsGenesis,
} from "./genesis.js";
import { orgIdToBytes32 } from "./slots.js";
import { SYSTEM_CONTRACTS } from "./systemContracts.js";

const validators = [0, 1, 2, 3].map(account);
const executor = new Executor({ chainId: CHAIN_ID, blockHash: async () => undefined });
const org = (id: string) => bytesToHex(orgIdToBytes32(id));
const artifactOf = (name: SystemContractName) => SYSTEM_CONTRACTS[name].artifact;

function input(
  overrides: Partial<SystemContractsGenesis> = {},
  vs: readonly Account[] = validators,
): SystemContractsGenesis {
  return {
    governance: defaultGovernanceGenesis(vs),
    validators: vs.map((v) => ({ address: v.address, publicKey: v.publicKey, weight: 1 })),
    timestampMs: 1_700_000_000_000,
    blockIntervalMs: 1000,
    gasLimit: 30_000_000n,
    keccakAddresses: true,
    ...overrides,
  };
}

describe("bootstrapSystemContracts", () => {
  it("creates every system contract at its fixed address with its artifact's runtime code, deterministically", async () => {
    const first = await bootstrapSystemContracts(executor, input());
    const again = await bootstrapSystemContracts(executor, input());
    expect([...first.keys()].sort()).toEqual(Object.values(SYSTEM_ADDRESSES).map(bytesToHex).sort());
    for (const [name, address] of Object.entries(SYSTEM_ADDRESSES)) {
      const created = first.get(bytesToHex(address))!;
      expect(bytesToHex(created.code!), name).toBe(artifactOf(name as SystemContractName).deployedBytecode);
      expect(created.nonce).toBe(1n);
      expect(created.balance).toBe(0n);
    }
    expect(again).toEqual(first);
    // AccountStatus starts empty; the others hold their genesis.
    expect(first.get(bytesToHex(SYSTEM_ADDRESSES.AccountStatus))!.storage!.size).toBe(0);
    expect(first.get(bytesToHex(SYSTEM_ADDRESSES.NodeRegistry))!.storage!.size).toBeGreaterThan(4 * 3);
  });

  it("by default: one organization per validator, the validators as the committee, open policies", async () => {
    const governance = defaultGovernanceGenesis(validators);
    expect(governance.organizations.map((o) => o.id)).toEqual(["org0", "org1", "org2", "org3"]);
    expect(governance.validatorOrgs).toEqual(["org0", "org1", "org2", "org3"]);
    expect(governance.committee).toEqual(validators.map((v) => ({ address: v.address, weight: 1 })));
    expect([governance.participationBps, governance.approvalBps]).toEqual([
      DEFAULT_PARTICIPATION_BPS,
      DEFAULT_APPROVAL_BPS,
    ]);
    const chain = await GovChain.create({ validators });
    expect(await chain.view("OrgRegistry", "getOrgIds")).toEqual(["org0", "org1", "org2", "org3"].map(org));
    expect(await chain.view("Committee", "getMembers")).toEqual([
      validators.map((v) => v.hex),
      [1n, 1n, 1n, 1n],
    ]);
    expect([
      await chain.view("Permissions", "deployMode"),
      await chain.view("Permissions", "transactMode"),
    ]).toEqual([PolicyMode.open, PolicyMode.open]);
    for (const [i, v] of validators.entries()) {
      const [role, orgId] = await chain.view<unknown[]>("NodeRegistry", "getNode", [v.hex]);
      expect([role, orgId]).toEqual([NodeRole.validator, org(`org${i}`)]);
    }
  });

  it("creates what a governance section describes", async () => {
    const ca = new Uint8Array(32).fill(0xaa);
    const [a, b, c] = [account(40), account(41), account(42)];
    const governance: GovernanceGenesis = {
      organizations: [
        { id: "bank", name: "Bank of Example", caFingerprint: ca },
        { id: "notary", name: "公证处" },
      ],
      validatorOrgs: ["bank", "bank", "notary", "notary"],
      committee: [
        { address: a.address, weight: 2 },
        { address: b.address, weight: 1 },
      ],
      participationBps: 8000,
      approvalBps: 6000,
      deploy: { mode: "allowlist", allowlist: [a.address, c.address], denylist: [] },
      transact: { mode: "denylist", allowlist: [], denylist: [b.address] },
    };
    const chain = await GovChain.create({ validators, governance });
    expect(await chain.view("OrgRegistry", "getOrg", [org("bank")])).toEqual([
      true,
      "Bank of Example",
      bytesToHex(ca),
    ]);
    expect(await chain.view("OrgRegistry", "getOrg", [org("notary")])).toEqual([
      true,
      "公证处",
      bytesToHex(new Uint8Array(32)),
    ]);
    expect((await chain.view<unknown[]>("NodeRegistry", "getNode", [validators[3]!.hex]))[1]).toBe(
      org("notary"),
    );
    expect(await chain.view("NodeRegistry", "nodeCountOf", [org("bank")])).toBe(2n);
    expect(await chain.view("Committee", "getMembers")).toEqual([
      [a.hex, b.hex],
      [2n, 1n],
    ]);
    expect([
      await chain.view("Committee", "participationBps"),
      await chain.view("Committee", "approvalBps"),
    ]).toEqual([8000, 6000]);
    expect([
      await chain.view("Permissions", "mayDeploy", [c.hex]),
      await chain.view("Permissions", "mayDeploy", [b.hex]),
    ]).toEqual([true, false]);
    expect([
      await chain.view("Permissions", "mayTransact", [b.hex]),
      await chain.view("Permissions", "mayTransact", [c.hex]),
    ]).toEqual([false, true]);
  });

  it("takes the largest genesis: 256 validators, a committee of 256 (init code beyond EIP-3860's limit)", async () => {
    const many = Array.from({ length: NODES_MAX }, (_, i) => account(1000 + i));
    const accounts = await bootstrapSystemContracts(executor, input({}, many));
    expect(accounts.size).toBe(6);
    const chain = await GovChain.create({ validators: many });
    expect(await chain.view("NodeRegistry", "validatorCount")).toBe(256n);
    expect(await chain.view("Committee", "totalWeight")).toBe(256n);
  }, 120_000);

  it("refuses a governance section that breaks a rule, naming it", async () => {
    const base = defaultGovernanceGenesis(validators);
    const cases: [Partial<GovernanceGenesis>, RegExp][] = [
      [{ organizations: [] }, /lists 0 organizations/],
      [{ organizations: [{ id: "", name: "x" }] }, /has id ""/],
      [{ organizations: [{ id: "a b", name: "x" }] }, /has id "a b"/],
      [{ organizations: [{ id: "x".repeat(32), name: "x" }] }, /1 to 31/],
      [
        { organizations: [...base.organizations, { id: "org0", name: "again" }] },
        /lists organization "org0" twice/,
      ],
      [{ organizations: [...base.organizations, { id: "long", name: "n".repeat(65) }] }, /name of 65 bytes/],
      [{ organizations: [{ id: "org0", name: "x", caFingerprint: new Uint8Array(31) }] }, /not 32 bytes/],
      [{ validatorOrgs: ["org0"] }, /organization of 1 validators, but there are 4/],
      [{ validatorOrgs: ["org0", "org1", "org2", "elsewhere"] }, /validator 3 in organization "elsewhere"/],
      [{ committee: [] }, /0 committee members/],
      [{ committee: [base.committee[0]!, base.committee[0]!] }, /twice/],
      [{ committee: [{ address: new Uint8Array(20), weight: 1 }] }, /without a valid address/],
      [{ committee: [{ address: validators[0]!.address, weight: 0 }] }, /weight 0/],
      [{ participationBps: 0 }, /participationBps 0/],
      [{ participationBps: BPS + 1 }, /participationBps 10001/],
      [{ approvalBps: 5000 }, /approvalBps 5000; it is 5001 to 10000/],
      [
        { deploy: { mode: "open", allowlist: [new Uint8Array(20)], denylist: [] } },
        /invalid address in the deploy allowlist/,
      ],
      [
        { transact: { mode: "sometimes" as never, allowlist: [], denylist: [] } },
        /transact mode to "sometimes"/,
      ],
    ];
    for (const [change, message] of cases) {
      const error = await bootstrapSystemContracts(
        executor,
        input({ governance: { ...base, ...change } }),
      ).catch((e) => e);
      expect(error, String(message)).toBeInstanceOf(GovernanceError);
      expect((error as GovernanceError).code).toBe("invalid-genesis");
      expect((error as GovernanceError).message).toMatch(message);
    }
    await expect(bootstrapSystemContracts(executor, input({ blockIntervalMs: 10 }))).rejects.toThrow(
      /blockIntervalMs is 10; the chain parameter takes 50 to 60000/,
    );
    await expect(bootstrapSystemContracts(executor, input({ gasLimit: 500_000n }))).rejects.toThrow(
      /gasLimit is 500000; the chain parameter takes 1000000/,
    );
  });

  it("names the custom error when a constructor refuses its arguments", async () => {
    // The key of another account: NodeRegistry checks addresses against keys in the ecdsa suite.
    const wrongKey = input({
      validators: validators.map((v, i) => ({
        address: v.address,
        publicKey: validators[(i + 1) % 4]!.publicKey,
        weight: 1,
      })),
    });
    await expect(bootstrapSystemContracts(executor, wrongKey)).rejects.toThrow(
      /cannot create NodeRegistry: it reverted with PublicKeyMismatch\(address,address\)/,
    );
    // Without the check (the sm suite, where the chain checks addresses itself) the constructor takes them.
    await expect(
      bootstrapSystemContracts(executor, { ...wrongKey, keccakAddresses: false }),
    ).resolves.toBeDefined();
  });

  it("gives digest fields that change with every part of the section", () => {
    const base = defaultGovernanceGenesis(validators);
    const encode = (g: GovernanceGenesis) =>
      JSON.stringify(governanceGenesisFields(g), (_, v) => (v instanceof Uint8Array ? bytesToHex(v) : v));
    const variants: Partial<GovernanceGenesis>[] = [
      { organizations: [...base.organizations, { id: "x", name: "x" }] },
      {
        organizations: base.organizations.map((o, i) =>
          i === 0 ? { ...o, caFingerprint: new Uint8Array(32) } : o,
        ),
      },
      { validatorOrgs: ["org1", "org1", "org2", "org3"] },
      { committee: base.committee.map((m, i) => (i === 0 ? { ...m, weight: 2 } : m)) },
      { participationBps: 5000 },
      { approvalBps: 9000 },
      { deploy: { mode: "allowlist", allowlist: [], denylist: [] } },
      { transact: { mode: "open", allowlist: [], denylist: [hexToBytes(`0x${"11".repeat(20)}`)] } },
    ];
    const seen = new Set([encode(base)]);
    for (const variant of variants) {
      const encoded = encode({ ...base, ...variant });
      expect(seen.has(encoded), JSON.stringify(Object.keys(variant))).toBe(false);
      seen.add(encoded);
    }
  });
});

describe("constants mirror the contracts", () => {
  it("limits, thresholds and parameter bounds", async () => {
    const chain = await GovChain.create({ validators });
    const constants: [SystemContractName, string, bigint | number][] = [
      ["NodeRegistry", "NODES_MAX", NODES_MAX],
      ["NodeRegistry", "WEIGHT_TOTAL_MAX", NODE_WEIGHT_TOTAL_MAX],
      ["OrgRegistry", "ORGS_MAX", ORGS_MAX],
      ["OrgRegistry", "NAME_BYTES_MAX", ORG_NAME_BYTES_MAX],
      ["Committee", "MEMBERS_MAX", COMMITTEE_MEMBERS_MAX],
      ["Committee", "MEMBER_WEIGHT_MAX", COMMITTEE_MEMBER_WEIGHT_MAX],
      ["Committee", "BPS", BPS],
      ["Committee", "VOTING_BLOCKS_MAX", VOTING_BLOCKS_MAX],
      ["Permissions", "LIST_MAX", PERMISSION_LIST_MAX],
      ["Permissions", "BATCH_MAX", PERMISSION_BATCH_MAX],
    ];
    for (const [contract, name, value] of constants)
      expect(await chain.view(contract, name), `${contract}.${name}`).toBe(BigInt(value));
    for (const [param, bounds] of Object.entries(CHAIN_PARAM_BOUNDS))
      expect(await chain.view("ChainParams", "bounds", [ChainParam[param as ChainParam]]), param).toEqual([
        bounds.min,
        bounds.max,
        bounds.unsettable,
      ]);
  });
});
