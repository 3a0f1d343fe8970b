import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ChainStore } from "@charter/chain";
import { createEcdsaSuite } from "@charter/crypto";
import {
  ACCOUNT_STATUS_ADDRESS,
  accountStatusArtifact,
  CHAIN_PARAMS_ADDRESS,
  ChainParam,
  COMMITTEE_ADDRESS,
  chainParamsArtifact,
  committeeArtifact,
  NODE_REGISTRY_ADDRESS,
  nodeRegistryArtifact,
  ORG_REGISTRY_ADDRESS,
  orgRegistryArtifact,
} from "@charter/governance";
import { openKv } from "@charter/kv";
import {
  createTestNetwork,
  type NodeProcess,
  rpcCall,
  startNodeProcess,
  type TestNetwork,
  waitFor,
} from "@charter/testing";
import { bytesToHex } from "@charter/utils";
import {
  type Abi,
  type Chain,
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  defineChain,
  encodeFunctionData,
  type Hex,
  http,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";

/**
 * Node admission and removal end to end (issue 4): four validator processes on 127.0.0.1 governed by their own
 * node keys (the default committee), a committee that votes a fifth validator in and a genesis validator out, and
 * a vote that revokes a node's certificate. The node follows the registry at run time: a node voted in starts
 * its consensus engine once synced, and from the activation height (the execution block + 2) its signature is in
 * the commit certificates (`lastCommit`, read from a node's own store); a removed or revoked node loses its links
 * and cannot reconnect.
 */

const BLOCK_INTERVAL_MS = 300;
const CHARTER = fileURLToPath(new URL("../../packages/cli/bin/charter.js", import.meta.url));
const RECEIPT_TIMEOUT_MS = 20_000;
const suite = createEcdsaSuite();
const log = (...parts: unknown[]) => console.info("[governance]", ...parts);

const committeeAbi = committeeArtifact.abi as unknown as Abi;

interface AddedNode {
  readonly name: string;
  readonly configFile: string;
  readonly dir: string;
  readonly address: string;
  readonly certificateFingerprint: string;
  readonly registryEntry: {
    account: string;
    org: string;
    role: number;
    weight: number;
    publicKeyX: string;
    publicKeyY: string;
  };
}

let network: TestNetwork;
let chain: Chain;
let client: PublicClient;
/** Running node processes by name (node0…); every process ever started, for the logs of a failed test. */
const nodes = new Map<string, NodeProcess>();
const started: { name: string; node: NodeProcess }[] = [];
let failed = false;

async function start(name: string, configFile: string): Promise<NodeProcess> {
  const node = await startNodeProcess(configFile);
  nodes.set(name, node);
  started.push({ name, node });
  return node;
}

const node = (name: string): NodeProcess => {
  const running = nodes.get(name);
  if (running === undefined) throw new Error(`${name} is not running`);
  return running;
};
const height = async (name: string) => Number(await rpcCall<string>(node(name).rpcUrl, "eth_blockNumber"));
const peerCount = async (name: string) => Number(await rpcCall<string>(node(name).rpcUrl, "net_peerCount"));

async function waitForHeight(names: readonly string[], target: number, timeoutMs = 30_000): Promise<void> {
  await Promise.all(
    names.map((name) =>
      waitFor(
        `${name} at height ${target}`,
        async () => ((await height(name)) >= target ? true : undefined),
        {
          timeoutMs,
          intervalMs: 50,
        },
      ),
    ),
  );
}

/** The committee member keys: the genesis validators' node keys. */
function memberKey(i: number): Hex {
  const text = readFileSync(join(network.layout.nodes[i]!.dir, "node.key"), "utf8").trim();
  return (text.startsWith("0x") ? text : `0x${text}`) as Hex;
}
const addressOfNode = (i: number) => privateKeyToAccount(memberKey(i)).address.toLowerCase();

async function send(memberIndex: number, to: Hex, data: Hex): Promise<TransactionReceipt> {
  const wallet = createWalletClient({
    account: privateKeyToAccount(memberKey(memberIndex)),
    chain,
    transport: http(node("node0").rpcUrl),
  });
  const hash = await wallet.sendTransaction({
    to,
    data,
    gas: 3_000_000n,
    maxFeePerGas: 0n,
    maxPriorityFeePerGas: 0n,
  });
  const receipt = await client.waitForTransactionReceipt({
    hash,
    pollingInterval: 50,
    timeout: RECEIPT_TIMEOUT_MS,
  });
  expect(receipt.status, `transaction ${hash} of member ${memberIndex}`).toBe("success");
  return receipt;
}

/**
 * Member 0 proposes that the Committee call `target.functionName(args)`, and members 0-2 vote for it (three of
 * the four weights: the default thresholds). Returns the height of the block that executed it.
 */
async function enact(
  target: Hex,
  abi: unknown,
  functionName: string,
  args: readonly unknown[],
): Promise<number> {
  const call = encodeFunctionData({ abi: abi as Abi, functionName, args } as never);
  const proposed = await send(
    0,
    COMMITTEE_ADDRESS_HEX,
    encodeFunctionData({
      abi: committeeAbi,
      functionName: "propose",
      args: [target, call, `e2e: ${functionName}`, 100n],
    }),
  );
  const created = proposed.logs
    .map((entry) => decodeCommittee(entry))
    .find((event) => event?.eventName === "ProposalCreated");
  const id = (created?.args as { id?: bigint } | undefined)?.id;
  expect(id, "the ProposalCreated event").toBeTypeOf("bigint");
  const votes = await Promise.all(
    [0, 1, 2].map((member) =>
      send(
        member,
        COMMITTEE_ADDRESS_HEX,
        encodeFunctionData({ abi: committeeAbi, functionName: "vote", args: [id, true] }),
      ),
    ),
  );
  const executed = votes.find((receipt) =>
    receipt.logs.some((entry) => decodeCommittee(entry)?.eventName === "ProposalExecuted"),
  );
  expect(executed, `proposal ${id} (${functionName}) executed`).toBeDefined();
  return Number(executed!.blockNumber);
}

const COMMITTEE_ADDRESS_HEX = bytesToHex(COMMITTEE_ADDRESS) as Hex;
const NODE_REGISTRY_HEX = bytesToHex(NODE_REGISTRY_ADDRESS) as Hex;
const ORG_REGISTRY_HEX = bytesToHex(ORG_REGISTRY_ADDRESS) as Hex;
const CHAIN_PARAMS_HEX = bytesToHex(CHAIN_PARAMS_ADDRESS) as Hex;

function decodeCommittee(entry: { address: string; topics: readonly Hex[]; data: Hex }) {
  if (entry.address.toLowerCase() !== COMMITTEE_ADDRESS_HEX) return undefined;
  try {
    return decodeEventLog({ abi: committeeAbi, topics: entry.topics as [Hex, ...Hex[]], data: entry.data });
  } catch {
    return undefined;
  }
}

/** `charter node add` on the test network's folder. */
function addNodeWithCLI(org: string, role: "validator" | "observer"): AddedNode {
  const result = spawnSync(
    process.execPath,
    [CHARTER, "node", "add", "--dir", network.layout.dir, "--org", org, "--role", role, "--json"],
    { encoding: "utf8", timeout: 30_000 },
  );
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as AddedNode;
}

function registryEntryArgs(added: AddedNode) {
  const entry = added.registryEntry;
  return [{ ...entry, weight: BigInt(entry.weight) }];
}

/**
 * The signers of each block's `lastCommit` in `[from, to]` (the certificate of block h − 1 is in block h), read
 * from the store of `name`, which is stopped for the read and started again.
 */
async function certificateSigners(
  name: string,
  configFile: string,
  from: number,
  to: number,
): Promise<Map<number, string[]>> {
  await node(name).stop();
  nodes.delete(name);
  const kv = await openKv(join(network.layout.dir, name, "data", "db"));
  const signers = new Map<number, string[]>();
  try {
    const store = new ChainStore({ kv, suite, chainId: BigInt(network.chainId) });
    for (let h = from; h <= to; h++) {
      const stored = await store.blockByHeight(h);
      if (stored === undefined) break;
      signers.set(
        h - 1,
        (stored.block.header.lastCommit?.signatures ?? []).map((s) => bytesToHex(s.validator)),
      );
    }
  } finally {
    await kv.close();
  }
  await start(name, configFile);
  return signers;
}

/** How many times `text` occurs in the logs of the running nodes `names`. */
function occurrences(names: readonly string[], text: string): number {
  return names.reduce((sum, name) => sum + (node(name).log().split(text).length - 1), 0);
}

beforeAll(async () => {
  network = await createTestNetwork({ validators: 4, blockIntervalMs: BLOCK_INTERVAL_MS });
  chain = defineChain({
    id: network.chainId,
    name: "charter-e2e",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [] } },
  });
  await Promise.all(network.layout.nodes.map((n) => start(n.name, n.configFile)));
  client = createPublicClient({ chain, transport: http(node("node0").rpcUrl) }) as PublicClient;
  await waitForHeight(["node0", "node1", "node2", "node3"], 2);
});

