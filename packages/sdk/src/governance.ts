import {
  CHAIN_PARAM_BOUNDS,
  ChainParam,
  COMMITTEE_MEMBER_WEIGHT_MAX,
  DEFAULT_APPROVAL_BPS,
  DEFAULT_PARTICIPATION_BPS,
  NODE_WEIGHT_TOTAL_MAX,
  NodeRole,
  ORG_NAME_BYTES_MAX,
  PERMISSION_BATCH_MAX,
  PermissionList,
  Policy,
  PolicyMode,
  type SystemContractName,
} from "@charter/governance";
import {
  type AbiFunction,
  type Address,
  decodeFunctionData,
  encodeFunctionData,
  type Hex,
  isAddress,
  isHex,
  stringToHex,
} from "viem";
import { formatAbiValue, ORG_ID_PATTERN, orgIdFromHex } from "./abiValues.js";
import { SYSTEM_CONTRACT_ABIS, SYSTEM_CONTRACT_ADDRESSES, systemContractAt } from "./contracts.js";
import { CharterSDKError } from "./errors.js";

/**
 * Typed proposal builders: one per mutating function of the system contracts (docs/spec/governance.md section 4).
 * Each checks its arguments as the contract will (so a proposal that could never execute is refused before it is
 * made), encodes the call with the artifact's ABI and says in one line what it does. Pass the result to
 * `propose` (`client.extend(charterGovernanceActions)`).
 *
 * @example
 * const call = freezeAccount({ account: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" });
 * // { target: "0x…1004", data: "0x8d1fdf2f…", summary: "freeze account 0x70997970c51812dc3a010c7d01b50e0d17dc79c8" }
 * await client.propose({ call, description: "court order 2024/17" });
 */
export interface GovernanceCall {
  /** The system contract the Committee calls when the proposal passes. */
  readonly target: Address;
  /** The ABI-encoded call. */
  readonly data: Hex;
  /** What the call does, in one line (`freeze account 0x…`). */
  readonly summary: string;
}

/** A role a node can be given: observers follow the chain, validators also vote in consensus. */
export type NodeRoleName = Exclude<NodeRole, "none">;
export type PolicyName = Policy;
export type PolicyModeName = PolicyMode;
export type PermissionListName = PermissionList;
export type ChainParamName = ChainParam;

// ------------------------------------------------------------------ argument checks

function invalid(message: string): never {
  throw new CharterSDKError("invalid-argument", message);
}

function address(name: string, value: string): Address {
  if (typeof value !== "string" || !isAddress(value, { strict: false }))
    invalid(`${name} must be an address (0x followed by 40 hex digits), not ${JSON.stringify(value)}.`);
  return value.toLowerCase() as Address;
}

function integer(name: string, value: bigint | number, min: bigint, max: bigint): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) invalid(`${name} must be an integer.`);
  if (typeof value !== "number" && typeof value !== "bigint") invalid(`${name} must be an integer.`);
  const n = BigInt(value);
  if (n < min || n > max) invalid(`${name} must be from ${min} to ${max}, not ${n}.`);
  return n;
}

function orgId(value: string): Hex {
  if (typeof value !== "string" || !ORG_ID_PATTERN.test(value))
    invalid(
      `organization id ${JSON.stringify(value)} must be 1 to 31 ASCII letters, digits, ".", "_" or "-", starting with a letter or digit.`,
    );
  return stringToHex(value, { size: 32 });
}

/** A SHA-256 certificate fingerprint: 0x and 64 hex digits (colons, as openssl prints them, are accepted). */
function fingerprint(name: string, value: string): Hex {
  const hex = typeof value === "string" ? value.replaceAll(":", "") : "";
  const prefixed = (hex.startsWith("0x") ? hex : `0x${hex}`).toLowerCase();
  if (!/^0x[0-9a-f]{64}$/.test(prefixed))
    invalid(`${name} must be a SHA-256 fingerprint (32 bytes in hex), not ${JSON.stringify(value)}.`);
  return prefixed as Hex;
}

function nonZeroFingerprint(name: string, value: string): Hex {
  const hex = fingerprint(name, value);
  if (/^0x0{64}$/.test(hex)) invalid(`${name} must not be zero.`);
  return hex;
}

