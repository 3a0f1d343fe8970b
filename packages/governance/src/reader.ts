import { BoundedCache, bytesToHex, equalBytes, hexToBytes, toQuantity } from "@charter/utils";
import {
  type Abi,
  type AbiParameter,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type ContractFunctionReturnType,
  type DecodeFunctionResultParameters,
  decodeEventLog,
  decodeFunctionResult,
  type EncodeFunctionDataParameters,
  encodeEventTopics,
  encodeFunctionData,
  type Hex,
} from "viem";
import { SYSTEM_ADDRESSES, type SystemContractName } from "./addresses.js";
import {
  accountStatusArtifact,
  chainParamsArtifact,
  committeeArtifact,
  nodeRegistryArtifact,
  orgRegistryArtifact,
  permissionsArtifact,
} from "./artifacts.js";
import {
  AccountStatusCode,
  ChainParam,
  NodeRole,
  nameOf,
  PERMISSION_LIST_MAX,
  PermissionList,
  Policy,
  PolicyMode,
  ProposalState,
  VOTING_BLOCKS_MAX,
  VoteChoice,
} from "./constants.js";
import { GovernanceError } from "./errors.js";
import { orgIdFromBytes32 } from "./slots.js";

/**
 * Reads governance as plain, JSON-ready objects: the system contracts' views through `eth_call`, and what storage
 * does not keep (a proposal's description, who voted when, the audit trail) from their events. The `charter_*`
 * JSON-RPC methods answer with these objects as they are; docs/spec/rpc.md section 4.9 describes each shape.
 * Addresses and byte data are lower-case 0x-hex, integers 0x-hex quantities, enum values their names.
 */

// ------------------------------------------------------------------ the source

/** A log of a system contract with where it is in the chain and who sent its transaction. */
export interface GovernanceLog {
  readonly address: Uint8Array;
  readonly topics: readonly Uint8Array[];
  readonly data: Uint8Array;
  readonly blockNumber: number;
  readonly transactionHash: Uint8Array;
  /** Index among all logs of the block (as `eth_getLogs` numbers them). */
  readonly logIndex: number;
  /** The sender of the transaction that emitted it. */
  readonly sender: Uint8Array;
}

export interface GovernanceLogFilter {
  /** Emitters; a log matches any of them. */
  readonly addresses: readonly Uint8Array[];
  /** Inclusive block range; `toHeight` is at most the source's head. */
  readonly fromHeight: number;
  readonly toHeight: number;
  /** Per topic position, any of these values; `null` matches any value. */
  readonly topics?: readonly (readonly Uint8Array[] | null)[];
  /** The most logs the caller accepts: a source throws rather than collect more. */
  readonly logsMax?: number;
}

/** What the reader needs from a node: calls against a committed state, and the logs of committed blocks. */
export interface GovernanceSource {
  /** eth_call against the state after block `height`; returns the return data or throws on revert. */
  call(to: Uint8Array, data: Uint8Array, height: number): Promise<Uint8Array>;
  /** Logs emitted by `addresses` in blocks [fromHeight, toHeight], in chain order. */
  logs(filter: GovernanceLogFilter): Promise<readonly GovernanceLog[]>;
}

// ------------------------------------------------------------------ the shapes

export interface CommitteeInfo {
  /** In the contract's member order. */
  readonly members: readonly { readonly address: Hex; readonly weight: Hex }[];
  readonly totalWeight: Hex;
  readonly participationBps: Hex;
  readonly approvalBps: Hex;
  /** Increases with every change of members, weights or thresholds; older proposals are outdated. */
  readonly version: Hex;
  readonly proposalCount: Hex;
}

/** A proposal's state at the height read (`none` is answered as `null` instead). */
export type ProposalStateName = Exclude<ProposalState, "none">;

/** Where a transaction of the audit trail is. */
export interface ChainPosition {
  readonly blockNumber: Hex;
  readonly transactionHash: Hex;
}

export interface ProposalVote extends ChainPosition {
  readonly voter: Hex;
  readonly approve: boolean;
  /** The member's weight when it voted. */
  readonly weight: Hex;
}

