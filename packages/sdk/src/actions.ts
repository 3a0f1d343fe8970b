import type { Account, Chain, Client, Transport } from "viem";
import {
  type GetAccountStatusParameters,
  type GetAccountStatusReturnType,
  getAccountStatus,
} from "./actions/getAccountStatus.js";
import {
  type GetChainParamsParameters,
  type GetChainParamsReturnType,
  getChainParams,
} from "./actions/getChainParams.js";
import {
  type GetCommitteeParameters,
  type GetCommitteeReturnType,
  getCommittee,
} from "./actions/getCommittee.js";
import {
  type GetGovernanceHistoryParameters,
  type GetGovernanceHistoryReturnType,
  getGovernanceHistory,
} from "./actions/getGovernanceHistory.js";
import { type GetNodesParameters, type GetNodesReturnType, getNodes } from "./actions/getNodes.js";
import {
  type GetOrganizationsParameters,
  type GetOrganizationsReturnType,
  getOrganizations,
} from "./actions/getOrganizations.js";
import {
  type GetPermissionsParameters,
  type GetPermissionsReturnType,
  getPermissions,
} from "./actions/getPermissions.js";
import {
  type GetProposalParameters,
  type GetProposalReturnType,
  getProposal,
} from "./actions/getProposal.js";
import {
  type GetProposalsParameters,
  type GetProposalsReturnType,
  getProposals,
} from "./actions/getProposals.js";
import { type ProposeParameters, type ProposeReturnType, propose } from "./actions/propose.js";
import {
  type ProposeAndWaitParameters,
  type ProposeAndWaitReturnType,
  proposeAndWait,
} from "./actions/proposeAndWait.js";
import { type VoteParameters, type VoteReturnType, vote } from "./actions/vote.js";
import {
  type VoteAndWaitParameters,
  type VoteAndWaitReturnType,
  voteAndWait,
} from "./actions/voteAndWait.js";

/**
 * The governance actions a client gains from `client.extend(charterGovernanceActions)`. (A type rather than an
 * interface: viem's `extend` needs its implicit index signature.)
 */
export type CharterGovernanceActions = {
  /** `Committee.propose`: returns the transaction hash. Needs an account (a committee member). */
  propose(parameters: ProposeParameters): Promise<ProposeReturnType>;
  /** `propose`, then the receipt: returns the new proposal's id. */
  proposeAndWait(parameters: ProposeAndWaitParameters): Promise<ProposeAndWaitReturnType>;
  /** `Committee.vote`: returns the transaction hash. */
  vote(parameters: VoteParameters): Promise<VoteReturnType>;
  /** `vote`, then the receipt: says whether this vote executed or rejected the proposal. */
  voteAndWait(parameters: VoteAndWaitParameters): Promise<VoteAndWaitReturnType>;
  /** `charter_getCommittee`. */
  getCommittee(parameters?: GetCommitteeParameters): Promise<GetCommitteeReturnType>;
  /** `charter_getProposal`: `null` for an unknown id. */
  getProposal(parameters: GetProposalParameters): Promise<GetProposalReturnType>;
  /** `charter_getProposals`: newest first. */
  getProposals(parameters?: GetProposalsParameters): Promise<GetProposalsReturnType>;
  /** `charter_getGovernanceHistory`: the system contracts' events, oldest first. */
  getGovernanceHistory(parameters?: GetGovernanceHistoryParameters): Promise<GetGovernanceHistoryReturnType>;
  /** `charter_getOrganizations`. */
  getOrganizations(parameters?: GetOrganizationsParameters): Promise<GetOrganizationsReturnType>;
  /** `charter_getNodes`. */
  getNodes(parameters?: GetNodesParameters): Promise<GetNodesReturnType>;
  /** `charter_getAccountStatus`. */
  getAccountStatus(parameters: GetAccountStatusParameters): Promise<GetAccountStatusReturnType>;
  /** `charter_getPermissions`. */
  getPermissions(parameters?: GetPermissionsParameters): Promise<GetPermissionsReturnType>;
  /** `charter_getChainParams`. */
  getChainParams(parameters?: GetChainParamsParameters): Promise<GetChainParamsReturnType>;
};

/**
 * Charter's governance as a viem client extension: write actions for committee members (propose, vote) and read
 * actions over the node's `charter_*` methods. The write actions need a wallet client with an account; the read
 * actions work on any client.
 *
 * @example
 * import { createWalletClient, http } from "viem";
 * import { privateKeyToAccount } from "viem/accounts";
 * import { charterGovernanceActions, freezeAccount } from "@charter/sdk";
 *
 * const client = createWalletClient({ account: privateKeyToAccount(memberKey), transport: http(rpcUrl) })
 *   .extend(charterGovernanceActions);
 * const { id } = await client.proposeAndWait({ call: freezeAccount({ account }), description: "court order 17" });
 * await client.voteAndWait({ id, approve: true });
 * console.log((await client.getProposal({ id }))?.state);
 */
export function charterGovernanceActions<
  transport extends Transport = Transport,
  chain extends Chain | undefined = Chain | undefined,
  account extends Account | undefined = Account | undefined,
>(client: Client<transport, chain, account>): CharterGovernanceActions {
  const wallet = client as unknown as Client<Transport, Chain | undefined, Account | undefined>;
  return {
    propose: (parameters) => propose(wallet, parameters),
    proposeAndWait: (parameters) => proposeAndWait(wallet, parameters),
    vote: (parameters) => vote(wallet, parameters),
    voteAndWait: (parameters) => voteAndWait(wallet, parameters),
    getCommittee: (parameters) => getCommittee(client, parameters),
    getProposal: (parameters) => getProposal(client, parameters),
    getProposals: (parameters) => getProposals(client, parameters),
    getGovernanceHistory: (parameters) => getGovernanceHistory(client, parameters),
    getOrganizations: (parameters) => getOrganizations(client, parameters),
    getNodes: (parameters) => getNodes(client, parameters),
    getAccountStatus: (parameters) => getAccountStatus(client, parameters),
    getPermissions: (parameters) => getPermissions(client, parameters),
    getChainParams: (parameters) => getChainParams(client, parameters),
  };
}
