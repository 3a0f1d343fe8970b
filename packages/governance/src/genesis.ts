import { keccak256 } from "@charter/crypto";
import type { AccountState, Executor, GenesisAccount, StateReader } from "@charter/execution";
import { bigintToBytes, bytesToHex, equalBytes, hexToBytes, utf8ToBytes } from "@charter/utils";
import { type AbiType, encodeAbiParameters } from "./abiEncode.js";
import type { SystemContractName } from "./addresses.js";
import { SYSTEM_CONTRACT_ERRORS } from "./artifacts.js";
import {
  BPS,
  CHAIN_PARAM_BOUNDS,
  COMMITTEE_MEMBER_WEIGHT_MAX,
  COMMITTEE_MEMBERS_MAX,
  DEFAULT_APPROVAL_BPS,
  DEFAULT_PARTICIPATION_BPS,
  NODE_WEIGHT_TOTAL_MAX,
  NODES_MAX,
  NodeRole,
  ORG_ID_BYTES_MAX,
  ORG_NAME_BYTES_MAX,
  ORGS_MAX,
  PERMISSION_LIST_MAX,
  PolicyMode,
} from "./constants.js";
import { GovernanceError } from "./errors.js";
import { orgIdToBytes32 } from "./slots.js";
import { SYSTEM_CONTRACTS } from "./systemContracts.js";

export interface OrganizationGenesis {
  /** ASCII, 1 to 31 characters (letters, digits, `.`, `_`, `-`), stored left-aligned in a bytes32. */
  readonly id: string;
  /** 1 to 64 bytes of UTF-8. */
  readonly name: string;
  /** SHA-256 of the organization's CA certificate (DER), when known. */
  readonly caFingerprint?: Uint8Array;
}

export interface CommitteeMemberGenesis {
  readonly address: Uint8Array;
  readonly weight: number;
}

export interface PolicyGenesis {
  readonly mode: PolicyMode;
  readonly allowlist: readonly Uint8Array[];
  readonly denylist: readonly Uint8Array[];
}

/** The governance section of a genesis, as the chain takes it (docs/spec/governance.md section 2). */
export interface GovernanceGenesis {
  readonly organizations: readonly OrganizationGenesis[];
  /** The organization of each genesis validator, in the order of the genesis validators. */
  readonly validatorOrgs: readonly string[];
  readonly committee: readonly CommitteeMemberGenesis[];
  /** Share of the committee's total weight that must vote, in basis points: 1 to 10000. */
  readonly participationBps: number;
  /** Share of the committee's total weight that must approve, in basis points: 5001 to 10000. */
  readonly approvalBps: number;
  readonly deploy: PolicyGenesis;
  readonly transact: PolicyGenesis;
}

/** A genesis validator: it becomes a NodeRegistry node with role validator. */
export interface GenesisValidatorInput {
  readonly address: Uint8Array;
  /** 65-byte uncompressed, `0x04 ‖ x ‖ y`. */
  readonly publicKey: Uint8Array;
  readonly weight: number;
}

/** Everything the system contracts are created from. */
export interface SystemContractsGenesis {
  readonly governance: GovernanceGenesis;
  readonly validators: readonly GenesisValidatorInput[];
  readonly timestampMs: number;
  /** Initial `ChainParams` values. */
  readonly blockIntervalMs: number;
  readonly gasLimit: bigint;
  /** The `ecdsa` suite: a node's address is the last 20 bytes of keccak256(x ‖ y), which NodeRegistry checks. */
  readonly keccakAddresses: boolean;
}

const OPEN: PolicyGenesis = { mode: "open", allowlist: [], denylist: [] };
const ORG_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Gas for each constructor: 256 genesis nodes cost about 80 million. */
const CONSTRUCTOR_GAS = 2_000_000_000n;

/**
 * The governance of a genesis that has no governance section: one organization per validator (`org0`, `org1`,
 * … in validator order, named like their ids), a committee of the validators' addresses with weight 1 each, the
 * default thresholds (two thirds of the weight votes and more than half approves) and open deploy and transact
 * policies. Each organization's operator holds its validator's key, so on a devnet the committee keys are the
 * nodes' keys (`<network>/node<i>/node.key`).
 */
