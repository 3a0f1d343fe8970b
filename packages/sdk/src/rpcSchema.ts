import type { Address, BlockTag, Hash, Hex } from "viem";

/**
 * The `charter_*` JSON-RPC methods as they travel (docs/spec/rpc.md): Ethereum conventions, quantities as 0x-hex,
 * addresses and bytes as lower-case hex. Give it to viem as `rpcSchema` to call the methods with types:
 * `createPublicClient({ transport, rpcSchema: rpcSchema<CharterRpcSchema>() })`.
 */

/** A 0x-hex quantity. */
export type RpcQuantity = `0x${string}`;
/** A block tag or a 0x-hex block number. */
export type RpcBlock = BlockTag | RpcQuantity;

export interface RpcCommittee {
  readonly members: readonly { readonly address: Address; readonly weight: RpcQuantity }[];
  readonly totalWeight: RpcQuantity;
  readonly participationBps: RpcQuantity;
  readonly approvalBps: RpcQuantity;
  readonly version: RpcQuantity;
  readonly proposalCount: RpcQuantity;
}

export interface RpcProposal {
  readonly id: RpcQuantity;
  readonly proposer: Address;
  readonly target: Address;
  readonly data: Hex;
  readonly description: string;
  readonly deadline: RpcQuantity;
  readonly committeeVersion: RpcQuantity;
  readonly state: "pending" | "executed" | "rejected" | "expired" | "outdated";
  readonly yes: RpcQuantity;
  readonly no: RpcQuantity;
  readonly createdAt: { readonly blockNumber: RpcQuantity; readonly transactionHash: Hash };
  readonly votes: readonly {
    readonly voter: Address;
    readonly approve: boolean;
    readonly weight: RpcQuantity;
    readonly blockNumber: RpcQuantity;
    readonly transactionHash: Hash;
  }[];
}

export interface RpcProposalsFilter {
  readonly state?: RpcProposal["state"];
  readonly fromId?: RpcQuantity;
  readonly count?: RpcQuantity;
}

export interface RpcHistoryFilter {
  readonly fromBlock?: RpcBlock;
  readonly toBlock?: RpcBlock;
  readonly proposalId?: RpcQuantity;
  readonly account?: Address;
}

export interface RpcGovernanceEvent {
  readonly blockNumber: RpcQuantity;
  readonly transactionHash: Hash;
  readonly logIndex: RpcQuantity;
  readonly sender: Address;
  readonly contract: string;
  readonly event: string;
  readonly args: Readonly<Record<string, unknown>>;
}

export interface RpcOrganization {
  readonly id: string;
  readonly name: string;
  readonly caFingerprint: Hex | null;
}

export interface RpcNode {
  readonly address: Address;
  readonly org: string;
  readonly role: "validator" | "observer";
  readonly weight: RpcQuantity;
  readonly publicKey: Hex;
}

export interface RpcPolicy {
  readonly mode: "open" | "allowlist" | "denylist";
  readonly allowlist: readonly Address[];
  readonly denylist: readonly Address[];
}

export interface RpcPermissions {
  readonly deploy: RpcPolicy;
  readonly transact: RpcPolicy;
}

export type CharterRpcSchema = [
  {
    Method: "charter_getCommittee";
    Parameters: [] | [block: RpcBlock];
    ReturnType: RpcCommittee;
  },
  {
    Method: "charter_getProposal";
    Parameters: [id: RpcQuantity] | [id: RpcQuantity, block: RpcBlock];
    ReturnType: RpcProposal | null;
  },
  {
    Method: "charter_getProposals";
    Parameters: [] | [filter: RpcProposalsFilter] | [filter: RpcProposalsFilter, block: RpcBlock];
    ReturnType: readonly RpcProposal[];
  },
  {
    Method: "charter_getGovernanceHistory";
    Parameters: [] | [filter: RpcHistoryFilter];
    ReturnType: readonly RpcGovernanceEvent[];
  },
  {
    Method: "charter_getOrganizations";
    Parameters: [] | [block: RpcBlock];
    ReturnType: readonly RpcOrganization[];
  },
  {
    Method: "charter_getNodes";
    Parameters: [] | [block: RpcBlock];
    ReturnType: readonly RpcNode[];
  },
  {
    Method: "charter_getAccountStatus";
    Parameters: [address: Address] | [address: Address, block: RpcBlock];
    ReturnType: "normal" | "frozen" | "abolished";
  },
  {
    Method: "charter_getPermissions";
    Parameters: [] | [block: RpcBlock];
    ReturnType: RpcPermissions;
  },
  {
    Method: "charter_getChainParams";
    Parameters: [] | [block: RpcBlock];
    ReturnType: Readonly<Record<string, RpcQuantity>>;
  },
];
