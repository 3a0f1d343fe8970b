import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  abolishAccount,
  addMember,
  addNode,
  addOrg,
  addToList,
  committeeAbi,
  freezeAccount,
  type GovernanceCall,
  type GovernanceEvent,
  type Proposal,
  removeFromList,
  removeMember,
  removeNode,
  removeOrg,
  restoreCertificate,
  revokeCertificate,
  SYSTEM_CONTRACT_ADDRESSES,
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
import { Command, CommanderError } from "commander";
import { encodeErrorResult } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOV_KEY_ENV, loadMemberKey, PROPOSAL_KINDS, registerGovCommands } from "./gov.js";
import { govErrorMessage } from "./govErrors.js";
import { historyDetail, historyTable, proposalsTable, proposalText, table, toJSON } from "./govOutput.js";

/**
 * `charter gov` without a node: flag parsing, the call each `propose` kind builds, error messages, output
 * formatting. (gov.e2e.test.ts runs the binary against a real node.)
 */

const alice = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const bob = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";
const token = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const fingerprint = `0x${"ab".repeat(32)}`;
const node = privateKeyToAccount(`0x${"11".repeat(32)}`);
const KEY = `0x${"42".repeat(32)}`;
/** Nothing listens on port 1: a command that gets this far parsed its flags and built its call. */
const DEAD_RPC = "http://127.0.0.1:1";

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "charter-gov-cli-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A `charter` program with only `gov`, whose parse errors throw instead of exiting. */
function program(output?: { out: string[]; err: string[] }): Command {
  const root = new Command()
    .name("charter")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => output?.out.push(s),
      writeErr: (s) => output?.err.push(s),
    });
  registerGovCommands(root);
  return root;
}

/** Parses `args` and returns the options the action would get, without running it. */
async function optionsOf(args: readonly string[]): Promise<Record<string, unknown>> {
  const root = program();
  let captured: Record<string, unknown> | undefined;
  root.hook("preAction", (_root, action) => {
    captured = action.opts();
    throw new Error("captured");
  });
  await root.parseAsync(["node", "charter", ...args]).catch((error: Error) => {
    if (error.message !== "captured") throw error;
  });
  return captured!;
}

/** Runs `args` and returns the message it fails with. */
async function failure(args: readonly string[], env?: Record<string, string>): Promise<string> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  if (env === undefined) delete process.env[GOV_KEY_ENV];
  try {
    await program({ out: [], err: [] }).parseAsync(["node", "charter", ...args]);
  } catch (error) {
    return (error as Error).message;
  } finally {
    process.env = saved;
  }
  throw new Error(`charter ${args.join(" ")} did not fail`);
}

const common = ["--description", "why", "--key-file", "k", "--rpc", DEAD_RPC];