export function defaultGovernanceGenesis(
  validators: readonly { readonly address: Uint8Array }[],
): GovernanceGenesis {
  return {
    organizations: validators.map((_, i) => ({ id: `org${i}`, name: `org${i}` })),
    validatorOrgs: validators.map((_, i) => `org${i}`),
    committee: validators.map((v) => ({ address: v.address, weight: 1 })),
    participationBps: DEFAULT_PARTICIPATION_BPS,
    approvalBps: DEFAULT_APPROVAL_BPS,
    deploy: OPEN,
    transact: OPEN,
  };
}

/**
 * Checks a governance section against the rules the contracts enforce, so a bad genesis is refused with a
 * message naming the field rather than a revert. Throws `GovernanceError("invalid-genesis")`.
 */
export function validateGovernanceGenesis(governance: GovernanceGenesis, validatorCount: number): void {
  const fail = (why: string) => new GovernanceError("invalid-genesis", `the genesis governance ${why}`);
  const { organizations, committee } = governance;
  if (organizations.length === 0 || organizations.length > ORGS_MAX)
    throw fail(`lists ${organizations.length} organizations; it needs 1 to ${ORGS_MAX}`);
  const orgIds = new Set<string>();
  for (const [index, org] of organizations.entries()) {
    if (org.id.length > ORG_ID_BYTES_MAX || !ORG_ID_PATTERN.test(org.id))
      throw fail(
        `organization ${index} has id "${org.id}"; ids are 1 to ${ORG_ID_BYTES_MAX} ASCII letters, digits, '.', '_' or '-', starting with a letter or digit`,
      );
    if (orgIds.has(org.id)) throw fail(`lists organization "${org.id}" twice`);
    orgIds.add(org.id);
    const nameBytes = utf8ToBytes(org.name).length;
    if (nameBytes === 0 || nameBytes > ORG_NAME_BYTES_MAX)
      throw fail(
        `gives organization "${org.id}" a name of ${nameBytes} bytes; names are 1 to ${ORG_NAME_BYTES_MAX}`,
      );
    if (org.caFingerprint !== undefined && org.caFingerprint.length !== 32)
      throw fail(`gives organization "${org.id}" a CA fingerprint that is not 32 bytes (SHA-256)`);
  }
  if (governance.validatorOrgs.length !== validatorCount)
    throw fail(
      `names the organization of ${governance.validatorOrgs.length} validators, but there are ${validatorCount}`,
    );
  for (const [index, org] of governance.validatorOrgs.entries())
    if (!orgIds.has(org))
      throw fail(`puts validator ${index} in organization "${org}", which it does not list`);
  if (validatorCount > NODES_MAX) throw fail(`has ${validatorCount} validators; at most ${NODES_MAX} nodes`);
  if (committee.length === 0 || committee.length > COMMITTEE_MEMBERS_MAX)
    throw fail(`has ${committee.length} committee members; it needs 1 to ${COMMITTEE_MEMBERS_MAX}`);
  const members = new Set<string>();
  for (const [index, member] of committee.entries()) {
    const key = bytesToHex(member.address);
    if (member.address.length !== 20 || member.address.every((b) => b === 0))
      throw fail(`has committee member ${index} without a valid address`);
    if (members.has(key)) throw fail(`lists committee member ${key} twice`);
    members.add(key);
    if (
      !Number.isSafeInteger(member.weight) ||
      member.weight < 1 ||
      member.weight > COMMITTEE_MEMBER_WEIGHT_MAX
    )
      throw fail(
        `gives committee member ${key} weight ${member.weight}; weights are 1 to ${COMMITTEE_MEMBER_WEIGHT_MAX}`,
      );
  }
  const { participationBps, approvalBps } = governance;
  if (!Number.isInteger(participationBps) || participationBps < 1 || participationBps > BPS)
    throw fail(
      `sets participationBps ${participationBps}; it is 1 to ${BPS} (basis points of the committee's weight)`,
    );
  if (!Number.isInteger(approvalBps) || approvalBps <= BPS / 2 || approvalBps > BPS)
    throw fail(
      `sets approvalBps ${approvalBps}; it is ${BPS / 2 + 1} to ${BPS}, so a passing proposal is approved by more than half of the weight`,
    );
  for (const [name, policy] of [
    ["deploy", governance.deploy],
    ["transact", governance.transact],
  ] as const) {
    if (!(policy.mode in PolicyMode)) throw fail(`sets the ${name} mode to "${policy.mode}"`);
    for (const [list, entries] of [
      ["allowlist", policy.allowlist],
      ["denylist", policy.denylist],
    ] as const) {
      if (entries.length > PERMISSION_LIST_MAX)
        throw fail(`has ${entries.length} entries in the ${name} ${list}; at most ${PERMISSION_LIST_MAX}`);
      for (const address of entries)
        if (address.length !== 20 || address.every((b) => b === 0))
          throw fail(`has an invalid address in the ${name} ${list}`);
    }
  }
}

