import {
  type AccountStatusCode,
  type ChainParamsInfo,
  type CommitteeInfo,
  createGovernanceReader,
  describeRevert,
  type GovernanceEvent,
  type GovernanceSource,
  type NodeInfo,
  type OrganizationInfo,
  type PermissionsInfo,
  PROPOSALS_PAGE_MAX,
  type ProposalInfo,
  type ProposalStateName,
} from "@charter/governance";
import {
  type BlockNumberSelector,
  type BlockSelector,
  defineMethod,
  ethereumMethods,
  jsonTypeName,
  logQueryRange,
  type MethodDeclaration,
  optional,
  ParamError,
  parseAddress,
  parseBlockNumber,
  parseBlockNumberOrHash,
  parseField,
  parseObject,
  parseQuantity,
  type RPCBackend,
  type RPCLimits,
  required,
  resolveStateHeight,
  selectedHeight,
} from "@charter/rpc";
import { bytesToHex } from "@charter/utils";
import type { NodeRPCBackend } from "./rpcBackend.js";

/**
 * The `charter_*` JSON-RPC methods: governance as it stands in the system contracts at a block (committee,
 * proposals, organizations, nodes, account statuses, permissions, chain parameters) and its audit trail from their
 * events. Each is a read; proposals and votes are ordinary transactions sent with `eth_sendRawTransaction`.
 * docs/spec/rpc.md section 4.9 describes every method, its parameters, result and errors.
 */

/** Proposals `charter_getProposals` returns when the query names no count. */
export const PROPOSALS_COUNT_DEFAULT = 20;
/** Blocks `charter_getGovernanceHistory` reads when the query names no `fromBlock` (also bounded by the limit). */
export const GOVERNANCE_HISTORY_BLOCKS_DEFAULT = 10_000;

const latest: BlockNumberSelector = { kind: "tag", tag: "latest" };
const PROPOSAL_STATES: readonly ProposalStateName[] = [
  "pending",
  "executed",
  "rejected",
  "expired",
  "outdated",
];

/** The governance reader's source over the node's backend: `eth_call` and committed logs with their senders. */
export function governanceSourceFromBackend(backend: NodeRPCBackend): GovernanceSource {
  return {
    async call(to, data, height) {
      const result = await backend.call({ to, data }, height);
      if (result.kind === "success") return result.returnData;
      // A system contract's view never fails: reaching this is a bug, answered as an internal error.
      const why = result.kind === "revert" ? describeRevert(result.returnData) : result.message;
      throw new Error(`the governance read of ${bytesToHex(to)} at block ${height} failed: ${why}`);
    },
    logs: (filter) => backend.logsWithSenders(filter),
  };
}

/** An integer parameter as a hex quantity or a JSON integer. */
function parseInteger(value: unknown, bits: number): bigint {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ParamError(`invalid integer ${value}: want a non-negative integer or a hex quantity`);
    }
    return BigInt(value);
  }
  return parseQuantity(value, bits);
}

const parseProposalId = (value: unknown): bigint => parseInteger(value, 256);

function parseCount(value: unknown): number {
  const count = parseInteger(value, 64);
  if (count < 1n || count > BigInt(PROPOSALS_PAGE_MAX)) {
    throw new ParamError(`count must be 1 to ${PROPOSALS_PAGE_MAX}, got ${count}`);
  }
  return Number(count);
}

function parseProposalState(value: unknown): ProposalStateName {
  if (typeof value !== "string")
    throw new ParamError(`expected a proposal state, got ${jsonTypeName(value)}`);
  const state = PROPOSAL_STATES.find((name) => name === value);
  if (state === undefined) {
    throw new ParamError(
      `unknown proposal state ${JSON.stringify(value.slice(0, 32))}; want ${PROPOSAL_STATES.join(", ")}`,
    );
  }
  return state;
}

/** An object parameter with only the fields named; a misspelt field is an error rather than silently ignored. */
function parseQueryObject(value: unknown, fields: readonly string[]): Readonly<Record<string, unknown>> {
  const object = parseObject(value);
  for (const key of Object.keys(object)) {
    if (!fields.includes(key)) {
      throw new ParamError(`unknown field ${JSON.stringify(key.slice(0, 32))}; want ${fields.join(", ")}`);
    }
  }
  return object;
}

interface ProposalsParams {
  readonly state?: ProposalStateName;
  readonly fromId?: bigint;
  readonly count: number;
}

function parseProposalsQuery(value: unknown): ProposalsParams {
  const object = parseQueryObject(value, ["state", "fromId", "count"]);
  const state = parseField(object, "state", parseProposalState);
  const fromId = parseField(object, "fromId", parseProposalId);
  return {
    count: parseField(object, "count", parseCount) ?? PROPOSALS_COUNT_DEFAULT,
    ...(state === undefined ? {} : { state }),
    ...(fromId === undefined ? {} : { fromId }),
  };
}

interface HistoryParams {
  readonly fromBlock?: BlockNumberSelector;
  readonly toBlock?: BlockNumberSelector;
  readonly proposalId?: bigint;
  readonly account?: Uint8Array;
}

function parseHistoryQuery(value: unknown): HistoryParams {
  const object = parseQueryObject(value, ["fromBlock", "toBlock", "proposalId", "account"]);
  const fromBlock = parseField(object, "fromBlock", parseBlockNumber);
  const toBlock = parseField(object, "toBlock", parseBlockNumber);
  const proposalId = parseField(object, "proposalId", parseProposalId);
  const account = parseField(object, "account", parseAddress);
  return {
    ...(fromBlock === undefined ? {} : { fromBlock }),
    ...(toBlock === undefined ? {} : { toBlock }),
    ...(proposalId === undefined ? {} : { proposalId }),
    ...(account === undefined ? {} : { account }),
  };
}

