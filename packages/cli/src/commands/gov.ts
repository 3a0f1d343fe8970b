import { readFileSync } from "node:fs";
import type { CryptoSuiteName } from "@charter/crypto";
import {
  abolishAccount,
  addMember,
  addNode,
  addOrg,
  addToList,
  type ChainParamName,
  charterGovernanceActions,
  DEFAULT_VOTING_BLOCKS,
  freezeAccount,
  type GovernanceCall,
  type PermissionListName,
  type ProposalStateName,
  privateKeyToSM2Account,
  removeFromList,
  removeMember,
  removeNode,
  removeOrg,
  restoreCertificate,
  revokeCertificate,
  setChainParam,
  setContractAdmin,
  setMemberWeight,
  setMethodAllowlist,
  setMethodRestricted,
  setNodeRole,
  setNodeWeight,
  setOrgCA,
  setPolicyMode,
  setThresholds,
  unfreezeAccount,
} from "@charter/sdk";
import { type Command, InvalidArgumentError, Option } from "commander";
import { createPublicClient, createWalletClient, type Hex, http, isAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { cryptoOption, integer } from "../commandLine.js";
import { govErrorMessage } from "./govErrors.js";
import { historyTable, proposalSummary, proposalsTable, proposalText, toJSON } from "./govOutput.js";

/**
 * `charter gov`: governance by the committee (docs/spec/governance.md). A member proposes a call of a system
 * contract (`propose <kind>`, one kind per registry function) and members vote (`vote`); the vote that passes a
 * proposal executes it. `list`, `show` and `history` read the node's `charter_*` methods. Every command talks to
 * one node over JSON-RPC (`--rpc`); the write commands sign with a committee member's key (`--key-file` or
 * `CHARTER_GOV_KEY`), which is never printed.
 */

export const RPC_URL_DEFAULT = "http://127.0.0.1:8545";
/** The environment variable that may hold the member's private key (hex) instead of `--key-file`. */
export const GOV_KEY_ENV = "CHARTER_GOV_KEY";
/** How long `propose` and `vote` wait for their receipt. */
const RECEIPT_TIMEOUT_MS = 60_000;

// ------------------------------------------------------------------ flag parsers

function address(value: string): string {
  if (!isAddress(value, { strict: false }))
    throw new InvalidArgumentError("must be an address: 0x followed by 40 hex digits.");
  return value.toLowerCase();
}

/** A variadic address flag (`--account a b` or `--account a --account b`). */
function addresses(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), address(value)];
}

function bytes32(value: string): string {
  const hex = value.replaceAll(":", "");
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(hex))
    throw new InvalidArgumentError("must be a SHA-256 fingerprint: 32 bytes in hex (0x and 64 hex digits).");
  return hex.startsWith("0x") ? hex.toLowerCase() : `0x${hex.toLowerCase()}`;
}

function orgId(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/.test(value))
    throw new InvalidArgumentError(
      'must be 1 to 31 ASCII letters, digits, ".", "_" or "-", starting with a letter or digit.',
    );
  return value;
}

function unsigned(value: string): bigint {
  if (!/^(0|[1-9][0-9]{0,77}|0x[0-9a-fA-F]{1,64})$/.test(value))
    throw new InvalidArgumentError("must be a non-negative integer (decimal, or hex with 0x).");
  return BigInt(value);
}

function proposalId(value: string): bigint {
  const id = unsigned(value);
  if (id === 0n) throw new InvalidArgumentError("proposal ids start at 1.");
  return id;
}

function selector(value: string): string {
  if (!/^0x[0-9a-fA-F]{8}$/.test(value))
    throw new InvalidArgumentError("must be a 4-byte method selector: 0x and 8 hex digits.");
  return value.toLowerCase();
}