export interface ProposalInfo {
  readonly id: Hex;
  readonly proposer: Hex;
  readonly target: Hex;
  readonly data: Hex;
  readonly description: string;
  /** The last block that takes votes. */
  readonly deadline: Hex;
  readonly committeeVersion: Hex;
  readonly state: ProposalStateName;
  readonly yes: Hex;
  readonly no: Hex;
  readonly createdAt: ChainPosition;
  /** In chain order, up to the height read. */
  readonly votes: readonly ProposalVote[];
}

export interface ProposalsQuery {
  /** Only proposals in this state. */
  readonly state?: ProposalStateName;
  /** The newest id to start from (default: the latest proposal). */
  readonly fromId?: bigint;
  /** How many proposals to return, at most `PROPOSALS_PAGE_MAX` (more are cut to it). */
  readonly count: number;
}

export interface HistoryQuery {
  /** Inclusive block range, at most the head. */
  readonly fromHeight: number;
  readonly toHeight: number;
  /** Only this proposal's Committee events and what its execution emitted. */
  readonly proposalId?: bigint;
  /** Only events sent by this account or naming it in an address argument. */
  readonly account?: Uint8Array;
  /** Passed to the source's log query. */
  readonly logsMax?: number;
}

/** A decoded event argument: hex text for addresses, bytes and integers, booleans, strings, enum names. */
export type GovernanceEventArg =
  | string
  | boolean
  | readonly GovernanceEventArg[]
  | { readonly [name: string]: GovernanceEventArg };

export interface GovernanceEvent extends ChainPosition {
  readonly logIndex: Hex;
  /** The sender of the transaction (for a deciding vote, the voter, not the Committee). */
  readonly sender: Hex;
  readonly contract: SystemContractName;
  readonly event: string;
  readonly args: { readonly [name: string]: GovernanceEventArg };
}

export interface OrganizationInfo {
  /** The id as the genesis file writes it (`"bank"`), not its bytes32. */
  readonly id: string;
  readonly name: string;
  /** SHA-256 of the org CA certificate (DER), or `null` when none is registered. */
  readonly caFingerprint: Hex | null;
}

export interface NodeInfo {
  readonly address: Hex;
  /** The organization's id, as in `OrganizationInfo.id`. */
  readonly org: string;
  readonly role: Exclude<NodeRole, "none">;
  readonly weight: Hex;
  /** Uncompressed: `0x04 ‖ x ‖ y`. */
  readonly publicKey: Hex;
}

export interface PolicyInfo {
  readonly mode: PolicyMode;
  readonly allowlist: readonly Hex[];
  readonly denylist: readonly Hex[];
}

export interface PermissionsInfo {
  readonly deploy: PolicyInfo;
  readonly transact: PolicyInfo;
}

/** Every `ChainParams` parameter by its `ChainParam` name. */
export type ChainParamsInfo = { readonly [K in ChainParam]: Hex };

export interface GovernanceReader {
  committee(height: number): Promise<CommitteeInfo>;
  /** `null` when no proposal `id` exists at `height`. */
  proposal(id: bigint, height: number): Promise<ProposalInfo | null>;
  /**
   * Proposals newest first, from `fromId` down. With a state, at most `PROPOSALS_SCAN_MAX` ids are looked at per
   * call (a client continues below the last one: `fromId − PROPOSALS_SCAN_MAX`).
   */
  proposals(query: ProposalsQuery, height: number): Promise<ProposalInfo[]>;
  /** The system contracts' events in a block range, in chain order. */
  history(query: HistoryQuery): Promise<GovernanceEvent[]>;
  organizations(height: number): Promise<OrganizationInfo[]>;
  nodes(height: number): Promise<NodeInfo[]>;
  accountStatus(account: Uint8Array, height: number): Promise<AccountStatusCode>;
  permissions(height: number): Promise<PermissionsInfo>;
  chainParams(height: number): Promise<ChainParamsInfo>;
}

// ------------------------------------------------------------------ limits

