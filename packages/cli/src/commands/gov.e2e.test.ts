import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { accountStatusAbi, SYSTEM_CONTRACT_ADDRESSES } from "@charter/sdk";
import {
  createTestNetwork,
  devPrivateKeysHex,
  type NodeProcess,
  startNodeProcess,
  type TestNetwork,
} from "@charter/testing";
import { createPublicClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `charter gov` as an operator runs it: the real binary against a real single-validator node. The committee is
 * the validator's key (the default governance), read from the network folder `charter init` wrote.
 */

const BIN = fileURLToPath(new URL("../../bin/charter.js", import.meta.url));
let network: TestNetwork;
let node: NodeProcess;
let keyFile: string;
let member: string;
const target = privateKeyToAccount(devPrivateKeysHex(2)[1]!).address.toLowerCase();

function charter(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { timeout: 90_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

async function ok(args: readonly string[], env?: Record<string, string>): Promise<string> {
  const result = await charter(args, env);
  if (result.code !== 0)
    throw new Error(`charter ${args.join(" ")} failed (${result.code}):\n${result.stderr}`);
  return result.stdout;
}

beforeAll(async () => {
  network = await createTestNetwork({ blockIntervalMs: 200 });
  node = await startNodeProcess(network.layout.nodes[0]!.configFile);
  keyFile = join(network.layout.nodes[0]!.dir, "node.key");
  member = privateKeyToAccount(readFileSync(keyFile, "utf8").trim() as `0x${string}`).address.toLowerCase();
});

afterAll(async () => {
  await node?.stop();
  if (network) rmSync(network.layout.dir, { recursive: true, force: true });
});

describe("charter gov against a real node", () => {
  it("proposes a freeze, votes it through, shows it executed and lists it in the audit trail", async () => {
    const rpc = ["--rpc", node.rpcUrl];
    const proposed = JSON.parse(
      await ok([
        "gov",
        "propose",
        "freeze",
        "--account",
        target,
        "--description",
        "court order 17",
        "--voting-blocks",
        "100",
        "--key-file",
        keyFile,
        "--json",
        ...rpc,
      ]),
    );
    expect(proposed).toMatchObject({
      id: 1,
      proposer: member,
      target: SYSTEM_CONTRACT_ADDRESSES.AccountStatus,
      summary: `freeze account ${target}`,
    });
    expect(proposed.deadline).toBe(proposed.blockNumber + 100);
    expect(proposed.transactionHash).toMatch(/^0x[0-9a-f]{64}$/);

    // The key may come from the environment instead of a file; it is never printed.
    const key = readFileSync(keyFile, "utf8").trim();
    const vote = await charter(["gov", "vote", "1", "--yes", ...rpc], { CHARTER_GOV_KEY: key });
    expect(vote.code, vote.stderr).toBe(0);
    expect(vote.stdout).toMatch(
      /^voted yes on proposal 1 in block \d+ \(tx 0x[0-9a-f]{64}\): this vote passed it/,
    );
    expect(vote.stdout + vote.stderr).not.toContain(key.slice(2));

    // The ground truth, through eth_call: the account is frozen.
    const client = createPublicClient({ transport: http(node.rpcUrl) });
    expect(
      await client.readContract({
        address: SYSTEM_CONTRACT_ADDRESSES.AccountStatus,
        abi: accountStatusAbi,
        functionName: "statusOf",
        args: [target as `0x${string}`],
      }),
    ).toBe(1);

    const [shown, shownText, history, historyText, listed, again] = await Promise.all([
      ok(["gov", "show", "1", "--json", ...rpc]).then(JSON.parse),
      ok(["gov", "show", "1", ...rpc]),
      ok(["gov", "history", "--proposal", "1", "--from-block", "0", "--json", ...rpc]).then(JSON.parse),
      ok(["gov", "history", "--from-block", "0", ...rpc]),
      ok(["gov", "list", "--state", "executed", "--json", ...rpc]).then(JSON.parse),
      charter(["gov", "vote", "1", "--no", "--key-file", keyFile, ...rpc]),
    ]);
    expect(shown).toMatchObject({
      id: 1,
      state: "executed",
      proposer: member,
      description: "court order 17",
      yes: 1,
      no: 0,
      votes: [{ voter: member, approve: true, weight: 1 }],
      summary: `freeze account ${target}`,
    });
    expect(shownText).toMatch(/^proposal 1: executed\n {2}what: {9}freeze account 0x/);

    expect(history.map((e: { contract: string; event: string }) => `${e.contract}.${e.event}`)).toEqual([
      "Committee.ProposalCreated",
      "Committee.Voted",
      "Committee.ProposalPassed",
      "AccountStatus.StatusChanged",
      "Committee.ProposalExecuted",
    ]);
    expect(history[0]).toMatchObject({
      sender: member,
      args: { proposer: member, description: "court order 17" },
    });
    expect(history[1]).toMatchObject({ sender: member, args: { voter: member, approve: true } });
    expect(history[1].blockNumber).toBeGreaterThan(history[0].blockNumber);
    expect(history[3].args).toEqual({ account: target, from: "normal", to: "frozen" });
    expect(historyText).toContain(`${member}  proposed #1: freeze account ${target} ("court order 17")`);
    expect(historyText).toContain(`${member}  voted yes on #1 (weight 1)`);
    expect(listed.map((p: { id: number }) => p.id)).toEqual([1]);

    // A second vote on a closed proposal: the decoded custom error on stderr, nothing on stdout, exit 1.
    expect(again.code).toBe(1);
    expect(again.stdout).toBe("");
    expect(again.stderr).toBe(
      "error: vote reverted with ProposalClosed(1, executed): proposal 1 is already executed.\n",
    );
    // Each step starts the binary (tsx), a few seconds apiece on a loaded machine.
  }, 180_000);

  it("refuses a key that is not a committee member's, naming the error", async () => {
    const outsider = devPrivateKeysHex(3)[2]!;
    const result = await charter(
      [
        "gov",
        "propose",
        "unfreeze",
        "--account",
        target,
        "--description",
        "let me out",
        "--rpc",
        node.rpcUrl,
      ],
      { CHARTER_GOV_KEY: outsider },
    );
    const address = privateKeyToAccount(outsider).address.toLowerCase();
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: proposal reverted with NotMember(${address}): ${address} is not a committee member; sign with a member's key (--key-file; on an sm chain also --crypto sm).\n`,
    );
  });
});