/** `deploy-allow` → `deployAllow`: the CLI spells enum values in kebab case. */
const camel = (value: string) => value.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const LISTS = ["deploy-allow", "deploy-deny", "transact-allow", "transact-deny"];
const PARAMS = ["block-interval-ms", "block-gas-limit", "pool-tx-count-max", "pool-per-sender-max"];
const STATES: ProposalStateName[] = ["pending", "executed", "rejected", "expired", "outdated"];

// ------------------------------------------------------------------ shared options and clients

interface ReadOptions {
  readonly rpc: string;
  readonly json: boolean;
}

interface WriteOptions extends ReadOptions {
  readonly keyFile?: string;
  /** The chain's suite: `sm` signs with the key as an SM2 key (type-0x53 transactions). */
  readonly crypto: CryptoSuiteName;
}

function rpcOption(): Option {
  return new Option("--rpc <url>", "JSON-RPC URL of a node").default(RPC_URL_DEFAULT);
}

function withReadOptions(command: Command): Command {
  return command.addOption(rpcOption()).option("--json", "print JSON", false);
}

function withWriteOptions(command: Command): Command {
  return withReadOptions(command)
    .option(
      "--key-file <file>",
      `a committee member's private key (hex); default: the ${GOV_KEY_ENV} environment variable`,
    )
    .addOption(cryptoOption("of the chain: sm signs with the key as an SM2 key"));
}