const ZERO_WORD: Hex = `0x${"0".repeat(64)}`;
const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000";

function enumValue<T extends Record<string, number>>(name: string, values: T, value: string): T[keyof T] {
  if (!Object.hasOwn(values, value))
    invalid(`${name} must be one of ${Object.keys(values).join(", ")}, not ${JSON.stringify(value)}.`);
  return values[value as keyof T];
}

function selector(value: string): Hex {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{8}$/.test(value))
    invalid(`selector must be 4 bytes in hex (0x and 8 hex digits), not ${JSON.stringify(value)}.`);
  return value.toLowerCase() as Hex;
}

function accounts(values: readonly string[]): Address[] {
  if (values.length === 0) invalid("give at least one account.");
  if (values.length > PERMISSION_BATCH_MAX)
    invalid(`at most ${PERMISSION_BATCH_MAX} accounts fit one proposal, not ${values.length}.`);
  return values.map((value) => address("account", value));
}

const NODE_WEIGHT_MAX = BigInt(NODE_WEIGHT_TOTAL_MAX);
const MEMBER_WEIGHT_MAX = BigInt(COMMITTEE_MEMBER_WEIGHT_MAX);

function call(contract: SystemContractName, functionName: string, args: readonly unknown[]): GovernanceCall {
  const data = encodeFunctionData({
    abi: SYSTEM_CONTRACT_ABIS[contract] as readonly AbiFunction[],
    functionName,
    args,
  } as Parameters<typeof encodeFunctionData>[0]);
  const target = SYSTEM_CONTRACT_ADDRESSES[contract];
  return { target, data, summary: describeGovernanceCall({ target, data }).summary };
}

// ------------------------------------------------------------------ NodeRegistry

export interface AddNodeParameters {
  /** The node's chain address (the address of its node key). */
  readonly address: string;
  /** The organization that runs it (its id, e.g. `bank`). */
  readonly org: string;
  readonly role: NodeRoleName;
  /** Consensus weight, 1 to 2^20 (the validators' total is at most 2^20 too). */
  readonly weight: bigint | number;
  /** The node key's uncompressed public key: `0x04` ‖ x ‖ y (65 bytes), or x ‖ y (64 bytes). */
  readonly publicKey: string;
}

/** `NodeRegistry.addNode`: admits a node (a validator takes part in consensus two heights after it executes). */
export function addNode(parameters: AddNodeParameters): GovernanceCall {
  const key = typeof parameters.publicKey === "string" ? parameters.publicKey.toLowerCase() : "";
  let xy: string;
  if (/^0x04[0-9a-f]{128}$/.test(key)) xy = key.slice(4);
  else if (/^0x[0-9a-f]{128}$/.test(key)) xy = key.slice(2);
  else
    invalid(
      "publicKey must be the uncompressed public key: 0x04 and 128 hex digits (or the 128 hex digits of x and y).",
    );
  return call("NodeRegistry", "addNode", [
    {
      account: address("address", parameters.address),
      org: orgId(parameters.org),
      role: nodeRole(parameters.role),
      weight: integer("weight", parameters.weight, 1n, NODE_WEIGHT_MAX),
      publicKeyX: `0x${xy.slice(0, 64)}`,
      publicKeyY: `0x${xy.slice(64)}`,
    },
  ]);
}

function nodeRole(role: string): number {
  if (role !== "validator" && role !== "observer")
    invalid(`role must be validator or observer, not ${JSON.stringify(role)}.`);
  return NodeRole[role];
}

/** `NodeRegistry.removeNode`. */
export function removeNode(parameters: { readonly address: string }): GovernanceCall {
  return call("NodeRegistry", "removeNode", [address("address", parameters.address)]);
}

/** `NodeRegistry.setNodeRole`: promotes an observer to validator or demotes a validator. */
export function setNodeRole(parameters: {
  readonly address: string;
  readonly role: NodeRoleName;
}): GovernanceCall {
  return call("NodeRegistry", "setNodeRole", [
    address("address", parameters.address),
    nodeRole(parameters.role),
  ]);
}

