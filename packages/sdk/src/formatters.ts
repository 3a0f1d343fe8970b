import type { Address, BlockTag, Hash, Hex } from "viem";
import { CharterSDKError } from "./errors.js";
import type { RpcBlock } from "./rpcSchema.js";
import type {
  AccountStatusName,
  ChainParams,
  CharterNode,
  Committee,
  GovernanceEvent,
  Organization,
  PermissionSettings,
  PolicySettings,
  Proposal,
  ProposalStateName,
} from "./types.js";

/**
 * Turns the `charter_*` methods' JSON into the SDK's types, checking every field on the way: a node that answers
 * with another shape (an older or newer version) gets a clear error naming the method and the field, not a
 * `TypeError` later.
 */

class Reader {
  constructor(
    private readonly method: string,
    private readonly path: string,
  ) {}

  fail(what: string, value: unknown): never {
    throw new CharterSDKError(
      "unexpected-response",
      `${this.method} answered ${this.path} = ${JSON.stringify(value)?.slice(0, 120)}, which is not ${what}; is the node's version compatible with this SDK?`,
    );
  }

  at(key: string | number): Reader {
    return new Reader(this.method, typeof key === "number" ? `${this.path}[${key}]` : `${this.path}.${key}`);
  }

  object(value: unknown): Record<string, unknown> {
    if (value === null || typeof value !== "object" || Array.isArray(value)) this.fail("an object", value);
    return value as Record<string, unknown>;
  }

  array(value: unknown): readonly unknown[] {
    if (!Array.isArray(value)) this.fail("an array", value);
    return value;
  }

  /** A quantity: 0x-hex as the node sends it (a JSON number or decimal string is accepted too). */
  bigint(value: unknown): bigint {
    if (typeof value === "string" && /^0x[0-9a-fA-F]{1,64}$/.test(value)) return BigInt(value);
    if (typeof value === "string" && /^[0-9]{1,78}$/.test(value)) return BigInt(value);
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    return this.fail("a quantity", value);
  }

