/**
 * The system contracts' enums and limits as TypeScript values. Each mirrors the contract's declaration
 * (`contracts/*.sol`); `constants.test.ts` reads the contracts' constants through the EVM and compares.
 */

/** `NodeRegistry.Role`. */
export const NodeRole = { none: 0, observer: 1, validator: 2 } as const;
export type NodeRole = keyof typeof NodeRole;

/** `Permissions.Mode`: who a policy lets through. */
export const PolicyMode = { open: 0, allowlist: 1, denylist: 2 } as const;
export type PolicyMode = keyof typeof PolicyMode;

/** `Permissions.Policy`. */
export const Policy = { deploy: 0, transact: 1 } as const;
export type Policy = keyof typeof Policy;

/** `Permissions.List`: each policy has an allowlist and a denylist. */
export const PermissionList = { deployAllow: 0, deployDeny: 1, transactAllow: 2, transactDeny: 3 } as const;
export type PermissionList = keyof typeof PermissionList;

/** `AccountStatus.Status`. */
export const AccountStatusCode = { normal: 0, frozen: 1, abolished: 2 } as const;
export type AccountStatusCode = keyof typeof AccountStatusCode;

/** `ChainParams.Param`. */
export const ChainParam = {
  blockIntervalMs: 0,
  blockGasLimit: 1,
  poolTxCountMax: 2,
  poolPerSenderMax: 3,
} as const;
export type ChainParam = keyof typeof ChainParam;

/** `Committee.State`; `expired` and `outdated` are computed by `stateOf`, never stored. */
export const ProposalState = {
  none: 0,
  pending: 1,
  executed: 2,
  rejected: 3,
  expired: 4,
  outdated: 5,
} as const;
export type ProposalState = keyof typeof ProposalState;

/** `Committee.Vote`. */
export const VoteChoice = { none: 0, yes: 1, no: 2 } as const;
export type VoteChoice = keyof typeof VoteChoice;

/** `NodeRegistry.NODES_MAX`: nodes of any role. */
export const NODES_MAX = 256;
/** `NodeRegistry.WEIGHT_TOTAL_MAX`: one node's weight and the validators' total weight. */
export const NODE_WEIGHT_TOTAL_MAX = 1 << 20;
/** `OrgRegistry.ORGS_MAX`. */
export const ORGS_MAX = 256;
/** `OrgRegistry.NAME_BYTES_MAX` (UTF-8). */
export const ORG_NAME_BYTES_MAX = 64;
/** An organization id is ASCII, 1 to 31 bytes, left-aligned in a bytes32. */
export const ORG_ID_BYTES_MAX = 31;
/** `Committee.MEMBERS_MAX`. */
export const COMMITTEE_MEMBERS_MAX = 256;
/** `Committee.MEMBER_WEIGHT_MAX`. */
export const COMMITTEE_MEMBER_WEIGHT_MAX = 1_000_000;
/** `Committee.BPS`: thresholds are in basis points of the committee's total weight. */
export const BPS = 10_000;
/** `Committee.VOTING_BLOCKS_MAX`. */
export const VOTING_BLOCKS_MAX = 5_000_000;
/** `Permissions.LIST_MAX`: entries of one allowlist or denylist. */
export const PERMISSION_LIST_MAX = 4_096;
/** `Permissions.BATCH_MAX`: accounts per `setListed` / `setMethodAllowlist` call. */
export const PERMISSION_BATCH_MAX = 64;

/** The default thresholds: two thirds of the weight votes, and more than half of it approves. */
export const DEFAULT_PARTICIPATION_BPS = 6_667;
export const DEFAULT_APPROVAL_BPS = 5_001;

/** `ChainParams.bounds`: the accepted range of each parameter; `unsettable` ones also accept 0 (not set). */
export const CHAIN_PARAM_BOUNDS: Readonly<
  Record<ChainParam, { readonly min: bigint; readonly max: bigint; readonly unsettable: boolean }>
> = {
  blockIntervalMs: { min: 50n, max: 60_000n, unsettable: false },
  blockGasLimit: { min: 1_000_000n, max: 2n ** 64n - 1n, unsettable: false },
  poolTxCountMax: { min: 1_000n, max: 10_000_000n, unsettable: true },
  poolPerSenderMax: { min: 16n, max: 100_000n, unsettable: true },
};

/** The name of enum value `code` in `values` (for example `nameOf(PolicyMode, 1)` is `"allowlist"`). */
export function nameOf<T extends Record<string, number>>(values: T, code: number): keyof T | undefined {
  for (const [name, value] of Object.entries(values)) if (value === code) return name as keyof T;
  return undefined;
}