/** Bytes and lists of them: what RLP encodes. */
export type NestedBytes = Uint8Array | NestedBytes[];

/**
 * The governance section as RLP-ready fields, in a fixed order, for the chain's genesis digest: two genesis files
 * give the same chain only if these are equal.
 */
export function governanceGenesisFields(governance: GovernanceGenesis): NestedBytes[] {
  const policy = (p: PolicyGenesis): NestedBytes[] => [
    bigintToBytes(BigInt(PolicyMode[p.mode])),
    [...p.allowlist],
    [...p.denylist],
  ];
  return [
    governance.organizations.map((o) => [
      utf8ToBytes(o.id),
      utf8ToBytes(o.name),
      o.caFingerprint ?? new Uint8Array(0),
    ]),
    governance.validatorOrgs.map((id) => utf8ToBytes(id)),
    governance.committee.map((m) => [m.address, bigintToBytes(BigInt(m.weight))]),
    bigintToBytes(BigInt(governance.participationBps)),
    bigintToBytes(BigInt(governance.approvalBps)),
    policy(governance.deploy),
    policy(governance.transact),
  ];
}

interface ConstructorSpec {
  readonly name: SystemContractName;
  readonly artifact: { readonly bytecode: string; readonly deployedBytecode: string };
  readonly types: readonly AbiType[];
  readonly args: readonly unknown[];
}

function constructors(input: SystemContractsGenesis): ConstructorSpec[] {
  const { governance } = input;
  const addresses = { array: "address" } as const;
  const node = { tuple: ["address", "bytes32", "uint", "uint", "bytes32", "bytes32"] } as const;
  return [
    {
      name: "OrgRegistry",
      artifact: SYSTEM_CONTRACTS.OrgRegistry.artifact,
      types: [{ array: "bytes32" }, { array: "string" }, { array: "bytes32" }],
      args: [
        governance.organizations.map((o) => orgIdToBytes32(o.id)),
        governance.organizations.map((o) => o.name),
        governance.organizations.map((o) => o.caFingerprint ?? new Uint8Array(32)),
      ],
    },
    {
      // Created after the OrgRegistry, whose organizations its constructor checks.
      name: "NodeRegistry",
      artifact: SYSTEM_CONTRACTS.NodeRegistry.artifact,
      types: [{ array: node }, "bool"],
      args: [
        input.validators.map((v, i) => [
          v.address,
          orgIdToBytes32(governance.validatorOrgs[i]!),
          NodeRole.validator,
          v.weight,
          v.publicKey.subarray(1, 33),
          v.publicKey.subarray(33, 65),
        ]),
        input.keccakAddresses,
      ],
    },
    {
      name: "Committee",
      artifact: SYSTEM_CONTRACTS.Committee.artifact,
      types: [addresses, { array: "uint" }, "uint", "uint"],
      args: [
        governance.committee.map((m) => m.address),
        governance.committee.map((m) => m.weight),
        governance.participationBps,
        governance.approvalBps,
      ],
    },
    {
      name: "Permissions",
      artifact: SYSTEM_CONTRACTS.Permissions.artifact,
      types: ["uint", addresses, addresses, "uint", addresses, addresses],
      args: [
        PolicyMode[governance.deploy.mode],
        governance.deploy.allowlist,
        governance.deploy.denylist,
        PolicyMode[governance.transact.mode],
        governance.transact.allowlist,
        governance.transact.denylist,
      ],
    },
    { name: "AccountStatus", artifact: SYSTEM_CONTRACTS.AccountStatus.artifact, types: [], args: [] },
    {
      name: "ChainParams",
      artifact: SYSTEM_CONTRACTS.ChainParams.artifact,
      types: ["uint", "uint"],
      args: [input.blockIntervalMs, input.gasLimit],
    },
  ];
}

/**
 * Creates the system contracts of a genesis: runs each contract's constructor through the EVM with the genesis
 * arguments, in a scratch state that already holds the contracts created before it at their fixed addresses, and
 * returns the resulting accounts (runtime code, storage, nonce 1) by address (0x-prefixed lower-case hex), ready
 * to merge into the genesis allocations. Deterministic: the same input gives the same accounts on every node.
 * Throws `GovernanceError("invalid-genesis")` when the input breaks a rule or a constructor reverts.
 */