afterAll(async () => {
  if (failed) {
    for (const { name, node: process } of started) {
      const tail = process.log().trimEnd().split("\n").slice(-30).join("\n");
      console.error(`[governance] ${name} (pid ${process.process.pid}), last 30 log lines:\n${tail}`);
    }
  }
  await Promise.allSettled([...nodes.values()].map((n) => n.stop()));
  if (network !== undefined) {
    if (failed) console.error(`[governance] network folder kept: ${network.layout.dir}`);
    else rmSync(network.layout.dir, { recursive: true, force: true });
  }
});

describe("node admission and removal by governance (real processes)", () => {
  let node4: AddedNode;

  it("votes a fifth validator in: it syncs, starts consensus, and signs from the activation height", async () => {
    onTestFailed(() => {
      failed = true;
    });
    const t0 = Date.now();
    node4 = addNodeWithCLI("org1", "validator");
    expect(node4.name).toBe("node4");
    const executedAt = await enact(
      NODE_REGISTRY_HEX,
      nodeRegistryArtifact.abi,
      "addNode",
      registryEntryArgs(node4),
    );
    const activation = executedAt + 2;
    log(`addNode executed in block ${executedAt}; node4 votes from height ${activation}`);

    await start("node4", node4.configFile);
    await waitFor(
      "node4 to start its consensus engine",
      () => (node("node4").log().includes("consensus engine started") ? true : undefined),
      { timeoutMs: 30_000 },
    );
    expect(node("node4").log()).toContain("this node is a validator from this height on");
    const joinedAt = await height("node4");
    await waitForHeight(["node0", "node4"], Math.max(activation, joinedAt) + 2);
    expect(await peerCount("node4")).toBe(4);

    // With node3 down, 4 of the 5 weights are left: the chain goes on only if node4 votes, and every certificate
    // decided meanwhile must hold node4's precommit (a certificate holds the first quorum its decider saw).
    const node3 = network.layout.nodes[3]!;
    await node("node3").stop();
    nodes.delete("node3");
    const stoppedAt = await height("node0");
    await waitForHeight(["node0", "node4"], stoppedAt + 6);
    await start("node3", node3.configFile);
    await waitForHeight(["node3"], stoppedAt + 6);
    const signers = await certificateSigners("node3", node3.configFile, 2, stoppedAt + 6);
    const signed = [...signers].filter(([, addresses]) => addresses.includes(node4.address)).map(([h]) => h);
    log(`node4 signed the certificates of heights ${signed.join(", ")} (activation ${activation})`);
    expect(signed.every((h) => h >= activation)).toBe(true);
    // Heights decided while node3 was down (its own last precommit may still be in the first of them).
    for (let h = stoppedAt + 2; h <= stoppedAt + 5; h++) {
      expect(signers.get(h), `certificate of height ${h}`).toContain(node4.address);
      expect(signers.get(h)).not.toContain(addressOfNode(3));
      expect(signers.get(h)).toHaveLength(4);
    }
    await waitForHeight(["node3"], (await height("node0")) + 2);
    log(`admission test took ${Date.now() - t0} ms`);
  });

  it("votes a genesis validator out: the chain goes on with four, without its signatures from the activation height", async () => {
    onTestFailed(() => {
      failed = true;
    });
    const t0 = Date.now();
    const removed = addressOfNode(3);
    const executedAt = await enact(NODE_REGISTRY_HEX, nodeRegistryArtifact.abi, "removeNode", [removed]);
    const activation = executedAt + 2;
    log(`removeNode(node3) executed in block ${executedAt}; node3 stops voting at height ${activation}`);

    const remaining = ["node0", "node1", "node2", "node4"];
    await waitForHeight(remaining, activation + 8);
    // Its former peers closed its links once it was no longer admitted, and refuse it when it redials.
    await waitFor("node3 without links", async () => ((await peerCount("node3")) === 0 ? true : undefined), {
      timeoutMs: 10_000,
    });
    expect(occurrences(remaining, `is no longer admitted by the registry`)).toBeGreaterThanOrEqual(1);
    const stuckAt = await height("node3");
    expect(stuckAt).toBeLessThanOrEqual(activation);

    const head = await height("node0");
    const signers = await certificateSigners(
      "node1",
      network.layout.nodes[1]!.configFile,
      executedAt - 12,
      head,
    );
    const withNode3 = [...signers].filter(([, addresses]) => addresses.includes(removed)).map(([h]) => h);
    log(`node3 signed the certificates of heights ${withNode3.join(", ")}`);
    expect(withNode3.length).toBeGreaterThanOrEqual(1);
    expect(withNode3.every((h) => h < activation)).toBe(true);
    const after = [...signers].filter(([h]) => h >= activation);
    expect(after.length).toBeGreaterThanOrEqual(5);
    for (const [, addresses] of after) expect(addresses.length).toBeGreaterThanOrEqual(3);
    await waitForHeight(["node1"], (await height("node0")) + 2);
    log(`removal test took ${Date.now() - t0} ms`);
  });

  it("disconnects a node whose certificate the committee revokes, and refuses it from then on", async () => {
    onTestFailed(() => {
      failed = true;
    });
    const t0 = Date.now();
    const observer = addNodeWithCLI("org2", "observer");
    await enact(NODE_REGISTRY_HEX, nodeRegistryArtifact.abi, "addNode", registryEntryArgs(observer));
    await start(observer.name, observer.configFile);
    const validators = ["node0", "node1", "node2", "node4"];
    // An observer in the registry is admitted: it follows the chain by block sync.
    await waitForHeight([observer.name], (await height("node0")) + 2);
    await waitFor(
      "the observer linked to the validators",
      async () => ((await peerCount(observer.name)) >= 4 ? true : undefined),
      { timeoutMs: 15_000 },
    );
    expect(node(observer.name).log()).not.toContain("consensus engine started");

    const revokedBefore = occurrences(validators, "certificate-revoked");
    const executedAt = await enact(ORG_REGISTRY_HEX, orgRegistryArtifact.abi, "revokeCertificate", [
      observer.certificateFingerprint,
    ]);
    log(`revokeCertificate(${observer.name}) executed in block ${executedAt}`);
    await waitFor(
      "the observer without links",
      async () => ((await peerCount(observer.name)) === 0 ? true : undefined),
      { timeoutMs: 10_000 },
    );
    const closedAt = occurrences(validators, "certificate-revoked");
    expect(closedAt).toBeGreaterThan(revokedBefore);
    // It redials (with backoff) and every validator refuses it at the certificate check.
    await waitFor(
      "a redial refused",
      () => (occurrences(validators, "certificate-revoked") > closedAt ? true : undefined),
      { timeoutMs: 15_000 },
    );
    const observerHeight = await height(observer.name);
    await waitForHeight(["node0"], observerHeight + 5);
    expect(await peerCount(observer.name)).toBe(0);
    expect(await height(observer.name)).toBe(observerHeight);
    log(`revocation test took ${Date.now() - t0} ms`);
  });

  it("refuses a node of an organization the registry does not know", async () => {
    onTestFailed(() => {
      failed = true;
    });
    const t0 = Date.now();
    // `node add` creates the organization's CA under the consortium root, but nobody voted it into OrgRegistry.
    const outsider = addNodeWithCLI("newco", "observer");
    await start(outsider.name, outsider.configFile);
    const validators = ["node0", "node1", "node2", "node4"];
    await waitFor(
      "the validators refusing the unknown organization",
      () => (occurrences(validators, "unknown-org") >= 2 ? true : undefined),
      { timeoutMs: 15_000 },
    );
    expect(await peerCount(outsider.name)).toBe(0);
    expect(await height(outsider.name)).toBe(0);
    log(`unknown-org test took ${Date.now() - t0} ms`);
  });

  it("a proposal below the participation threshold does not pass, and once expired it cannot be executed", async () => {
    onTestFailed(() => {
      failed = true;
    });
    const t0 = Date.now();
    const target = privateKeyToAccount(`0x${"42".repeat(32)}`).address;
    const statusOf = () =>
      client.readContract({
        address: bytesToHex(ACCOUNT_STATUS_ADDRESS) as Hex,
        abi: accountStatusArtifact.abi as unknown as Abi,
        functionName: "statusOf",
        args: [target],
      });
    const stateOf = (id: bigint) =>
      client.readContract({
        address: COMMITTEE_ADDRESS_HEX,
        abi: committeeAbi,
        functionName: "stateOf",
        args: [id],
      });
    const votingBlocks = 8n;
    const proposed = await send(
      0,
      COMMITTEE_ADDRESS_HEX,
      encodeFunctionData({
        abi: committeeAbi,
        functionName: "propose",
        args: [
          bytesToHex(ACCOUNT_STATUS_ADDRESS) as Hex,
          encodeFunctionData({
            abi: accountStatusArtifact.abi as unknown as Abi,
            functionName: "freeze",
            args: [target],
          }),
          "e2e: below the threshold",
          votingBlocks,
        ],
      }),
    );
    const created = proposed.logs
      .map((entry) => decodeCommittee(entry))
      .find((event) => event?.eventName === "ProposalCreated");
    const { id, deadline } = created!.args as unknown as { id: bigint; deadline: bigint };
    // Two yes votes of four weights: approval would be reached, participation (2/3) is not.
    for (const member of [0, 1]) {
      const receipt = await send(
        member,
        COMMITTEE_ADDRESS_HEX,
        encodeFunctionData({ abi: committeeAbi, functionName: "vote", args: [id, true] }),
      );
      expect(receipt.logs.map((entry) => decodeCommittee(entry)?.eventName)).toEqual(["Voted"]);
    }
    expect(await stateOf(id)).toBe(1); // Pending
    expect(await statusOf()).toBe(0); // normal
    await waitForHeight(["node0"], Number(deadline) + 1);
    expect(await stateOf(id)).toBe(4); // Expired
    // The vote that would have passed it is refused, and nothing was executed.
    await expect(
      client.simulateContract({
        account: privateKeyToAccount(memberKey(2)),
        address: COMMITTEE_ADDRESS_HEX,
        abi: committeeAbi,
        functionName: "vote",
        args: [id, true],
      }),
    ).rejects.toThrow(/ProposalExpired/);
    expect(await statusOf()).toBe(0);
    log(`below-threshold and expiry test took ${Date.now() - t0} ms`);
  });

  it("paces blocks by the block interval the committee sets in ChainParams", async () => {
    onTestFailed(() => {
      failed = true;
    });
    const t0 = Date.now();
    const intervalMs = 1_500;
    const executedAt = await enact(CHAIN_PARAMS_HEX, chainParamsArtifact.abi, "setParam", [
      ChainParam.blockIntervalMs,
      BigInt(intervalMs),
    ]);
    log(`setParam(blockIntervalMs, ${intervalMs}) executed in block ${executedAt}`);
    const from = executedAt + 2;
    await waitForHeight(["node0"], from + 4, 20_000);
    const seconds = async (h: number) =>
      Number(
        (
          await rpcCall<{ timestamp: string }>(node("node0").rpcUrl, "eth_getBlockByNumber", [
            `0x${h.toString(16)}`,
            false,
          ])
        ).timestamp,
      );
    // Header times are whole seconds in JSON-RPC: four intervals of 1.5 s span at least 5 of them (at 300 ms, 1).
    expect((await seconds(from + 4)) - (await seconds(from))).toBeGreaterThanOrEqual(5);
    expect((await seconds(executedAt)) - (await seconds(executedAt - 4))).toBeLessThanOrEqual(2);
    for (const name of ["node0", "node1", "node2", "node4"])
      expect(node(name).log()).toContain("block interval changed by governance");
    log(`block interval test took ${Date.now() - t0} ms`);
  });
});