/** Each kind with its flags and the SDK builder call they must produce. */
const kinds: [string, string[], GovernanceCall][] = [
  [
    "add-node",
    [
      "--address",
      node.address,
      "--org",
      "bank",
      "--role",
      "observer",
      "--weight",
      "3",
      "--public-key",
      node.publicKey,
    ],
    addNode({ address: node.address, org: "bank", role: "observer", weight: 3, publicKey: node.publicKey }),
  ],
  ["remove-node", ["--address", alice], removeNode({ address: alice })],
  [
    "set-node-role",
    ["--address", alice, "--role", "validator"],
    setNodeRole({ address: alice, role: "validator" }),
  ],
  ["set-node-weight", ["--address", alice, "--weight", "9"], setNodeWeight({ address: alice, weight: 9 })],
  [
    "add-org",
    ["--id", "bank", "--name", "Bank of Example", "--ca-fingerprint", fingerprint],
    addOrg({ id: "bank", name: "Bank of Example", caFingerprint: fingerprint }),
  ],
  ["remove-org", ["--id", "bank"], removeOrg({ id: "bank" })],
  ["set-org-ca", ["--id", "bank", "--clear"], setOrgCA({ id: "bank", caFingerprint: null })],
  ["revoke-certificate", ["--fingerprint", fingerprint], revokeCertificate({ fingerprint })],
  ["restore-certificate", ["--fingerprint", fingerprint.slice(2)], restoreCertificate({ fingerprint })],
  ["add-member", ["--address", alice], addMember({ address: alice, weight: 1 })],
  ["remove-member", ["--address", alice], removeMember({ address: alice })],
  [
    "set-member-weight",
    ["--address", alice, "--weight", "5"],
    setMemberWeight({ address: alice, weight: 5 }),
  ],
  [
    "set-thresholds",
    ["--participation-bps", "8000", "--approval-bps", "6000"],
    setThresholds({ participationBps: 8000, approvalBps: 6000 }),
  ],
  [
    "set-mode",
    ["--policy", "deploy", "--mode", "allowlist"],
    setPolicyMode({ policy: "deploy", mode: "allowlist" }),
  ],
  [
    "list-add",
    ["--list", "deploy-allow", "--account", alice, bob],
    addToList({ list: "deployAllow", accounts: [alice, bob] }),
  ],
  [
    "list-remove",
    ["--list", "transact-deny", "--account", alice, "--account", bob],
    removeFromList({ list: "transactDeny", accounts: [alice, bob] }),
  ],
  [
    "set-contract-admin",
    ["--contract", token, "--admin", SYSTEM_CONTRACT_ADDRESSES.Committee],
    setContractAdmin({ contract: token, admin: SYSTEM_CONTRACT_ADDRESSES.Committee }),
  ],
  [
    "restrict-method",
    ["--contract", token, "--selector", "0xa9059cbb"],
    setMethodRestricted({ contract: token, selector: "0xa9059cbb", restricted: true }),
  ],
  [
    "allow-method",
    ["--contract", token, "--selector", "0xa9059cbb", "--account", alice, "--disallow"],
    setMethodAllowlist({ contract: token, selector: "0xa9059cbb", accounts: [alice], allowed: false }),
  ],
  ["freeze", ["--account", alice.toUpperCase().replace("0X", "0x")], freezeAccount({ account: alice })],
  ["unfreeze", ["--account", alice], unfreezeAccount({ account: alice })],
  ["abolish", ["--account", alice], abolishAccount({ account: alice })],
  [
    "set-param",
    ["--name", "block-gas-limit", "--value", "30000000"],
    setChainParam({ param: "blockGasLimit", value: 30_000_000n }),
  ],
];