  number(value: unknown): number {
    const n = this.bigint(value);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) this.fail("a small quantity", value);
    return Number(n);
  }

  string(value: unknown): string {
    if (typeof value !== "string") this.fail("a string", value);
    return value;
  }

  boolean(value: unknown): boolean {
    if (typeof value !== "boolean") this.fail("a boolean", value);
    return value;
  }

  hex(value: unknown, bytes?: number): Hex {
    const pattern =
      bytes === undefined ? /^0x([0-9a-fA-F]{2})*$/ : new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`);
    if (typeof value !== "string" || !pattern.test(value))
      this.fail(bytes === undefined ? "hex data" : `${bytes} bytes of hex`, value);
    return value.toLowerCase() as Hex;
  }

  address(value: unknown): Address {
    return this.hex(value, 20) as Address;
  }

  hash(value: unknown): Hash {
    return this.hex(value, 32) as Hash;
  }

  oneOf<const T extends string>(value: unknown, values: readonly T[]): T {
    if (typeof value !== "string" || !values.includes(value as T))
      this.fail(`one of ${values.join(", ")}`, value);
    return value as T;
  }
}

const PROPOSAL_STATES = ["pending", "executed", "rejected", "expired", "outdated"] as const;
const ACCOUNT_STATUSES = ["normal", "frozen", "abolished"] as const;
const POLICY_MODES = ["open", "allowlist", "denylist"] as const;
const NODE_ROLES = ["validator", "observer"] as const;

/** The block parameter of a read: a number, a tag, or nothing (the node's default, `latest`). */
export interface BlockParameter {
  /** Read the state after this block. */
  readonly blockNumber?: bigint | undefined;
  /** Read the state at this tag (`latest`, `safe`, `finalized` are the same block on Charter). */
  readonly blockTag?: BlockTag | undefined;
}

export function blockParameter(parameters: BlockParameter | undefined): RpcBlock | undefined {
  if (parameters?.blockNumber !== undefined) return `0x${parameters.blockNumber.toString(16)}`;
  return parameters?.blockTag;
}

/** The block as an optional last parameter: `[]` for the node's default, else `[block]`. */
export function optionalBlock(parameters: BlockParameter | undefined): [] | [RpcBlock] {
  const block = blockParameter(parameters);
  return block === undefined ? [] : [block];
}

export function formatCommittee(value: unknown, method = "charter_getCommittee"): Committee {
  const r = new Reader(method, "result");
  const o = r.object(value);
  const members = r.at("members").array(o.members);
  return {
    members: members.map((m, i) => {
      const at = r.at("members").at(i);
      const member = at.object(m);
      return {
        address: at.at("address").address(member.address),
        weight: at.at("weight").number(member.weight),
      };
    }),
    totalWeight: r.at("totalWeight").number(o.totalWeight),
    participationBps: r.at("participationBps").number(o.participationBps),
    approvalBps: r.at("approvalBps").number(o.approvalBps),
    version: r.at("version").number(o.version),
    proposalCount: r.at("proposalCount").bigint(o.proposalCount),
  };
}

function proposal(r: Reader, value: unknown): Proposal {
  const o = r.object(value);
  const created = r.at("createdAt").object(o.createdAt);
  const votes = r.at("votes").array(o.votes);
  return {
    id: r.at("id").bigint(o.id),
    proposer: r.at("proposer").address(o.proposer),
    target: r.at("target").address(o.target),
    data: r.at("data").hex(o.data),
    description: r.at("description").string(o.description),
    deadline: r.at("deadline").bigint(o.deadline),
    committeeVersion: r.at("committeeVersion").number(o.committeeVersion),
    state: r.at("state").oneOf(o.state, PROPOSAL_STATES) as ProposalStateName,
    yes: r.at("yes").number(o.yes),
    no: r.at("no").number(o.no),
    createdAt: {
      blockNumber: r.at("createdAt").at("blockNumber").bigint(created.blockNumber),
      transactionHash: r.at("createdAt").at("transactionHash").hash(created.transactionHash),
    },
    votes: votes.map((v, i) => {
      const at = r.at("votes").at(i);
      const vote = at.object(v);
      return {
        voter: at.at("voter").address(vote.voter),
        approve: at.at("approve").boolean(vote.approve),
        weight: at.at("weight").number(vote.weight),
        blockNumber: at.at("blockNumber").bigint(vote.blockNumber),
        transactionHash: at.at("transactionHash").hash(vote.transactionHash),
      };
    }),
  };
}

export function formatProposal(value: unknown, method = "charter_getProposal"): Proposal | null {
  if (value === null) return null;
  return proposal(new Reader(method, "result"), value);
}

export function formatProposals(value: unknown, method = "charter_getProposals"): Proposal[] {
  const r = new Reader(method, "result");
  return r.array(value).map((p, i) => proposal(r.at(i), p));
}

export function formatGovernanceHistory(
  value: unknown,
  method = "charter_getGovernanceHistory",
): GovernanceEvent[] {
  const r = new Reader(method, "result");
  return r.array(value).map((e, i) => {
    const at = r.at(i);
    const o = at.object(e);
    return {
      blockNumber: at.at("blockNumber").bigint(o.blockNumber),
      transactionHash: at.at("transactionHash").hash(o.transactionHash),
      logIndex: at.at("logIndex").number(o.logIndex),
      sender: at.at("sender").address(o.sender),
      contract: at.at("contract").string(o.contract),
      event: at.at("event").string(o.event),
      args: at.at("args").object(o.args),
    };
  });
}

export function formatOrganizations(value: unknown, method = "charter_getOrganizations"): Organization[] {
  const r = new Reader(method, "result");
  return r.array(value).map((e, i) => {
    const at = r.at(i);
    const o = at.object(e);
    const fingerprint = o.caFingerprint;
    return {
      id: at.at("id").string(o.id),
      name: at.at("name").string(o.name),
      caFingerprint:
        fingerprint === null || fingerprint === undefined
          ? null
          : at.at("caFingerprint").hex(fingerprint, 32),
    };
  });
}

export function formatNodes(value: unknown, method = "charter_getNodes"): CharterNode[] {
  const r = new Reader(method, "result");
  return r.array(value).map((e, i) => {
    const at = r.at(i);
    const o = at.object(e);
    return {
      address: at.at("address").address(o.address),
      org: at.at("org").string(o.org),
      role: at.at("role").oneOf(o.role, NODE_ROLES),
      weight: at.at("weight").number(o.weight),
      publicKey: at.at("publicKey").hex(o.publicKey),
    };
  });
}

export function formatAccountStatus(value: unknown, method = "charter_getAccountStatus"): AccountStatusName {
  return new Reader(method, "result").oneOf(value, ACCOUNT_STATUSES);
}

function policy(r: Reader, value: unknown): PolicySettings {
  const o = r.object(value);
  return {
    mode: r.at("mode").oneOf(o.mode, POLICY_MODES),
    allowlist: r
      .at("allowlist")
      .array(o.allowlist)
      .map((a, i) => r.at("allowlist").at(i).address(a)),
    denylist: r
      .at("denylist")
      .array(o.denylist)
      .map((a, i) => r.at("denylist").at(i).address(a)),
  };
}

export function formatPermissions(value: unknown, method = "charter_getPermissions"): PermissionSettings {
  const r = new Reader(method, "result");
  const o = r.object(value);
  return { deploy: policy(r.at("deploy"), o.deploy), transact: policy(r.at("transact"), o.transact) };
}

export function formatChainParams(value: unknown, method = "charter_getChainParams"): ChainParams {
  const r = new Reader(method, "result");
  const o = r.object(value);
  const out: Record<string, bigint> = {};
  for (const [key, v] of Object.entries(o)) out[key] = r.at(key).bigint(v);
  for (const key of ["blockIntervalMs", "blockGasLimit"])
    if (!(key in out)) r.at(key).fail("a quantity", undefined);
  return out as ChainParams;
}
