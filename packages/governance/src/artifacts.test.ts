import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ARTIFACTS_FILE,
  type CompiledSystemContract,
  compileSystemContracts,
  renderArtifacts,
  SYSTEM_CONTRACT_NAMES,
  type SystemContractName,
} from "../scripts/compileContracts.js";
import { STORAGE_SLOTS } from "./slots.js";
import { SYSTEM_CONTRACTS } from "./systemContracts.js";

let compiled: Record<SystemContractName, CompiledSystemContract>;
beforeAll(() => {
  compiled = compileSystemContracts();
});

describe("system contract artifacts", () => {
  it("src/artifacts.ts is exactly what compiling contracts/*.sol gives (run `npm run governance:build`)", () => {
    const fresh = renderArtifacts(compiled);
    const checkedIn = readFileSync(ARTIFACTS_FILE, "utf8");
    // Compared per contract first, so a stale file names the contract that changed.
    for (const name of SYSTEM_CONTRACT_NAMES) {
      const { artifact } = SYSTEM_CONTRACTS[name];
      expect(artifact.bytecode, `${name} creation bytecode`).toBe(compiled[name].bytecode);
      expect(artifact.deployedBytecode, `${name} runtime bytecode`).toBe(compiled[name].deployedBytecode);
      expect(artifact.abi, `${name} ABI`).toEqual(compiled[name].abi);
    }
    expect(checkedIn === fresh, "src/artifacts.ts differs from a fresh render").toBe(true);
  });

  it("every runtime bytecode fits EIP-170 and no contract has immutables", () => {
    for (const name of SYSTEM_CONTRACT_NAMES) {
      expect((compiled[name].deployedBytecode.length - 2) / 2, name).toBeLessThanOrEqual(24_576);
      // Immutables would make the runtime code depend on where the constructor ran.
      expect(compiled[name].immutableReferences, name).toEqual({});
    }
  });
});

/** Where each state variable the node reads (or that keeps `slots.ts` honest) lives: [label, slot, offset]. */
const LAYOUT: Record<SystemContractName, readonly [string, bigint, number][]> = {
  NodeRegistry: [
    ["validators", STORAGE_SLOTS.NodeRegistry.validators, 0],
    ["_nodes", STORAGE_SLOTS.NodeRegistry.nodes, 0],
    ["_nodeList", STORAGE_SLOTS.NodeRegistry.nodeList, 0],
    ["nodeCountOf", STORAGE_SLOTS.NodeRegistry.nodeCountOf, 0],
    ["validatorWeightTotal", STORAGE_SLOTS.NodeRegistry.validatorWeightTotal, 0],
    ["keccakAddresses", STORAGE_SLOTS.NodeRegistry.keccakAddresses, 0],
  ],
  OrgRegistry: [
    ["_orgs", STORAGE_SLOTS.OrgRegistry.orgs, 0],
    ["_orgIds", STORAGE_SLOTS.OrgRegistry.orgIds, 0],
    ["revoked", STORAGE_SLOTS.OrgRegistry.revoked, 0],
  ],
  Committee: [
    ["_members", STORAGE_SLOTS.Committee.members, 0],
    ["_memberList", STORAGE_SLOTS.Committee.memberList, 0],
    ["totalWeight", STORAGE_SLOTS.Committee.totals, 0],
    ["participationBps", STORAGE_SLOTS.Committee.totals, 12],
    ["approvalBps", STORAGE_SLOTS.Committee.totals, 14],
    ["version", STORAGE_SLOTS.Committee.totals, 16],
    ["proposalCount", STORAGE_SLOTS.Committee.proposalCount, 0],
    ["_proposals", STORAGE_SLOTS.Committee.proposals, 0],
    ["_votes", STORAGE_SLOTS.Committee.votes, 0],
  ],
  Permissions: [
    ["deployMode", STORAGE_SLOTS.Permissions.modes, 0],
    ["transactMode", STORAGE_SLOTS.Permissions.modes, 1],
    ["_lists", STORAGE_SLOTS.Permissions.lists, 0],
    ["contractAdmin", STORAGE_SLOTS.Permissions.contractAdmin, 0],
    ["_restricted", STORAGE_SLOTS.Permissions.restricted, 0],
    ["_methodAllowed", STORAGE_SLOTS.Permissions.methodAllowed, 0],
  ],
  AccountStatus: [["statusOf", STORAGE_SLOTS.AccountStatus.statusOf, 0]],
  ChainParams: [["_values", STORAGE_SLOTS.ChainParams.values, 0]],
};

/** Struct members the slot helpers decode: [struct label, member, slot within the struct, offset]. */
const STRUCTS: readonly [SystemContractName, string, string, number, number][] = [
  // consensus.md section 9: `weight << 160 | account`, then x, then y.
  ["NodeRegistry", "struct NodeRegistry.Validator", "account", 0, 0],
  ["NodeRegistry", "struct NodeRegistry.Validator", "weight", 0, 20],
  ["NodeRegistry", "struct NodeRegistry.Validator", "publicKeyX", 1, 0],
  ["NodeRegistry", "struct NodeRegistry.Validator", "publicKeyY", 2, 0],
  ["NodeRegistry", "struct NodeRegistry.Node", "role", 0, 0],
  ["NodeRegistry", "struct NodeRegistry.Node", "weight", 0, 1],
  ["NodeRegistry", "struct NodeRegistry.Node", "org", 1, 0],
  ["NodeRegistry", "struct NodeRegistry.Node", "publicKeyX", 2, 0],
  ["NodeRegistry", "struct NodeRegistry.Node", "publicKeyY", 3, 0],
  ["OrgRegistry", "struct OrgRegistry.Org", "exists", 0, 0],
  ["OrgRegistry", "struct OrgRegistry.Org", "caFingerprint", 1, 0],
  ["Committee", "struct Committee.Member", "weight", 0, 0],
  ["Permissions", "struct Permissions.AddressSet", "items", 0, 0],
  ["Permissions", "struct Permissions.AddressSet", "position", 1, 0],
];

describe("storage layout (what slots.ts and the chain's validator registry rely on)", () => {
  it("every state variable the node reads is where slots.ts says", () => {
    for (const name of SYSTEM_CONTRACT_NAMES) {
      const storage = compiled[name].storageLayout.storage;
      for (const [label, slot, offset] of LAYOUT[name]) {
        const entry = storage.find((e) => e.label === label);
        expect(entry, `${name}.${label}`).toBeDefined();
        expect([BigInt(entry!.slot), entry!.offset], `${name}.${label}`).toEqual([slot, offset]);
      }
    }
    // `validators` must stay NodeRegistry's first state variable (consensus reads slot 0).
    expect(compiled.NodeRegistry.storageLayout.storage[0]!.label).toBe("validators");
  });

  it("struct members are at the offsets the readers decode", () => {
    for (const [contract, struct, member, slot, offset] of STRUCTS) {
      const types = compiled[contract].storageLayout.types ?? {};
      const type = Object.values(types).find((t) => t.label === struct);
      const entry = type?.members?.find((m) => m.label === member);
      expect(entry, `${struct}.${member}`).toBeDefined();
      expect([Number(entry!.slot), entry!.offset], `${struct}.${member}`).toEqual([slot, offset]);
    }
  });
});