describe("charter gov propose <kind>", () => {
  it("has one kind per proposal builder, each tested here", () => {
    expect(PROPOSAL_KINDS.map((k) => k.name).sort()).toEqual(kinds.map(([name]) => name).sort());
  });

  it.each(kinds)("%s turns its flags into the SDK builder's call", async (name, flags, expected) => {
    const opts = await optionsOf(["gov", "propose", name, ...flags, ...common]);
    expect(opts).toMatchObject({
      description: "why",
      votingBlocks: 600,
      keyFile: "k",
      rpc: DEAD_RPC,
      json: false,
    });
    const kind = PROPOSAL_KINDS.find((k) => k.name === name)!;
    expect(kind.build(opts)).toEqual(expected);
  });

  it("gets as far as the node with valid flags and a key", async () => {
    const keyFile = join(work, "member.key");
    writeFileSync(keyFile, `${KEY}\n`);
    expect(
      await failure([
        "gov",
        "propose",
        "freeze",
        "--account",
        alice,
        "--description",
        "x",
        "--key-file",
        keyFile,
        "--rpc",
        DEAD_RPC,
      ]),
    ).toMatch(
      /^Cannot reach a node at http:\/\/127\.0\.0\.1:1 \(.*\); is it running\? Point --rpc at its JSON-RPC URL\.$/,
    );
  });

  const bad: [string, string[], RegExp][] = [
    [
      "a malformed address",
      ["freeze", "--account", "0x1234"],
      /option '--account <address>' argument '0x1234' is invalid\. must be an address/,
    ],
    [
      "no description",
      ["freeze", "--account", alice, "--rpc", DEAD_RPC],
      /required option '--description <text>' not specified/,
    ],
    [
      "a missing required flag",
      ["freeze", "--description", "x"],
      /required option '--account <address>' not specified/,
    ],
    [
      "an unknown role",
      ["set-node-role", "--address", alice, "--role", "leader", "--description", "x"],
      /Allowed choices are validator, observer/,
    ],
    [
      "an unknown list",
      ["list-add", "--list", "allow", "--account", alice, "--description", "x"],
      /Allowed choices are deploy-allow, deploy-deny, transact-allow, transact-deny/,
    ],
    [
      "a weight of 0",
      ["add-member", "--address", alice, "--weight", "0", "--description", "x"],
      /'--weight <n>' argument '0' is invalid\. must be an integer from 1 to 1000000/,
    ],
    [
      "an approval of one half",
      ["set-thresholds", "--participation-bps", "6667", "--approval-bps", "5000", "--description", "x"],
      /must be an integer from 5001 to 10000/,
    ],
    [
      "a voting period too long",
      ["freeze", "--account", alice, "--description", "x", "--voting-blocks", "5000001"],
      /'--voting-blocks <n>' argument '5000001' is invalid\. must be an integer from 1 to 5000000/,
    ],
    [
      "an organization id with a space",
      ["remove-org", "--id", "my bank", "--description", "x"],
      /'--id <id>' argument 'my bank' is invalid/,
    ],
    [
      "a short fingerprint",
      ["revoke-certificate", "--fingerprint", "0xabcd", "--description", "x"],
      /must be a SHA-256 fingerprint/,
    ],
    [
      "a bad selector",
      ["restrict-method", "--contract", token, "--selector", "transfer", "--description", "x"],
      /must be a 4-byte method selector/,
    ],
    [
      "both --ca-fingerprint and --clear",
      [
        "set-org-ca",
        "--id",
        "bank",
        "--clear",
        "--ca-fingerprint",
        fingerprint,
        "--description",
        "x",
        "--key-file",
        "k",
      ],
      /^Give exactly one of --ca-fingerprint <hex> and --clear\.$/,
    ],
    [
      "neither --admin nor --none",
      ["set-contract-admin", "--contract", token, "--description", "x", "--key-file", "k"],
      /^Give exactly one of --admin <address> and --none\.$/,
    ],
    [
      "a parameter out of bounds",
      ["set-param", "--name", "block-interval-ms", "--value", "10", "--description", "x", "--key-file", "k"],
      /^blockIntervalMs must be from 50 to 60000, not 10\.$/,
    ],
    [
      "65 accounts",
      [
        "list-add",
        "--list",
        "deploy-allow",
        "--account",
        ...Array(65).fill(alice),
        "--description",
        "x",
        "--key-file",
        "k",
      ],
      /at most 64 accounts fit one proposal, not 65/,
    ],
    [
      "freezing a system contract",
      ["freeze", "--account", SYSTEM_CONTRACT_ADDRESSES.Committee, "--description", "x", "--key-file", "k"],
      /is a system account, which cannot be frozen or abolished/,
    ],
    ["an unknown kind", ["grant-everything", "--description", "x"], /unknown command 'grant-everything'/],
  ];

  it.each(bad)("refuses %s, saying what is wrong", async (_, args, message) => {
    expect(await failure(["gov", "propose", ...args])).toMatch(message);
  });
});

describe("the committee key", () => {
  it("comes from --key-file (with or without 0x) or CHARTER_GOV_KEY", () => {
    const file = join(work, "plain.key");
    writeFileSync(file, `${"42".repeat(32)}\n`);
    expect(loadMemberKey(file, {})).toBe(KEY);
    expect(loadMemberKey(undefined, { [GOV_KEY_ENV]: ` ${KEY.toUpperCase().replace("0X", "0x")} ` })).toBe(
      KEY,
    );
  });

  it("is never echoed when it is malformed", async () => {
    const secret = `0x${"5".repeat(63)}`;
    const message = await failure(["gov", "vote", "1", "--yes", "--rpc", DEAD_RPC], {
      [GOV_KEY_ENV]: secret,
    });
    expect(message).toBe("CHARTER_GOV_KEY does not hold a 32-byte private key in hex.");
    const file = join(work, "bad.key");
    writeFileSync(file, secret);
    const fromFile = await failure(["gov", "vote", "1", "--no", "--key-file", file, "--rpc", DEAD_RPC]);
    expect(fromFile).toBe(`The key file ${file} does not hold a 32-byte private key in hex.`);
    expect(fromFile).not.toContain("5555");
  });

  it("must be given, and the message says where the devnet's committee keys are", async () => {
    expect(await failure(["gov", "vote", "1", "--yes", "--rpc", DEAD_RPC])).toMatch(
      /^No committee key: give --key-file <file> .* or set CHARTER_GOV_KEY\. On a devnet the committee keys are the node keys, <network>\/node<i>\/node\.key\.$/,
    );
    expect(await failure(["gov", "vote", "1", "--yes", "--key-file", join(work, "missing.key")])).toMatch(
      /^Cannot read the key file .*missing\.key: ENOENT\.$/,
    );
  });
});