/** Most proposals one `proposals` call returns. */
export const PROPOSALS_PAGE_MAX = 100;
/** Most proposal ids one `proposals` call with a state looks at. */
export const PROPOSALS_SCAN_MAX = 1000;
/**
 * Below this many blocks, a search for a proposal's events reads the logs of the range instead of narrowing it
 * further by calls against older states.
 */
const SCAN_BLOCKS_MAX = 256;
/** Proposals whose creation (and, once closed, votes) the reader remembers. */
const PROPOSAL_CACHE_MAX = 4096;
/** Entries one `Permissions.getList` call returns at most (`BATCH_MAX * 4`). */
const PERMISSION_PAGE = 256;

// ------------------------------------------------------------------ ABIs, events and enums

const CONTRACTS = {
  NodeRegistry: { address: SYSTEM_ADDRESSES.NodeRegistry, abi: nodeRegistryArtifact.abi },
  OrgRegistry: { address: SYSTEM_ADDRESSES.OrgRegistry, abi: orgRegistryArtifact.abi },
  Committee: { address: SYSTEM_ADDRESSES.Committee, abi: committeeArtifact.abi },
  Permissions: { address: SYSTEM_ADDRESSES.Permissions, abi: permissionsArtifact.abi },
  AccountStatus: { address: SYSTEM_ADDRESSES.AccountStatus, abi: accountStatusArtifact.abi },
  ChainParams: { address: SYSTEM_ADDRESSES.ChainParams, abi: chainParamsArtifact.abi },
} as const;

const CONTRACT_NAMES = Object.keys(CONTRACTS) as SystemContractName[];
const SYSTEM_ADDRESS_LIST = CONTRACT_NAMES.map((name) => CONTRACTS[name].address);

/**
 * The TypeScript twin of every enum the system contracts' ABIs name (solc's `internalType`), so that an event
 * argument reads `"validator"` rather than `2`. A test checks that every enum of every ABI is here.
 */
export const GOVERNANCE_ENUMS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  "enum NodeRegistry.Role": NodeRole,
  "enum Permissions.Mode": PolicyMode,
  "enum Permissions.Policy": Policy,
  "enum Permissions.List": PermissionList,
  "enum AccountStatus.Status": AccountStatusCode,
  "enum ChainParams.Param": ChainParam,
  "enum Committee.State": ProposalState,
  "enum Committee.Vote": VoteChoice,
};

function corrupt(message: string): GovernanceError {
  return new GovernanceError("corrupt-state", message);
}

/** The name of enum value `code`; a value the contract never emits means the chain's data is damaged. */
function enumName<T extends Record<string, number>>(values: T, code: number, what: string): keyof T & string {
  const name = nameOf(values, code);
  if (name === undefined) throw corrupt(`${what} ${code} is not a value the system contracts use.`);
  return name as keyof T & string;
}

const lower = (address: string): Hex => address.toLowerCase() as Hex;
const hex = (bytes: Uint8Array): Hex => bytesToHex(bytes) as Hex;
const quantity = (value: bigint | number): Hex => toQuantity(value) as Hex;

/** An event argument as JSON, by its ABI parameter. */
function argToJSON(parameter: AbiParameter, value: unknown): GovernanceEventArg {
  const enumValues = parameter.internalType ? GOVERNANCE_ENUMS[parameter.internalType] : undefined;
  if (enumValues !== undefined) return enumName(enumValues, Number(value), parameter.internalType!);
  if (parameter.type.endsWith("]")) {
    const inner = { ...parameter, type: parameter.type.slice(0, parameter.type.lastIndexOf("[")) };
    return (value as readonly unknown[]).map((item) => argToJSON(inner as AbiParameter, item));
  }
  if (parameter.type === "tuple" && "components" in parameter) {
    const object = value as Record<string, unknown>;
    return Object.fromEntries(
      parameter.components.map((component, i) => [
        component.name ?? String(i),
        argToJSON(component, object[component.name ?? String(i)]),
      ]),
    );
  }
  if (parameter.type === "address") return lower(value as string);
  if (parameter.type === "bool") return value as boolean;
  if (parameter.type === "string") return value as string;
  if (parameter.type.startsWith("uint") || parameter.type.startsWith("int")) {
    return quantity(value as bigint | number);
  }
  // bytes and bytesN: viem gives lower-case hex already.
  return lower(value as string);
}