/** `NodeRegistry.setNodeWeight`: 1 to 2^20. */
export function setNodeWeight(parameters: {
  readonly address: string;
  readonly weight: bigint | number;
}): GovernanceCall {
  return call("NodeRegistry", "setNodeWeight", [
    address("address", parameters.address),
    integer("weight", parameters.weight, 1n, NODE_WEIGHT_MAX),
  ]);
}

// ------------------------------------------------------------------ OrgRegistry

export interface AddOrgParameters {
  /** 1 to 31 ASCII letters, digits, `.`, `_` or `-`, starting with a letter or digit. */
  readonly id: string;
  /** 1 to 64 bytes of UTF-8. */
  readonly name: string;
  /** The SHA-256 fingerprint of the organization's CA certificate (DER), if it has one. */
  readonly caFingerprint?: string | undefined;
}

/** `OrgRegistry.addOrg`. */
export function addOrg(parameters: AddOrgParameters): GovernanceCall {
  const length = new TextEncoder().encode(parameters.name ?? "").length;
  if (length === 0 || length > ORG_NAME_BYTES_MAX)
    invalid(`the organization's name must be 1 to ${ORG_NAME_BYTES_MAX} bytes of UTF-8, not ${length}.`);
  return call("OrgRegistry", "addOrg", [
    orgId(parameters.id),
    parameters.name,
    parameters.caFingerprint === undefined
      ? ZERO_WORD
      : fingerprint("caFingerprint", parameters.caFingerprint),
  ]);
}

/** `OrgRegistry.removeOrg`: refused (`OrgHasNodes`) while the organization has nodes. */
export function removeOrg(parameters: { readonly id: string }): GovernanceCall {
  return call("OrgRegistry", "removeOrg", [orgId(parameters.id)]);
}

/** `OrgRegistry.setOrgCA`: records the organization's new CA certificate; `null` clears it. */
export function setOrgCA(parameters: {
  readonly id: string;
  readonly caFingerprint: string | null;
}): GovernanceCall {
  return call("OrgRegistry", "setOrgCA", [
    orgId(parameters.id),
    parameters.caFingerprint === null ? ZERO_WORD : fingerprint("caFingerprint", parameters.caFingerprint),
  ]);
}

/** `OrgRegistry.revokeCertificate`: a node or CA certificate by its SHA-256 fingerprint. */
export function revokeCertificate(parameters: { readonly fingerprint: string }): GovernanceCall {
  return call("OrgRegistry", "revokeCertificate", [
    nonZeroFingerprint("fingerprint", parameters.fingerprint),
  ]);
}

/** `OrgRegistry.restoreCertificate`: lifts a revocation. */
export function restoreCertificate(parameters: { readonly fingerprint: string }): GovernanceCall {
  return call("OrgRegistry", "restoreCertificate", [
    nonZeroFingerprint("fingerprint", parameters.fingerprint),
  ]);
}

// ------------------------------------------------------------------ Committee

/** `Committee.addMember`: weight 1 to 1,000,000. Outdates every open proposal. */
export function addMember(parameters: {
  readonly address: string;
  readonly weight: bigint | number;
}): GovernanceCall {
  return call("Committee", "addMember", [
    address("address", parameters.address),
    integer("weight", parameters.weight, 1n, MEMBER_WEIGHT_MAX),
  ]);
}

/** `Committee.removeMember`: refused for the last member. Outdates every open proposal. */
export function removeMember(parameters: { readonly address: string }): GovernanceCall {
  return call("Committee", "removeMember", [address("address", parameters.address)]);
}

/** `Committee.setMemberWeight`: 1 to 1,000,000. Outdates every open proposal. */
export function setMemberWeight(parameters: {
  readonly address: string;
  readonly weight: bigint | number;
}): GovernanceCall {
  return call("Committee", "setMemberWeight", [
    address("address", parameters.address),
    integer("weight", parameters.weight, 1n, MEMBER_WEIGHT_MAX),
  ]);
}

export interface SetThresholdsParameters {
  /** Share of the committee's weight that must vote, 1 to 10000 basis points (default 6667). */
  readonly participationBps: number;
  /** Share of the committee's weight that must approve, 5001 to 10000 basis points (default 5001). */
  readonly approvalBps: number;
}