describe("charter gov vote, list, show, history", () => {
  it("vote needs exactly one of --yes and --no, and an id from 1", async () => {
    expect(await failure(["gov", "vote", "1", "--key-file", "k"])).toBe(
      "Give exactly one of --yes and --no.",
    );
    expect(await failure(["gov", "vote", "1", "--yes", "--no", "--key-file", "k"])).toBe(
      "Give exactly one of --yes and --no.",
    );
    expect(await failure(["gov", "vote", "0", "--yes"])).toMatch(
      /value '0' is invalid for argument 'id'\. proposal ids start at 1\./,
    );
    expect(await failure(["gov", "vote", "three", "--yes"])).toMatch(
      /value 'three' is invalid for argument 'id'\. must be a non-negative integer/,
    );
  });

  it("parses the read commands' filters", async () => {
    expect(
      await optionsOf(["gov", "list", "--state", "pending", "--count", "5", "--from-id", "0x10"]),
    ).toMatchObject({
      state: "pending",
      count: 5,
      fromId: 16n,
      rpc: "http://127.0.0.1:8545",
      json: false,
    });
    expect(
      await optionsOf([
        "gov",
        "history",
        "--from-block",
        "10",
        "--to-block",
        "20",
        "--proposal",
        "3",
        "--account",
        alice,
        "--json",
      ]),
    ).toEqual({
      fromBlock: 10n,
      toBlock: 20n,
      proposal: 3n,
      account: alice,
      json: true,
      rpc: "http://127.0.0.1:8545",
    });
    expect(await failure(["gov", "list", "--state", "open"])).toMatch(
      /Allowed choices are pending, executed, rejected, expired, outdated/,
    );
    expect(await failure(["gov", "list", "--count", "101"])).toMatch(/must be an integer from 1 to 100/);
    expect(await failure(["gov", "history", "--account", "bob"])).toMatch(/must be an address/);
  });

  it("a read against no node says so", async () => {
    expect(await failure(["gov", "show", "1", "--rpc", DEAD_RPC])).toMatch(
      /^Cannot reach a node at http:\/\/127\.0\.0\.1:1/,
    );
  });

  it("documents every kind in --help", async () => {
    const output = { out: [] as string[], err: [] as string[] };
    await program(output)
      .parseAsync(["node", "charter", "gov", "propose", "--help"])
      .catch((e: unknown) => expect(e).toBeInstanceOf(CommanderError));
    const help = output.out.join("");
    for (const kind of PROPOSAL_KINDS) expect(help).toContain(kind.name);
  });
});

describe("error messages", () => {
  const member = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
  const reverted = (data: `0x${string}`) =>
    new Error("The contract function reverted", {
      cause: Object.assign(new Error("execution reverted"), { code: 3, data }),
    });

  it("name the custom error and say what it means", () => {
    const voted = encodeErrorResult({ abi: committeeAbi, errorName: "AlreadyVoted", args: [3n, member] });
    expect(govErrorMessage(reverted(voted), "vote", DEAD_RPC)).toBe(
      `vote reverted with AlreadyVoted(3, ${member}): this member has already voted on proposal 3.`,
    );
    const notMember = encodeErrorResult({ abi: committeeAbi, errorName: "NotMember", args: [member] });
    expect(govErrorMessage(reverted(notMember), "proposal", DEAD_RPC)).toBe(
      `proposal reverted with NotMember(${member}): ${member} is not a committee member; sign with a member's key (--key-file; on an sm chain also --crypto sm).`,
    );
    const closed = encodeErrorResult({ abi: committeeAbi, errorName: "ProposalClosed", args: [2n, 3] });
    expect(govErrorMessage(reverted(closed), "vote", DEAD_RPC)).toBe(
      "vote reverted with ProposalClosed(2, rejected): proposal 2 is already rejected.",
    );
  });

  it("explain a node without the charter_* methods and a refused transaction", () => {
    const missing = Object.assign(new Error("Method not found"), {
      code: -32601,
      details: "method not found",
    });
    expect(govErrorMessage(new Error("wrapped", { cause: missing }), "show", "http://n:8545")).toBe(
      "The node at http://n:8545 does not serve the charter_* governance methods (method not found); upgrade it.",
    );
    const frozen = Object.assign(new Error("x"), { code: -32003, details: `sender ${member} is frozen` });
    expect(govErrorMessage(frozen, "vote", DEAD_RPC)).toBe(
      `The node refused the vote: sender ${member} is frozen`,
    );
  });
});