export async function bootstrapSystemContracts(
  executor: Executor,
  input: SystemContractsGenesis,
): Promise<Map<string, GenesisAccount>> {
  validateGovernanceGenesis(input.governance, input.validators.length);
  for (const [index, v] of input.validators.entries()) {
    if (v.address.length !== 20 || v.publicKey.length !== 65 || v.publicKey[0] !== 0x04)
      throw new GovernanceError(
        "invalid-genesis",
        `genesis validator ${index} needs a 20-byte address and a 65-byte uncompressed public key`,
      );
    if (!Number.isSafeInteger(v.weight) || v.weight < 1 || v.weight > NODE_WEIGHT_TOTAL_MAX)
      throw new GovernanceError(
        "invalid-genesis",
        `genesis validator ${index} has weight ${v.weight}; weights are 1 to ${NODE_WEIGHT_TOTAL_MAX}`,
      );
  }
  for (const [param, value] of [
    ["blockIntervalMs", BigInt(input.blockIntervalMs)],
    ["blockGasLimit", input.gasLimit],
  ] as const) {
    const { min, max } = CHAIN_PARAM_BOUNDS[param];
    if (value < min || value > max)
      throw new GovernanceError(
        "invalid-genesis",
        `the genesis ${param === "blockGasLimit" ? "gasLimit" : param} is ${value}; the chain parameter takes ${min} to ${max}`,
      );
  }

  const placed = new Map<string, GenesisAccount>();
  const env = {
    height: 0,
    timestampMs: input.timestampMs,
    proposer: new Uint8Array(20),
    gasLimit: CONSTRUCTOR_GAS,
  };
  for (const spec of constructors(input)) {
    const initCode = new Uint8Array([
      ...hexToBytes(spec.artifact.bytecode),
      ...encodeAbiParameters(spec.types, spec.args),
    ]);
    const outcome = await executor.construct({
      base: scratchState(placed),
      env,
      initCode,
      gasLimit: CONSTRUCTOR_GAS,
    });
    if (outcome.kind !== "success") {
      const why = outcome.kind === "revert" ? describeRevert(outcome.returnData) : outcome.message;
      throw new GovernanceError("invalid-genesis", `the genesis cannot create ${spec.name}: ${why}`);
    }
    // A contract with immutables would deploy code that differs from the artifact's and depends on where it was
    // created; the contracts have none, and this keeps it so.
    if (!equalBytes(outcome.code, hexToBytes(spec.artifact.deployedBytecode)))
      throw new GovernanceError(
        "invalid-genesis",
        `${spec.name} deployed code that differs from its artifact: system contracts must not use immutables`,
      );
    placed.set(bytesToHex(SYSTEM_CONTRACTS[spec.name].address), {
      balance: 0n,
      nonce: 1n,
      code: outcome.code,
      storage: outcome.storage,
    });
  }
  return placed;
}

/** A state holding only the accounts placed so far, so a constructor can call the contracts created before it. */
function scratchState(placed: ReadonlyMap<string, GenesisAccount>): StateReader {
  const codes = new Map<string, Uint8Array>();
  for (const account of placed.values())
    if (account.code !== undefined) codes.set(bytesToHex(keccak256(account.code)), account.code);
  return {
    getAccount(address): AccountState | undefined {
      const account = placed.get(bytesToHex(address));
      if (account === undefined) return undefined;
      return {
        nonce: account.nonce ?? 1n,
        balance: account.balance,
        codeHash: keccak256(account.code ?? new Uint8Array(0)),
      };
    },
    getStorage(address, slot) {
      return placed.get(bytesToHex(address))?.storage?.get(bytesToHex(slot)) ?? new Uint8Array(32);
    },
    getCode(codeHash) {
      return codes.get(bytesToHex(codeHash)) ?? new Uint8Array(0);
    },
  };
}

/** Names a revert of a system contract: its custom error's signature and arguments, or the raw data. */
export function describeRevert(data: Uint8Array): string {
  if (data.length < 4)
    return data.length === 0 ? "it reverted without a reason" : `it reverted with ${bytesToHex(data)}`;
  const selector = bytesToHex(data.subarray(0, 4));
  const signature = SYSTEM_CONTRACT_ERRORS[selector];
  const args = data.length > 4 ? ` with arguments ${bytesToHex(data.subarray(4))}` : "";
  return signature === undefined
    ? `it reverted with ${bytesToHex(data)}`
    : `it reverted with ${signature}${args}`;
}