/** `Committee.setThresholds`. Outdates every open proposal. */
export function setThresholds(parameters: SetThresholdsParameters): GovernanceCall {
  return call("Committee", "setThresholds", [
    Number(integer("participationBps", parameters.participationBps, 1n, 10_000n)),
    Number(integer("approvalBps", parameters.approvalBps, 5_001n, 10_000n)),
  ]);
}

/** The thresholds a genesis without a governance section starts with. */
export const DEFAULT_THRESHOLDS: SetThresholdsParameters = {
  participationBps: DEFAULT_PARTICIPATION_BPS,
  approvalBps: DEFAULT_APPROVAL_BPS,
};

// ------------------------------------------------------------------ Permissions

/** `Permissions.setMode`: which list a policy applies (open: none; allowlist: only it; denylist: all but it). */
export function setPolicyMode(parameters: {
  readonly policy: PolicyName;
  readonly mode: PolicyModeName;
}): GovernanceCall {
  return call("Permissions", "setMode", [
    enumValue("policy", Policy, parameters.policy),
    enumValue("mode", PolicyMode, parameters.mode),
  ]);
}

export interface SetListedParameters {
  readonly list: PermissionListName;
  /** 1 to 64 accounts. */
  readonly accounts: readonly string[];
  /** `true` adds them to the list, `false` takes them off. */
  readonly listed: boolean;
}

/** `Permissions.setListed`: puts accounts on a policy's allowlist or denylist, or takes them off. */
export function setListed(parameters: SetListedParameters): GovernanceCall {
  if (typeof parameters.listed !== "boolean") invalid("listed must be true or false.");
  return call("Permissions", "setListed", [
    enumValue("list", PermissionList, parameters.list),
    accounts(parameters.accounts),
    parameters.listed,
  ]);
}

/** `setListed` with `listed: true`. */
export function addToList(parameters: Omit<SetListedParameters, "listed">): GovernanceCall {
  return setListed({ ...parameters, listed: true });
}

/** `setListed` with `listed: false`. */
export function removeFromList(parameters: Omit<SetListedParameters, "listed">): GovernanceCall {
  return setListed({ ...parameters, listed: false });
}

/** `Permissions.setContractAdmin`: names the admin of a contract's method allowlists; `null` removes it. */
export function setContractAdmin(parameters: {
  readonly contract: string;
  readonly admin: string | null;
}): GovernanceCall {
  const target = address("contract", parameters.contract);
  if (systemContractAt(target) !== undefined) invalid(`${target} is a system contract, which has no admin.`);
  return call("Permissions", "setContractAdmin", [
    target,
    parameters.admin === null ? ZERO_ADDRESS : address("admin", parameters.admin),
  ]);
}

/**
 * `Permissions.setMethodRestricted`: restricts a contract's method to its allowlist (or lifts it). Only the
 * contract's admin may call it, so as a proposal it executes only for contracts whose admin is the Committee.
 */
export function setMethodRestricted(parameters: {
  readonly contract: string;
  readonly selector: string;
  readonly restricted: boolean;
}): GovernanceCall {
  return call("Permissions", "setMethodRestricted", [
    address("contract", parameters.contract),
    selector(parameters.selector),
    parameters.restricted === true,
  ]);
}

/**
 * `Permissions.setMethodAllowlist`: allows accounts to call a restricted method (or disallows them). Like
 * `setMethodRestricted`, it executes only for contracts whose admin is the Committee.
 */
export function setMethodAllowlist(parameters: {
  readonly contract: string;
  readonly selector: string;
  readonly accounts: readonly string[];
  readonly allowed: boolean;
}): GovernanceCall {
  return call("Permissions", "setMethodAllowlist", [
    address("contract", parameters.contract),
    selector(parameters.selector),
    accounts(parameters.accounts),
    parameters.allowed === true,
  ]);
}

// ------------------------------------------------------------------ AccountStatus

function statusTarget(account: string): Address {
  const checked = address("account", account);
  if (systemContractAt(checked) !== undefined || /^0x0{36}10[0-9a-f]{2}$/.test(checked))
    invalid(`${checked} is a system account, which cannot be frozen or abolished.`);
  if (checked === ZERO_ADDRESS) invalid("the zero address cannot be frozen or abolished.");
  return checked;
}

