import type { Address, Hash, Hex } from "viem";
import type { ChainParamName, NodeRoleName, PolicyModeName } from "./governance.js";

/**
 * What the `charter_*` read actions return: the node's JSON (docs/spec/rpc.md) with quantities turned into
 * `bigint`, or into `number` where the contracts bound them far below 2^53 (weights, basis points, versions).
 */

/** A proposal's state: `expired` and `outdated` are computed by the Committee, never stored. */
export type ProposalStateName = "pending" | "executed" | "rejected" | "expired" | "outdated";

export interface CommitteeMember {
  readonly address: Address;
  /** 1 to 1,000,000. */
  readonly weight: number;
}

export interface Committee {
  readonly members: readonly CommitteeMember[];
  readonly totalWeight: number;
  readonly participationBps: number;
  readonly approvalBps: number;
  /** Increases with every change of members, weights or thresholds; older proposals are outdated. */
  readonly version: number;
  /** Proposals made so far (ids run from 1 to this). */
  readonly proposalCount: bigint;
}

export interface ProposalVote {
  readonly voter: Address;
  readonly approve: boolean;
  readonly weight: number;
  readonly blockNumber: bigint;
  readonly transactionHash: Hash;
}

export interface Proposal {
  readonly id: bigint;
  readonly proposer: Address;
  readonly target: Address;
  readonly data: Hex;
  readonly description: string;
  /** The last block in which a vote counts. */
  readonly deadline: bigint;
  readonly committeeVersion: number;
  readonly state: ProposalStateName;
  /** Weight voted for and against. */
  readonly yes: number;
  readonly no: number;
  readonly createdAt: { readonly blockNumber: bigint; readonly transactionHash: Hash };
  readonly votes: readonly ProposalVote[];
}

/** One event of a system contract: the audit trail. */
export interface GovernanceEvent {
  readonly blockNumber: bigint;
  readonly transactionHash: Hash;
  readonly logIndex: number;
  /** Who sent the transaction that emitted it (the proposer, the voter). */
  readonly sender: Address;
  /** The system contract that emitted it, e.g. `Committee`. */
  readonly contract: string;
  /** The event's name, e.g. `ProposalCreated`. */
  readonly event: string;
  /** The event's arguments by name, as the node encodes them (quantities in hex, addresses in lower case). */
  readonly args: Readonly<Record<string, unknown>>;
}

export interface Organization {
  readonly id: string;
  readonly name: string;
  /** SHA-256 of the organization's CA certificate (DER), or `null` if none is recorded. */
  readonly caFingerprint: Hex | null;
}

export interface CharterNode {
  readonly address: Address;
  /** The id of the organization that runs it. */
  readonly org: string;
  readonly role: NodeRoleName;
  readonly weight: number;
  /** Uncompressed public key of the node key. */
  readonly publicKey: Hex;
}

export type AccountStatusName = "normal" | "frozen" | "abolished";

export interface PolicySettings {
  readonly mode: PolicyModeName;
  readonly allowlist: readonly Address[];
  readonly denylist: readonly Address[];
}

export interface PermissionSettings {
  readonly deploy: PolicySettings;
  readonly transact: PolicySettings;
}

/** The `ChainParams` values (0 for a pool cap: not set, each node's configuration applies). */
export type ChainParams = Readonly<Record<ChainParamName, bigint>> & Readonly<Record<string, bigint>>;