interface DecodedLog {
  readonly log: GovernanceLog;
  readonly contract: SystemContractName;
  readonly event: string;
  readonly inputs: readonly AbiParameter[];
  readonly args: Readonly<Record<string, unknown>>;
}

function decodeLog(log: GovernanceLog): DecodedLog {
  const contract = CONTRACT_NAMES.find((name) => equalBytes(CONTRACTS[name].address, log.address));
  if (contract === undefined) throw corrupt(`a log of ${hex(log.address)} is not a system contract's.`);
  const abi = CONTRACTS[contract].abi as Abi;
  let decoded: { eventName: string | undefined; args: unknown };
  try {
    decoded = decodeEventLog({
      abi,
      topics: log.topics.map(hex) as [Hex, ...Hex[]],
      data: hex(log.data),
    });
  } catch (error) {
    throw new GovernanceError(
      "corrupt-state",
      `a log of ${contract} in block ${log.blockNumber} is none of its events.`,
      { cause: error },
    );
  }
  const event = decoded.eventName ?? "";
  const item = abi.find((entry) => entry.type === "event" && entry.name === event);
  const inputs = item?.type === "event" ? item.inputs : [];
  return { log, contract, event, inputs, args: (decoded.args ?? {}) as Record<string, unknown> };
}

function eventToJSON(decoded: DecodedLog): GovernanceEvent {
  const { log } = decoded;
  return {
    blockNumber: quantity(log.blockNumber),
    transactionHash: hex(log.transactionHash),
    logIndex: quantity(log.logIndex),
    sender: hex(log.sender),
    contract: decoded.contract,
    event: decoded.event,
    args: Object.fromEntries(
      decoded.inputs.map((input, i) => {
        const name = input.name ?? String(i);
        return [name, argToJSON(input, decoded.args[name])];
      }),
    ),
  };
}

/** Whether one of the event's address arguments is `account`. */
function namesAccount(decoded: DecodedLog, account: Hex): boolean {
  return decoded.inputs.some(
    (input) =>
      input.type === "address" &&
      input.name !== undefined &&
      lower(decoded.args[input.name] as string) === account,
  );
}

/** The `[event signature, id]` topics of a Committee event about proposal `id`. */
function proposalTopics(
  eventName: "ProposalCreated" | "Voted",
  id: bigint,
): readonly (readonly Uint8Array[] | null)[] {
  const topics = encodeEventTopics({ abi: committeeArtifact.abi, eventName, args: { id } } as never);
  return topics.map((topic) => (topic === null ? null : [hexToBytes(topic as string)]));
}

// ------------------------------------------------------------------ the reader

interface ProposalCreation {
  readonly createdAt: ChainPosition;
  readonly description: string;
}

interface Vote {
  readonly json: ProposalVote;
  readonly blockNumber: number;
}

/**
 * Creates a reader over `source`. It remembers (up to a bound) what never changes once on chain: where each
 * proposal was created with its description, and the votes of closed proposals.
 *
 * @example
 * ```ts
 * const reader = createGovernanceReader(source);
 * const head = 120;
 * const proposal = await reader.proposal(1n, head);
 * // { id: "0x1", state: "executed", description: "admit the bank", votes: [...], ... }
 * ```
 */