/** `AccountStatus.freeze`: the account's transactions (and calls to it, for a contract) are refused. */
export function freezeAccount(parameters: { readonly account: string }): GovernanceCall {
  return call("AccountStatus", "freeze", [statusTarget(parameters.account)]);
}

/** `AccountStatus.unfreeze`. */
export function unfreezeAccount(parameters: { readonly account: string }): GovernanceCall {
  return call("AccountStatus", "unfreeze", [statusTarget(parameters.account)]);
}

/** `AccountStatus.abolish`: final; an abolished account can never be unfrozen. */
export function abolishAccount(parameters: { readonly account: string }): GovernanceCall {
  return call("AccountStatus", "abolish", [statusTarget(parameters.account)]);
}

// ------------------------------------------------------------------ ChainParams

/** `ChainParams.setParam`, within the parameter's bounds (`CHAIN_PARAM_BOUNDS`; pool caps also take 0: unset). */
export function setChainParam(parameters: {
  readonly param: ChainParamName;
  readonly value: bigint | number;
}): GovernanceCall {
  const code = enumValue("param", ChainParam, parameters.param);
  const bounds = CHAIN_PARAM_BOUNDS[parameters.param];
  const value = integer("value", parameters.value, 0n, 2n ** 256n - 1n);
  if (!(bounds.unsettable && value === 0n) && (value < bounds.min || value > bounds.max))
    invalid(
      `${parameters.param} must be from ${bounds.min} to ${bounds.max}${bounds.unsettable ? " (or 0: not set)" : ""}, not ${value}.`,
    );
  return call("ChainParams", "setParam", [code, value]);
}

// ------------------------------------------------------------------ reading a call back

/** A proposal's call, decoded against the system contracts' ABIs. */
export interface DecodedGovernanceCall {
  /** The system contract called, or `undefined` for any other target. */
  readonly contract: SystemContractName | undefined;
  /** The function called, when the data decodes against the contract's ABI. */
  readonly functionName: string | undefined;
  readonly args: readonly unknown[] | undefined;
  /** What it does, in one line: the builders' `summary` for their own calls. */
  readonly summary: string;
}

type Args = readonly unknown[];
type Show = (index: number) => string;