/** The member's key from `--key-file` or `CHARTER_GOV_KEY`. Messages name the source, never the key. */
export function loadMemberKey(keyFile: string | undefined, env: NodeJS.ProcessEnv = process.env): Hex {
  let text: string;
  let source: string;
  if (keyFile !== undefined) {
    source = `The key file ${keyFile}`;
    try {
      text = readFileSync(keyFile, "utf8");
    } catch (error) {
      throw new Error(
        `Cannot read the key file ${keyFile}: ${(error as NodeJS.ErrnoException).code ?? "error"}.`,
      );
    }
  } else if (env[GOV_KEY_ENV] !== undefined && env[GOV_KEY_ENV] !== "") {
    source = GOV_KEY_ENV;
    text = env[GOV_KEY_ENV];
  } else {
    throw new Error(
      `No committee key: give --key-file <file> (a private key in hex) or set ${GOV_KEY_ENV}. On a devnet the committee keys are the node keys, <network>/node<i>/node.key.`,
    );
  }
  const trimmed = text.trim();
  const hex = trimmed.startsWith("0x") ? trimmed : `0x${trimmed}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex))
    throw new Error(`${source} does not hold a 32-byte private key in hex.`);
  return hex.toLowerCase() as Hex;
}

function readClient(rpc: string) {
  return createPublicClient({ transport: http(rpc, { retryCount: 0 }) }).extend(charterGovernanceActions);
}

function memberClient(options: WriteOptions) {
  const key = loadMemberKey(options.keyFile);
  const account = options.crypto === "sm" ? privateKeyToSM2Account(key) : privateKeyToAccount(key);
  return createWalletClient({
    account,
    transport: http(options.rpc, { retryCount: 0 }),
    pollingInterval: 250,
  }).extend(charterGovernanceActions);
}

/** Runs a command's body, turning any failure into one clear message (printed by `main` as `error: …`). */
async function run(what: string, rpc: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    throw new Error(govErrorMessage(error, what, rpc), { cause: error });
  }
}

function print(json: boolean, data: unknown, text: string): void {
  process.stdout.write(json ? `${toJSON(data)}\n` : `${text}\n`);
}

// ------------------------------------------------------------------ propose kinds

interface Kind {
  readonly name: string;
  readonly description: string;
  readonly options: readonly Option[];
  build(opts: Record<string, unknown>): GovernanceCall;
}

type Parse = (value: string, previous: never) => unknown;
const req = (flags: string, description: string, parse?: Parse) => {
  const option = new Option(flags, description).makeOptionMandatory();
  return parse ? option.argParser(parse as (value: string, previous: never) => never) : option;
};
const opt = (flags: string, description: string, parse?: Parse) => {
  const option = new Option(flags, description);
  return parse ? option.argParser(parse as (value: string, previous: never) => never) : option;
};

const nodeWeight = integer(1, 2 ** 20);
const memberWeight = integer(1, 1_000_000);
const str = (v: unknown) => v as string;

/** One `propose` subcommand per mutating function of the system contracts. */
export const PROPOSAL_KINDS: readonly Kind[] = [
  {
    name: "add-node",
    description: "admit a node (NodeRegistry.addNode); a validator takes part in consensus two blocks after",
    options: [
      req("--address <address>", "the node's chain address (of its node key)", address),
      req("--org <id>", "the organization that runs it", orgId),
      req("--role <role>", "its role").choices(["validator", "observer"]),
      opt("--weight <n>", "consensus weight, 1 to 2^20", nodeWeight).default(1),
      req("--public-key <hex>", "the node key's uncompressed public key (0x04…, `charter keys show`)"),
    ],
    build: (o) =>
      addNode({
        address: str(o.address),
        org: str(o.org),
        role: o.role as "validator" | "observer",
        weight: o.weight as number,
        publicKey: str(o.publicKey),
      }),
  },
  {
    name: "remove-node",
    description: "remove a node (NodeRegistry.removeNode)",
    options: [req("--address <address>", "the node's address", address)],
    build: (o) => removeNode({ address: str(o.address) }),
  },
  {
    name: "set-node-role",
    description: "promote an observer to validator or demote a validator (NodeRegistry.setNodeRole)",
    options: [
      req("--address <address>", "the node's address", address),
      req("--role <role>", "its new role").choices(["validator", "observer"]),
    ],
    build: (o) => setNodeRole({ address: str(o.address), role: o.role as "validator" | "observer" }),
  },
  {
    name: "set-node-weight",
    description: "change a node's consensus weight (NodeRegistry.setNodeWeight)",
    options: [
      req("--address <address>", "the node's address", address),
      req("--weight <n>", "consensus weight, 1 to 2^20", nodeWeight),
    ],
    build: (o) => setNodeWeight({ address: str(o.address), weight: o.weight as number }),
  },
  {
    name: "add-org",
    description: "admit an organization (OrgRegistry.addOrg)",
    options: [
      req("--id <id>", "its id: 1 to 31 ASCII letters, digits, '.', '_' or '-'", orgId),
      req("--name <name>", "its name, 1 to 64 bytes"),
      opt("--ca-fingerprint <hex>", "SHA-256 of its CA certificate (`charter pki show`)", bytes32),
    ],
    build: (o) =>
      addOrg({
        id: str(o.id),
        name: str(o.name),
        ...(o.caFingerprint === undefined ? {} : { caFingerprint: str(o.caFingerprint) }),
      }),
  },
  {
    name: "remove-org",
    description: "remove an organization without nodes (OrgRegistry.removeOrg)",
    options: [req("--id <id>", "its id", orgId)],
    build: (o) => removeOrg({ id: str(o.id) }),
  },
  {
    name: "set-org-ca",
    description: "record an organization's new CA certificate, or clear it (OrgRegistry.setOrgCA)",
    options: [
      req("--id <id>", "its id", orgId),
      opt("--ca-fingerprint <hex>", "SHA-256 of the new CA certificate", bytes32),
      opt("--clear", "record no CA certificate"),
    ],
    build: (o) => {
      if ((o.caFingerprint === undefined) === (o.clear !== true))
        throw new Error("Give exactly one of --ca-fingerprint <hex> and --clear.");
      return setOrgCA({ id: str(o.id), caFingerprint: o.clear === true ? null : str(o.caFingerprint) });
    },
  },
  {
    name: "revoke-certificate",
    description: "revoke a node or CA certificate (OrgRegistry.revokeCertificate)",
    options: [
      req("--fingerprint <hex>", "the certificate's SHA-256 fingerprint (`charter pki show`)", bytes32),
    ],
    build: (o) => revokeCertificate({ fingerprint: str(o.fingerprint) }),
  },
  {
    name: "restore-certificate",
    description: "lift a certificate's revocation (OrgRegistry.restoreCertificate)",
    options: [req("--fingerprint <hex>", "the certificate's SHA-256 fingerprint", bytes32)],
    build: (o) => restoreCertificate({ fingerprint: str(o.fingerprint) }),
  },
  {
    name: "add-member",
    description: "add a committee member (Committee.addMember; outdates open proposals)",
    options: [
      req("--address <address>", "the member's account", address),
      opt("--weight <n>", "voting weight, 1 to 1,000,000", memberWeight).default(1),
    ],
    build: (o) => addMember({ address: str(o.address), weight: o.weight as number }),
  },
  {
    name: "remove-member",
    description: "remove a committee member (Committee.removeMember; outdates open proposals)",
    options: [req("--address <address>", "the member's account", address)],
    build: (o) => removeMember({ address: str(o.address) }),
  },
  {
    name: "set-member-weight",
    description: "change a member's voting weight (Committee.setMemberWeight; outdates open proposals)",
    options: [
      req("--address <address>", "the member's account", address),
      req("--weight <n>", "voting weight, 1 to 1,000,000", memberWeight),
    ],
    build: (o) => setMemberWeight({ address: str(o.address), weight: o.weight as number }),
  },
  {
    name: "set-thresholds",
    description: "change the participation and approval thresholds (Committee.setThresholds)",
    options: [
      req("--participation-bps <n>", "share of the weight that must vote, 1 to 10000", integer(1, 10_000)),
      req(
        "--approval-bps <n>",
        "share of the weight that must approve, 5001 to 10000",
        integer(5_001, 10_000),
      ),
    ],
    build: (o) =>
      setThresholds({ participationBps: o.participationBps as number, approvalBps: o.approvalBps as number }),
  },
  {
    name: "set-mode",
    description: "set who a policy lets deploy or transact (Permissions.setMode)",
    options: [
      req("--policy <policy>", "the policy").choices(["deploy", "transact"]),
      req(
        "--mode <mode>",
        "open: everyone; allowlist: only its allowlist; denylist: all but its denylist",
      ).choices(["open", "allowlist", "denylist"]),
    ],
    build: (o) =>
      setPolicyMode({
        policy: o.policy as "deploy" | "transact",
        mode: o.mode as "open" | "allowlist" | "denylist",
      }),
  },
  {
    name: "list-add",
    description: "put accounts on a policy's allowlist or denylist (Permissions.setListed)",
    options: [
      req("--list <list>", "the list").choices(LISTS),
      req("--account <address...>", "1 to 64 accounts", addresses),
    ],
    build: (o) =>
      addToList({ list: camel(str(o.list)) as PermissionListName, accounts: o.account as string[] }),
  },
  {
    name: "list-remove",
    description: "take accounts off a policy's allowlist or denylist (Permissions.setListed)",
    options: [
      req("--list <list>", "the list").choices(LISTS),
      req("--account <address...>", "1 to 64 accounts", addresses),
    ],
    build: (o) =>
      removeFromList({ list: camel(str(o.list)) as PermissionListName, accounts: o.account as string[] }),
  },
  {
    name: "set-contract-admin",
    description:
      "name the admin of a contract's method allowlists, or remove it (Permissions.setContractAdmin)",
    options: [
      req("--contract <address>", "the contract", address),
      opt("--admin <address>", "the new admin (0x…1002: the committee itself)", address),
      opt("--none", "remove the admin"),
    ],
    build: (o) => {
      if ((o.admin === undefined) === (o.none !== true))
        throw new Error("Give exactly one of --admin <address> and --none.");
      return setContractAdmin({ contract: str(o.contract), admin: o.none === true ? null : str(o.admin) });
    },
  },
  {
    name: "restrict-method",
    description:
      "restrict a contract's method to its allowlist, or lift it (Permissions.setMethodRestricted; the committee must be the contract's admin)",
    options: [
      req("--contract <address>", "the contract", address),
      req("--selector <hex>", "the method's 4-byte selector", selector),
      opt("--lift", "lift the restriction instead"),
    ],
    build: (o) =>
      setMethodRestricted({
        contract: str(o.contract),
        selector: str(o.selector),
        restricted: o.lift !== true,
      }),
  },
  {
    name: "allow-method",
    description:
      "let accounts call a restricted method, or stop them (Permissions.setMethodAllowlist; the committee must be the contract's admin)",
    options: [
      req("--contract <address>", "the contract", address),
      req("--selector <hex>", "the method's 4-byte selector", selector),
      req("--account <address...>", "1 to 64 accounts", addresses),
      opt("--disallow", "take them off the method's allowlist instead"),
    ],
    build: (o) =>
      setMethodAllowlist({
        contract: str(o.contract),
        selector: str(o.selector),
        accounts: o.account as string[],
        allowed: o.disallow !== true,
      }),
  },
  {
    name: "freeze",
    description:
      "freeze an account or contract: its transactions and calls to it are refused (AccountStatus.freeze)",
    options: [req("--account <address>", "the account or contract", address)],
    build: (o) => freezeAccount({ account: str(o.account) }),
  },
  {
    name: "unfreeze",
    description: "unfreeze an account or contract (AccountStatus.unfreeze)",
    options: [req("--account <address>", "the account or contract", address)],
    build: (o) => unfreezeAccount({ account: str(o.account) }),
  },
  {
    name: "abolish",
    description: "abolish an account or contract for good (AccountStatus.abolish)",
    options: [req("--account <address>", "the account or contract", address)],
    build: (o) => abolishAccount({ account: str(o.account) }),
  },
  {
    name: "set-param",
    description: "change a chain parameter (ChainParams.setParam)",
    options: [
      req("--name <param>", "the parameter").choices(PARAMS),
      req("--value <n>", "its new value (pool caps: 0 unsets)", unsigned),
    ],
    build: (o) => setChainParam({ param: camel(str(o.name)) as ChainParamName, value: o.value as bigint }),
  },
];

// ------------------------------------------------------------------ commands

export function registerGovCommands(program: Command): void {
  const gov = program
    .command("gov")
    .description(
      "governance by the committee: propose and vote on changes, list and show proposals, audit history",
    );

  const propose = gov
    .command("propose")
    .description(
      "propose a change as a committee member; prints the proposal id (members then vote: charter gov vote <id>)",
    );
  for (const kind of PROPOSAL_KINDS) {
    const command = propose.command(kind.name).description(kind.description);
    for (const option of kind.options) command.addOption(option);
    command
      .requiredOption("--description <text>", "why, for the voters and the audit trail (at most 1024 bytes)")
      .addOption(
        new Option("--voting-blocks <n>", "blocks the members have to vote")
          .argParser(integer(1, 5_000_000))
          .default(Number(DEFAULT_VOTING_BLOCKS)),
      );
    withWriteOptions(command).action(async (opts: WriteOptions & Record<string, unknown>) => {
      await run("proposal", opts.rpc, async () => {
        const call = kind.build(opts);
        const client = memberClient(opts);
        const created = await client.proposeAndWait({
          call,
          description: opts.description as string,
          votingBlocks: opts.votingBlocks as number,
          timeout: RECEIPT_TIMEOUT_MS,
        });
        print(
          opts.json,
          {
            id: created.id,
            transactionHash: created.hash,
            blockNumber: created.receipt.blockNumber,
            proposer: created.proposer,
            target: call.target,
            data: call.data,
            summary: call.summary,
            deadline: created.deadline,
          },
          [
            `proposal ${created.id}: ${call.summary}`,
            `  proposed by ${created.proposer} in block ${created.receipt.blockNumber} (tx ${created.hash})`,
            `  members vote until block ${created.deadline}: charter gov vote ${created.id} --yes|--no`,
          ].join("\n"),
        );
      });
    });
  }

  withWriteOptions(
    gov
      .command("vote")
      .description("vote on a proposal as a committee member; the deciding vote executes or rejects it")
      .argument("<id>", "the proposal's id", proposalId)
      .option("--yes", "vote for")
      .option("--no", "vote against"),
  ).action(async (id: bigint, opts: WriteOptions & { yes?: boolean; no?: boolean }) => {
    if ((opts.yes === true) === (opts.no === true)) throw new Error("Give exactly one of --yes and --no.");
    await run("vote", opts.rpc, async () => {
      const client = memberClient(opts);
      const voted = await client.voteAndWait({ id, approve: opts.yes === true, timeout: RECEIPT_TIMEOUT_MS });
      const outcome =
        voted.outcome === "executed"
          ? "this vote passed it and its call was executed"
          : voted.outcome === "rejected"
            ? "this vote rejected it"
            : "it is still pending";
      print(
        opts.json,
        {
          id,
          approve: opts.yes === true,
          voter: client.account.address.toLowerCase(),
          transactionHash: voted.hash,
          blockNumber: voted.receipt.blockNumber,
          outcome: voted.outcome,
        },
        `voted ${opts.yes === true ? "yes" : "no"} on proposal ${id} in block ${voted.receipt.blockNumber} (tx ${voted.hash}): ${outcome}`,
      );
    });
  });

  withReadOptions(
    gov
      .command("list")
      .description("list proposals, newest first")
      .addOption(new Option("--state <state>", "only proposals in this state").choices(STATES))
      .option("--from-id <id>", "start at this id and go down (default: the newest)", proposalId)
      .option("--count <n>", "at most this many", integer(1, 100), 20),
  ).action(async (opts: ReadOptions & { state?: ProposalStateName; fromId?: bigint; count: number }) => {
    await run("list", opts.rpc, async () => {
      const proposals = await readClient(opts.rpc).getProposals({
        count: opts.count,
        ...(opts.state === undefined ? {} : { state: opts.state }),
        ...(opts.fromId === undefined ? {} : { fromId: opts.fromId }),
      });
      print(
        opts.json,
        proposals.map((p) => ({ ...p, summary: proposalSummary(p) })),
        proposalsTable(proposals),
      );
    });
  });

  withReadOptions(
    gov
      .command("show")
      .description("show a proposal: what it does, its state, its votes")
      .argument("<id>", "the proposal's id", proposalId),
  ).action(async (id: bigint, opts: ReadOptions) => {
    await run("show", opts.rpc, async () => {
      const proposal = await readClient(opts.rpc).getProposal({ id });
      if (proposal === null)
        throw new Error(`There is no proposal ${id} (charter gov list shows the proposals).`);
      print(opts.json, { ...proposal, summary: proposalSummary(proposal) }, proposalText(proposal));
    });
  });

  withReadOptions(
    gov
      .command("history")
      .description("the audit trail: who proposed and voted what, and what changed, block by block")
      .option("--from-block <n>", "first block (default: the last 10,000)", unsigned)
      .option("--to-block <n>", "last block (default: the head)", unsigned)
      .option("--proposal <id>", "only this proposal's events", proposalId)
      .option("--account <address>", "only events sent by or naming this account", address),
  ).action(
    async (
      opts: ReadOptions & { fromBlock?: bigint; toBlock?: bigint; proposal?: bigint; account?: string },
    ) => {
      await run("history", opts.rpc, async () => {
        const events = await readClient(opts.rpc).getGovernanceHistory({
          ...(opts.fromBlock === undefined ? {} : { fromBlock: opts.fromBlock }),
          ...(opts.toBlock === undefined ? {} : { toBlock: opts.toBlock }),
          ...(opts.proposal === undefined ? {} : { proposalId: opts.proposal }),
          ...(opts.account === undefined ? {} : { account: opts.account as `0x${string}` }),
        });
        print(opts.json, events, historyTable(events));
      });
    },
  );
}
