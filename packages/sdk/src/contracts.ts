import {
  AccountStatusCode,
  accountStatusArtifact,
  ChainParam,
  chainParamsArtifact,
  committeeArtifact,
  NodeRole,
  nodeRegistryArtifact,
  orgRegistryArtifact,
  PermissionList,
  Policy,
  PolicyMode,
  ProposalState,
  permissionsArtifact,
  type SystemContractName,
  VoteChoice,
} from "@charter/governance";
import { type Abi, type Address, toFunctionSelector } from "viem";

/** A custom error's ABI entry. */
export type AbiErrorItem = Extract<Abi[number], { type: "error" }>;

/**
 * The system contracts as viem sees them: fixed addresses (docs/spec/governance.md section 1) and the ABIs of
 * the checked-in artifacts, kept `as const` so that viem infers argument and result types.
 */
export const SYSTEM_CONTRACT_ADDRESSES = {
  NodeRegistry: "0x0000000000000000000000000000000000001000",
  OrgRegistry: "0x0000000000000000000000000000000000001001",
  Committee: "0x0000000000000000000000000000000000001002",
  Permissions: "0x0000000000000000000000000000000000001003",
  AccountStatus: "0x0000000000000000000000000000000000001004",
  ChainParams: "0x0000000000000000000000000000000000001005",
} as const satisfies Record<SystemContractName, Address>;

export const nodeRegistryAbi = nodeRegistryArtifact.abi;
export const orgRegistryAbi = orgRegistryArtifact.abi;
export const committeeAbi = committeeArtifact.abi;
export const permissionsAbi = permissionsArtifact.abi;
export const accountStatusAbi = accountStatusArtifact.abi;
export const chainParamsAbi = chainParamsArtifact.abi;

/** Each system contract's ABI by name. */
export const SYSTEM_CONTRACT_ABIS = {
  NodeRegistry: nodeRegistryAbi,
  OrgRegistry: orgRegistryAbi,
  Committee: committeeAbi,
  Permissions: permissionsAbi,
  AccountStatus: accountStatusAbi,
  ChainParams: chainParamsAbi,
} as const satisfies Record<SystemContractName, Abi>;

/** The name of the system contract at `address` (any case), or `undefined` for any other address. */
export function systemContractAt(address: string): SystemContractName | undefined {
  const lower = address.toLowerCase();
  for (const [name, at] of Object.entries(SYSTEM_CONTRACT_ADDRESSES)) {
    if (at === lower) return name as SystemContractName;
  }
  return undefined;
}

/**
 * Every custom error the system contracts declare, once each (several contracts share `OnlyCommittee`,
 * `ZeroAddress`, `InvalidWeight`, …, with the same signature), for decoding any revert of any of them.
 */
export const systemContractErrorsAbi: readonly AbiErrorItem[] = (() => {
  const bySelector = new Map<string, AbiErrorItem>();
  for (const abi of Object.values(SYSTEM_CONTRACT_ABIS) as readonly Abi[]) {
    for (const item of abi) {
      if (item.type !== "error") continue;
      const selector = toFunctionSelector(errorSignature(item));
      if (!bySelector.has(selector)) bySelector.set(selector, item);
    }
  }
  return [...bySelector.values()];
})();

/**
 * The TypeScript mirror (`@charter/governance` constants) of each enum the ABIs name in `internalType`, to show
 * an enum argument by name (`ProposalClosed(3, executed)` rather than `ProposalClosed(3, 2)`).
 */
const ENUMS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  "enum NodeRegistry.Role": NodeRole,
  "enum Committee.State": ProposalState,
  "enum Committee.Vote": VoteChoice,
  "enum Permissions.Policy": Policy,
  "enum Permissions.Mode": PolicyMode,
  "enum Permissions.List": PermissionList,
  "enum AccountStatus.Status": AccountStatusCode,
  "enum ChainParams.Param": ChainParam,
};

/** The name of value `code` of the enum an ABI parameter's `internalType` names, if it is one and in range. */
export function enumName(internalType: string | undefined, code: number): string | undefined {
  const values = internalType === undefined ? undefined : ENUMS[internalType];
  if (values === undefined) return undefined;
  for (const [name, value] of Object.entries(values)) if (value === code) return name;
  return undefined;
}

/** An error's canonical signature, `AlreadyVoted(uint256,address)` (the system contracts' errors take no tuples). */
export function errorSignature(item: AbiErrorItem): string {
  return `${item.name}(${item.inputs.map((input) => input.type).join(",")})`;
}
