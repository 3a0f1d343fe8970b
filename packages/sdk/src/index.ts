export * from "./abiValues.js";
export * from "./actions/getAccountStatus.js";
export * from "./actions/getChainParams.js";
export * from "./actions/getCommittee.js";
export * from "./actions/getGovernanceHistory.js";
export * from "./actions/getNodes.js";
export * from "./actions/getOrganizations.js";
export * from "./actions/getPermissions.js";
export * from "./actions/getProposal.js";
export * from "./actions/getProposals.js";
export {
  accountOf,
  DEFAULT_VOTING_BLOCKS,
  type ProposeErrorType,
  type ProposeParameters,
  type ProposeReturnType,
  propose,
  type WalletLikeClient,
} from "./actions/propose.js";
export * from "./actions/proposeAndWait.js";
export * from "./actions/vote.js";
export * from "./actions/voteAndWait.js";
export * from "./actions.js";
export * from "./contracts.js";
export * from "./defineCharterChain.js";
export * from "./errors.js";
export * from "./formatters.js";
export * from "./governance.js";
export * from "./privateKeyToSM2Account.js";
export * from "./receipts.js";
export * from "./revert.js";
export type * from "./rpcSchema.js";
export * from "./sm2Message.js";
export * from "./sm2PEM.js";
export * from "./sm2PrivateKey.js";
export * from "./sm2Transaction.js";
export * from "./smFormatters.js";
export type * from "./types.js";