describe("output", () => {
  const member = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
  const hash = `0x${"1".repeat(64)}` as const;
  const proposal: Proposal = {
    id: 3n,
    proposer: member,
    target: SYSTEM_CONTRACT_ADDRESSES.AccountStatus,
    data: freezeAccount({ account: alice }).data,
    description: "court order 17",
    deadline: 700n,
    committeeVersion: 1,
    state: "pending",
    yes: 1,
    no: 0,
    createdAt: { blockNumber: 100n, transactionHash: hash },
    votes: [{ voter: member, approve: true, weight: 1, blockNumber: 101n, transactionHash: hash }],
  };

  it("aligns tables", () => {
    expect(
      table(
        ["A", "LONG"],
        [
          ["xyz", "1"],
          ["w", "22"],
        ],
      ),
    ).toBe("A    LONG\nxyz  1\nw    22");
  });

  it("lists and shows proposals with what they do", () => {
    expect(proposalsTable([proposal])).toBe(
      [
        "ID  STATE    YES  NO  DEADLINE  PROPOSER                                    WHAT",
        `3   pending  1    0   700       ${member}  freeze account ${alice}`,
      ].join("\n"),
    );
    expect(proposalsTable([])).toBe("no proposals");
    const text = proposalText(proposal);
    expect(text).toContain(`proposal 3: pending\n  what:         freeze account ${alice}`);
    expect(text).toContain("  target:       AccountStatus (0x0000000000000000000000000000000000001004)");
    expect(text).toContain(`101    ${member}  yes   1       ${hash}`);
  });

  it("tells who proposed and voted what at which height", () => {
    const at = (event: string, contract: string, args: GovernanceEvent["args"]): GovernanceEvent => ({
      blockNumber: 100n,
      transactionHash: hash,
      logIndex: 0,
      sender: member,
      contract,
      event,
      args,
    });
    const created = at("ProposalCreated", "Committee", {
      id: "0x3",
      proposer: member,
      target: SYSTEM_CONTRACT_ADDRESSES.AccountStatus,
      data: proposal.data,
      description: "court order 17",
      deadline: "0x2bc",
    });
    expect(historyDetail(created)).toBe(
      `proposed #3: freeze account ${alice} ("court order 17"), votes until block 700`,
    );
    expect(
      historyDetail(at("Voted", "Committee", { id: "0x3", voter: member, approve: false, weight: "0xa" })),
    ).toBe("voted no on #3 (weight 10)");
    expect(historyDetail(at("ProposalRejected", "Committee", { id: "0x3", yes: "0x0", no: "0xa" }))).toBe(
      "#3 rejected (yes 0, no 10)",
    );
    const added = at("NodeAdded", "NodeRegistry", {
      account: alice,
      org: `0x${"62616e6b".padEnd(64, "0")}`,
      role: "validator",
      weight: "0x10",
    });
    expect(historyDetail(added)).toBe(
      `NodeRegistry.NodeAdded account=${alice} org="bank" role=validator weight=16`,
    );
    const restricted = at("MethodRestrictionChanged", "Permissions", {
      target: token,
      selector: "0x00000010",
      restricted: true,
    });
    // A selector is bytes4, not a quantity: it stays in hex.
    expect(historyDetail(restricted)).toBe(
      `Permissions.MethodRestrictionChanged target=${token} selector=0x00000010 restricted=true`,
    );
    expect(historyTable([created]).split("\n")[1]).toBe(`100    ${member}  ${historyDetail(created)}`);
    expect(historyTable([])).toBe("no governance events in the range");
  });

  it("writes bigints in JSON as numbers when they fit", () => {
    expect(toJSON({ small: 3n, big: 2n ** 64n, list: [1n] })).toBe(
      '{"small":3,"big":"18446744073709551616","list":[1]}',
    );
  });
});