export function createGovernanceReader(source: GovernanceSource): GovernanceReader {
  const creations = new BoundedCache<ProposalCreation>(PROPOSAL_CACHE_MAX);
  /** Every vote of a proposal that can take no more (any state but pending is final). */
  const finalVotes = new BoundedCache<readonly Vote[]>(PROPOSAL_CACHE_MAX);

  async function view<
    const abi extends Abi,
    name extends ContractFunctionName<abi, "pure" | "view">,
    const args extends ContractFunctionArgs<abi, "pure" | "view", name>,
  >(
    contract: { readonly address: Uint8Array; readonly abi: abi },
    functionName: name,
    args: args,
    height: number,
  ): Promise<ContractFunctionReturnType<abi, "pure" | "view", name, args>> {
    const data = encodeFunctionData({
      abi: contract.abi,
      functionName,
      args,
    } as EncodeFunctionDataParameters);
    const result = await source.call(contract.address, hexToBytes(data), height);
    return decodeFunctionResult({
      abi: contract.abi,
      functionName,
      data: hex(result),
    } as DecodeFunctionResultParameters) as ContractFunctionReturnType<abi, "pure" | "view", name, args>;
  }

  const committeeView = <name extends ContractFunctionName<typeof committeeArtifact.abi, "pure" | "view">>(
    functionName: name,
    args: ContractFunctionArgs<typeof committeeArtifact.abi, "pure" | "view", name>,
    height: number,
  ) => view(CONTRACTS.Committee, functionName, args, height);

  const proposalCountAt = (height: number) => committeeView("proposalCount", [], height);
  const votedWeightAt = async (id: bigint, height: number) => {
    const proposal = await committeeView("getProposal", [id], height);
    return proposal.yes + proposal.no;
  };

  /**
   * Where proposal `id` was created. `proposalCount` only grows, so the creation block is the first whose count
   * reaches `id`; it lies within `VOTING_BLOCKS_MAX` blocks before the deadline. Narrowed by calls against older
   * states down to a short range, whose logs hold the ProposalCreated event with the description.
   */
  async function creation(id: bigint, deadline: number, height: number): Promise<ProposalCreation> {
    const key = id.toString();
    const known = creations.get(key);
    if (known !== undefined) return known;
    let lo = Math.max(1, deadline - VOTING_BLOCKS_MAX);
    let hi = Math.min(height, deadline - 1);
    while (hi - lo + 1 > SCAN_BLOCKS_MAX) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await proposalCountAt(mid)) >= id) hi = mid;
      else lo = mid + 1;
    }
    const logs = await source.logs({
      addresses: [CONTRACTS.Committee.address],
      fromHeight: lo,
      toHeight: hi,
      topics: proposalTopics("ProposalCreated", id),
    });
    const created = logs.map(decodeLog).find((d) => d.event === "ProposalCreated" && d.args.id === id);
    if (created === undefined) {
      throw corrupt(`proposal ${id} exists but no ProposalCreated event was found in blocks ${lo} to ${hi}.`);
    }
    const result: ProposalCreation = {
      createdAt: {
        blockNumber: quantity(created.log.blockNumber),
        transactionHash: hex(created.log.transactionHash),
      },
      description: created.args.description as string,
    };
    creations.set(key, result);
    return result;
  }

  /**
   * The votes on proposal `id` in blocks [from, to]. The weight voted (`yes + no`) only grows, by each vote, so
   * the blocks holding votes are found by splitting the range where that sum changes, down to short ranges
   * whose logs are read.
   */
  async function votes(id: bigint, from: number, to: number, votedAtTo: bigint): Promise<Vote[]> {
    const ranges: [number, number][] = [];
    const split = async (lo: number, hi: number, before: bigint, after: bigint): Promise<void> => {
      if (before === after) return;
      if (hi - lo + 1 <= SCAN_BLOCKS_MAX) {
        const last = ranges.at(-1);
        if (last !== undefined && last[1] + 1 === lo) last[1] = hi;
        else ranges.push([lo, hi]);
        return;
      }
      const mid = Math.floor((lo + hi) / 2);
      const atMid = await votedWeightAt(id, mid);
      await split(lo, mid, before, atMid);
      await split(mid + 1, hi, atMid, after);
    };
    // Before its creation block the proposal has no votes.
    await split(from, to, 0n, votedAtTo);
    const out: Vote[] = [];
    for (const [lo, hi] of ranges) {
      const logs = await source.logs({
        addresses: [CONTRACTS.Committee.address],
        fromHeight: lo,
        toHeight: hi,
        topics: proposalTopics("Voted", id),
      });
      for (const decoded of logs.map(decodeLog)) {
        if (decoded.event !== "Voted" || decoded.args.id !== id) continue;
        out.push({
          blockNumber: decoded.log.blockNumber,
          json: {
            voter: lower(decoded.args.voter as string),
            approve: decoded.args.approve as boolean,
            weight: quantity(decoded.args.weight as bigint),
            blockNumber: quantity(decoded.log.blockNumber),
            transactionHash: hex(decoded.log.transactionHash),
          },
        });
      }
    }
    return out;
  }

  async function proposal(id: bigint, height: number): Promise<ProposalInfo | null> {
    if (id < 1n || id > (await proposalCountAt(height))) return null;
    const stored = await committeeView("getProposal", [id], height);
    const state = enumName(ProposalState, await committeeView("stateOf", [id], height), "proposal state");
    if (state === "none") return null;
    const deadline = Number(stored.deadline);
    const { createdAt, description } = await creation(id, deadline, height);
    const created = Number(createdAt.blockNumber);
    const key = id.toString();
    let voteList = finalVotes.get(key);
    if (voteList === undefined) {
      voteList = await votes(id, created, Math.min(height, deadline), stored.yes + stored.no);
      if (state !== "pending") finalVotes.set(key, voteList);
    }
    const cast = voteList.filter((vote) => vote.blockNumber <= height).map((vote) => vote.json);
    // The events must account for every weight the proposal counts; otherwise the search above missed some.
    let yes = 0n;
    let no = 0n;
    for (const vote of cast) {
      if (vote.approve) yes += BigInt(vote.weight);
      else no += BigInt(vote.weight);
    }
    if (yes !== stored.yes || no !== stored.no) {
      throw corrupt(
        `proposal ${id} counts ${stored.yes} yes and ${stored.no} no at block ${height}, but its Voted events add up to ${yes} and ${no}.`,
      );
    }
    return {
      id: quantity(id),
      proposer: lower(stored.proposer),
      target: lower(stored.target),
      data: lower(stored.data),
      description,
      deadline: quantity(stored.deadline),
      committeeVersion: quantity(stored.committeeVersion),
      state,
      yes: quantity(stored.yes),
      no: quantity(stored.no),
      createdAt,
      votes: cast,
    };
  }

  async function list(name: keyof typeof PermissionList, height: number): Promise<Hex[]> {
    const code = PermissionList[name];
    const length = Number(await view(CONTRACTS.Permissions, "listLength", [code], height));
    if (length > PERMISSION_LIST_MAX) throw corrupt(`permission list ${name} holds ${length} entries.`);
    const out: Hex[] = [];
    while (out.length < length) {
      const page = await view(
        CONTRACTS.Permissions,
        "getList",
        [code, BigInt(out.length), BigInt(PERMISSION_PAGE)],
        height,
      );
      if (page.length === 0) break;
      out.push(...page.map(lower));
    }
    return out;
  }

  return {
    async committee(height) {
      const [members, weights] = await committeeView("getMembers", [], height);
      return {
        members: members.map((address, i) => ({ address: lower(address), weight: quantity(weights[i]!) })),
        totalWeight: quantity(await committeeView("totalWeight", [], height)),
        participationBps: quantity(await committeeView("participationBps", [], height)),
        approvalBps: quantity(await committeeView("approvalBps", [], height)),
        version: quantity(await committeeView("version", [], height)),
        proposalCount: quantity(await proposalCountAt(height)),
      };
    },

    proposal,

    async proposals(query, height) {
      const count = await proposalCountAt(height);
      let id = query.fromId === undefined || query.fromId > count ? count : query.fromId;
      const out: ProposalInfo[] = [];
      const wanted = Math.min(query.count, PROPOSALS_PAGE_MAX);
      const scanEnd = query.state === undefined ? 0n : id - BigInt(PROPOSALS_SCAN_MAX);
      for (; id >= 1n && id > scanEnd && out.length < wanted; id--) {
        if (query.state !== undefined) {
          const code = await committeeView("stateOf", [id], height);
          if (code !== ProposalState[query.state]) continue;
        }
        const found = await proposal(id, height);
        if (found !== null) out.push(found);
      }
      return out;
    },

    async history(query) {
      const logs = await source.logs({
        addresses: SYSTEM_ADDRESS_LIST,
        fromHeight: query.fromHeight,
        toHeight: query.toHeight,
        ...(query.logsMax === undefined ? {} : { logsMax: query.logsMax }),
      });
      let decoded = logs.map(decodeLog);
      const { proposalId, account } = query;
      if (proposalId !== undefined) {
        // What the proposal's call emitted: the logs between its ProposalPassed and ProposalExecuted.
        const executed: { transactionHash: Uint8Array; from: number; to: number }[] = [];
        for (const d of decoded) {
          if (d.contract !== "Committee" || d.args.id !== proposalId) continue;
          if (d.event === "ProposalPassed") {
            executed.push({ transactionHash: d.log.transactionHash, from: d.log.logIndex, to: Infinity });
          } else if (d.event === "ProposalExecuted") {
            const open = executed.find((e) => equalBytes(e.transactionHash, d.log.transactionHash));
            if (open !== undefined) open.to = d.log.logIndex;
          }
        }
        decoded = decoded.filter(
          (d) =>
            (d.contract === "Committee" && d.args.id === proposalId) ||
            executed.some(
              (e) =>
                equalBytes(e.transactionHash, d.log.transactionHash) &&
                d.log.logIndex > e.from &&
                d.log.logIndex < e.to,
            ),
        );
      }
      if (account !== undefined) {
        const wanted = hex(account);
        decoded = decoded.filter((d) => equalBytes(d.log.sender, account) || namesAccount(d, wanted));
      }
      return decoded.map(eventToJSON);
    },

    async organizations(height) {
      const ids = await view(CONTRACTS.OrgRegistry, "getOrgIds", [], height);
      const out: OrganizationInfo[] = [];
      for (const id of ids) {
        const [exists, name, caFingerprint] = await view(CONTRACTS.OrgRegistry, "getOrg", [id], height);
        if (!exists) throw corrupt(`organization ${id} is listed but does not exist.`);
        out.push({
          id: orgIdFromBytes32(hexToBytes(id)),
          name,
          caFingerprint: /^0x0*$/.test(caFingerprint) ? null : lower(caFingerprint),
        });
      }
      return out;
    },

    async nodes(height) {
      const accounts = await view(CONTRACTS.NodeRegistry, "getNodes", [], height);
      const out: NodeInfo[] = [];
      for (const account of accounts) {
        const [role, org, weight, x, y] = await view(CONTRACTS.NodeRegistry, "getNode", [account], height);
        const roleName = enumName(NodeRole, role, "node role");
        if (roleName === "none") throw corrupt(`node ${account} is listed without a role.`);
        out.push({
          address: lower(account),
          org: orgIdFromBytes32(hexToBytes(org)),
          role: roleName,
          weight: quantity(weight),
          publicKey: `0x04${x.slice(2)}${y.slice(2)}`.toLowerCase() as Hex,
        });
      }
      return out;
    },

    async accountStatus(account, height) {
      const code = await view(CONTRACTS.AccountStatus, "statusOf", [hex(account)], height);
      return enumName(AccountStatusCode, code, "account status");
    },

    async permissions(height) {
      const deployMode = await view(CONTRACTS.Permissions, "deployMode", [], height);
      const transactMode = await view(CONTRACTS.Permissions, "transactMode", [], height);
      return {
        deploy: {
          mode: enumName(PolicyMode, deployMode, "deploy mode"),
          allowlist: await list("deployAllow", height),
          denylist: await list("deployDeny", height),
        },
        transact: {
          mode: enumName(PolicyMode, transactMode, "transact mode"),
          allowlist: await list("transactAllow", height),
          denylist: await list("transactDeny", height),
        },
      };
    },

    async chainParams(height) {
      const values = await view(CONTRACTS.ChainParams, "getValues", [], height);
      const out = {} as { [K in ChainParam]: Hex };
      for (const [name, index] of Object.entries(ChainParam) as [ChainParam, number][]) {
        const value = values[index];
        if (value === undefined) throw corrupt(`ChainParams has no value for ${name}.`);
        out[name] = quantity(value);
      }
      return out;
    },
  };
}