/** One-line descriptions of each mutating function, keyed `Contract.function`. */
const SUMMARIES: Readonly<Record<string, (args: Args, show: Show) => string>> = {
  "NodeRegistry.addNode": (args) => {
    const node = args[0] as { account: string; org: Hex; role: number; weight: bigint };
    const role = node.role === NodeRole.validator ? "validator" : "observer";
    const org = orgIdFromHex(node.org);
    return `add ${role} node ${node.account.toLowerCase()} of organization ${org === undefined ? node.org : JSON.stringify(org)} with weight ${node.weight}`;
  },
  "NodeRegistry.removeNode": (_, show) => `remove node ${show(0)}`,
  "NodeRegistry.setNodeRole": (args, show) =>
    `make node ${show(0)} ${Number(args[1]) === NodeRole.validator ? "a validator" : `an ${show(1)}`}`,
  "NodeRegistry.setNodeWeight": (_, show) => `set the weight of node ${show(0)} to ${show(1)}`,
  "OrgRegistry.addOrg": (args, show) =>
    `add organization ${show(0)} named ${show(1)}${args[2] === ZERO_WORD ? " without a CA fingerprint" : ` with CA ${show(2)}`}`,
  "OrgRegistry.removeOrg": (_, show) => `remove organization ${show(0)}`,
  "OrgRegistry.setOrgCA": (args, show) =>
    args[1] === ZERO_WORD
      ? `clear the CA fingerprint of organization ${show(0)}`
      : `set the CA of organization ${show(0)} to ${show(1)}`,
  "OrgRegistry.revokeCertificate": (_, show) => `revoke certificate ${show(0)}`,
  "OrgRegistry.restoreCertificate": (_, show) => `restore certificate ${show(0)}`,
  "Committee.addMember": (_, show) => `add committee member ${show(0)} with weight ${show(1)}`,
  "Committee.removeMember": (_, show) => `remove committee member ${show(0)}`,
  "Committee.setMemberWeight": (_, show) => `set the weight of committee member ${show(0)} to ${show(1)}`,
  "Committee.setThresholds": (_, show) =>
    `set the committee's thresholds to participation ${show(0)} bps and approval ${show(1)} bps`,
  "Permissions.setMode": (_, show) => `set the ${show(0)} policy to ${show(1)}`,
  "Permissions.setListed": (args, show) => {
    const list = show(0).replace(/(Allow|Deny)$/, (word) => ` ${word.toLowerCase()}list`);
    const accountsShown = (args[1] as readonly string[]).map((a) => a.toLowerCase()).join(", ");
    return args[2] === true
      ? `add ${accountsShown} to the ${list}`
      : `remove ${accountsShown} from the ${list}`;
  },
  "Permissions.setContractAdmin": (args, show) =>
    args[1] === ZERO_ADDRESS || (args[1] as string).toLowerCase() === ZERO_ADDRESS
      ? `remove the admin of contract ${show(0)}`
      : `make ${show(1)} the admin of contract ${show(0)}`,
  "Permissions.setMethodRestricted": (args, show) =>
    args[2] === true
      ? `restrict method ${show(1)} of ${show(0)} to its allowlist`
      : `lift the restriction of method ${show(1)} of ${show(0)}`,
  "Permissions.setMethodAllowlist": (args, show) => {
    const accountsShown = (args[2] as readonly string[]).map((a) => a.toLowerCase()).join(", ");
    return args[3] === true
      ? `allow ${accountsShown} to call method ${show(1)} of ${show(0)}`
      : `disallow ${accountsShown} from calling method ${show(1)} of ${show(0)}`;
  },
  "AccountStatus.freeze": (_, show) => `freeze account ${show(0)}`,
  "AccountStatus.unfreeze": (_, show) => `unfreeze account ${show(0)}`,
  "AccountStatus.abolish": (_, show) => `abolish account ${show(0)}`,
  "ChainParams.setParam": (_, show) => `set chain parameter ${show(0)} to ${show(1)}`,
};

/**
 * Decodes a proposal's call (`target`, `data`) against the system contracts' ABIs and describes it, so that a
 * voter sees what a proposal does rather than its bytes.
 *
 * @example
 * describeGovernanceCall({ target: proposal.target, data: proposal.data }).summary // "freeze account 0x…"
 */
export function describeGovernanceCall(call: {
  readonly target: string;
  readonly data: Hex;
}): DecodedGovernanceCall {
  const contract = systemContractAt(call.target);
  const raw = {
    contract,
    functionName: undefined,
    args: undefined,
    summary: `call ${call.target.toLowerCase()} with ${isHex(call.data) ? (call.data.length - 2) / 2 : "?"} bytes of data`,
  };
  if (contract === undefined || !isHex(call.data)) return raw;
  let decoded: { functionName: string; args: readonly unknown[] | undefined };
  try {
    decoded = decodeFunctionData({ abi: SYSTEM_CONTRACT_ABIS[contract], data: call.data }) as typeof decoded;
  } catch {
    return { ...raw, summary: `call ${contract} with undecodable data ${call.data.slice(0, 10)}…` };
  }
  const args = decoded.args ?? [];
  const abiItem = (SYSTEM_CONTRACT_ABIS[contract] as readonly { type: string; name?: string }[]).find(
    (item) => item.type === "function" && item.name === decoded.functionName,
  ) as AbiFunction | undefined;
  const show: Show = (i) => formatAbiValue(abiItem?.inputs[i], args[i]);
  const template = SUMMARIES[`${contract}.${decoded.functionName}`];
  const summary = template
    ? template(args, show)
    : `${contract}.${decoded.functionName}(${args.map((_, i) => show(i)).join(", ")})`;
  return { contract, functionName: decoded.functionName, args, summary };
}

/** The bytes32 an organization id is stored as (`bank` → `0x62616e6b00…`). */
export function orgIdToHex(id: string): Hex {
  return orgId(id);
}