/**
 * The inclusive range a history query reads, with `eth_getLogs`' rules and messages: `toBlock` defaults to the
 * head and is clamped to it, `fromBlock` defaults to the last `GOVERNANCE_HISTORY_BLOCKS_DEFAULT` blocks (at most
 * the range limit); `undefined` when the range starts past the head.
 */
function historyRange(
  backend: RPCBackend,
  query: HistoryParams,
  limits: RPCLimits,
): { from: number; to: number } | undefined {
  if (query.fromBlock !== undefined) return logQueryRange(backend, query, limits);
  const head = BigInt(backend.headHeight());
  const requestedTo = selectedHeight(backend, query.toBlock ?? latest);
  const span = BigInt(Math.min(GOVERNANCE_HISTORY_BLOCKS_DEFAULT, limits.logsBlockRangeMax));
  const defaultFrom = (requestedTo > head ? head : requestedTo) - span + 1n;
  return logQueryRange(
    backend,
    { ...query, fromBlock: { kind: "number", number: defaultFrom < 0n ? 0n : defaultFrom } },
    limits,
  );
}

/**
 * Declares the `charter_*` methods over the node's backend. They share one governance reader, which remembers
 * what never changes once committed (where each proposal was created, the votes of closed proposals).
 */
export function createCharterMethods(backend: NodeRPCBackend): MethodDeclaration[] {
  const reader = createGovernanceReader(governanceSourceFromBackend(backend));
  const block = optional("block", parseBlockNumberOrHash);
  const height = (rpc: RPCBackend, selector: BlockSelector | undefined) =>
    resolveStateHeight(rpc, selector ?? latest);

  const charter_getCommittee = defineMethod({
    name: "charter_getCommittee",
    description:
      "The governance committee at a block: members and weights, thresholds, version, proposal count.",
    params: [block],
    handler: async (ctx, [selector]): Promise<CommitteeInfo> =>
      reader.committee(await height(ctx.backend, selector)),
  });

  const charter_getProposal = defineMethod({
    name: "charter_getProposal",
    description: "A proposal at a block, with its description, state and votes; null for an unknown id.",
    params: [required("id", parseProposalId), block],
    handler: async (ctx, [id, selector]): Promise<ProposalInfo | null> =>
      reader.proposal(id, await height(ctx.backend, selector)),
  });

  const charter_getProposals = defineMethod({
    name: "charter_getProposals",
    description: "Proposals at a block, newest first from an id, optionally in one state.",
    params: [optional("query", parseProposalsQuery), block],
    handler: async (ctx, [query, selector]): Promise<ProposalInfo[]> =>
      reader.proposals(query ?? { count: PROPOSALS_COUNT_DEFAULT }, await height(ctx.backend, selector)),
  });

  const charter_getGovernanceHistory = defineMethod({
    name: "charter_getGovernanceHistory",
    description:
      "The system contracts' events in a block range, decoded, optionally of one proposal or account.",
    params: [optional("query", parseHistoryQuery)],
    handler: async (ctx, [query]): Promise<GovernanceEvent[]> => {
      const params = query ?? {};
      const range = historyRange(ctx.backend, params, ctx.limits);
      if (range === undefined) return [];
      return reader.history({
        fromHeight: range.from,
        toHeight: range.to,
        logsMax: ctx.limits.logsResultsMax,
        ...(params.proposalId === undefined ? {} : { proposalId: params.proposalId }),
        ...(params.account === undefined ? {} : { account: params.account }),
      });
    },
  });

  const charter_getOrganizations = defineMethod({
    name: "charter_getOrganizations",
    description: "The member organizations at a block: id, name, CA certificate fingerprint.",
    params: [block],
    handler: async (ctx, [selector]): Promise<OrganizationInfo[]> =>
      reader.organizations(await height(ctx.backend, selector)),
  });

  const charter_getNodes = defineMethod({
    name: "charter_getNodes",
    description: "The registered nodes at a block: address, organization, role, weight, public key.",
    params: [block],
    handler: async (ctx, [selector]): Promise<NodeInfo[]> =>
      reader.nodes(await height(ctx.backend, selector)),
  });

  const charter_getAccountStatus = defineMethod({
    name: "charter_getAccountStatus",
    description: "Whether an account or contract is normal, frozen or abolished at a block.",
    params: [required("address", parseAddress), block],
    handler: async (ctx, [address, selector]): Promise<AccountStatusCode> =>
      reader.accountStatus(address, await height(ctx.backend, selector)),
  });

  const charter_getPermissions = defineMethod({
    name: "charter_getPermissions",
    description: "The deploy and transact policies at a block: mode, allowlist and denylist of each.",
    params: [block],
    handler: async (ctx, [selector]): Promise<PermissionsInfo> =>
      reader.permissions(await height(ctx.backend, selector)),
  });

  const charter_getChainParams = defineMethod({
    name: "charter_getChainParams",
    description: "The chain parameters the committee sets, at a block.",
    params: [block],
    handler: async (ctx, [selector]): Promise<ChainParamsInfo> =>
      reader.chainParams(await height(ctx.backend, selector)),
  });

  return [
    charter_getCommittee,
    charter_getProposal,
    charter_getProposals,
    charter_getGovernanceHistory,
    charter_getOrganizations,
    charter_getNodes,
    charter_getAccountStatus,
    charter_getPermissions,
    charter_getChainParams,
  ] as MethodDeclaration[];
}

/** Every method a node serves: the Ethereum methods and the `charter_*` ones. */
export function nodeRPCMethods(backend: NodeRPCBackend): MethodDeclaration[] {
  return [...Object.values(ethereumMethods), ...createCharterMethods(backend)] as MethodDeclaration[];
}
