import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  createTestNetwork,
  type NodeProcess,
  rpcCall,
  startNodeProcess,
  type TestNetwork,
} from "@charter/testing";
import { getCreateAddress, Interface } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * A Hardhat 2 project (test/hardhat-project) run as a developer runs it: `npx hardhat run scripts/deploy.cjs
 * --network charter`. Compilation is offline (the project's config hands Hardhat the solc-js of the `solc` npm
 * package), deployment goes through Hardhat's remote accounts (node-side eth_sendTransaction), Hardhat's local
 * accounts (`accounts: [key]`) and an explicit ethers Wallet; the results are checked again over raw JSON-RPC.
 */

const PROJECT = fileURLToPath(new URL("../hardhat-project/", import.meta.url));
const require = createRequire(import.meta.url);
const run = promisify(execFile);
const HARDHAT_TIMEOUT_MS = 150_000;

const ACCOUNT_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const ACCOUNT_1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const ACCOUNT_2 = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

interface Deployment {
  kind: "remote" | "local" | "privateKey";
  from: string;
  address: string;
  deployTx: string;
  deployStatus: number;
  deployFrom: string;
  txTypes: number[];
  statuses: number[];
  count: string;
  lastCaller: string;
  events: { name: string; by: string; count: string }[];
  customError: { name: string; args: string[] } | null;
  code: boolean;
}

interface ScriptResult {
  network: string;
  chainId: string;
  clientVersion: string;
  results: Deployment[];
}

let node: NodeProcess;
let network: TestNetwork;

async function hardhatRun(network: string): Promise<{ result: ScriptResult; stdout: string }> {
  const { stdout, stderr } = await run(
    "npx",
    ["hardhat", "run", "scripts/deploy.cjs", "--network", network],
    {
      cwd: PROJECT,
      env: { ...process.env, CHARTER_URL: node.rpcUrl, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
      timeout: HARDHAT_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    },
  ).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(
      `hardhat run failed: ${error.message}\nstdout:\n${error.stdout}\nstderr:\n${error.stderr}`,
    );
  });
  const line = stdout.split("\n").find((l) => l.startsWith("CHARTER_RESULT "));
  if (!line) throw new Error(`no CHARTER_RESULT line in the output:\n${stdout}\n${stderr}`);
  return { result: JSON.parse(line.slice("CHARTER_RESULT ".length)) as ScriptResult, stdout };
}

const counterInterface = new Interface(["function count() view returns (uint256)"]);

/** Checks one deployment's report against the chain itself, over raw JSON-RPC. */
async function checkOnChain(deployment: Deployment): Promise<void> {
  const receipt = await rpcCall<{ status: string; contractAddress: string; from: string } | null>(
    node.rpcUrl,
    "eth_getTransactionReceipt",
    [deployment.deployTx],
  );
  expect(receipt?.status).toBe("0x1");
  expect(receipt?.contractAddress.toLowerCase()).toBe(deployment.address.toLowerCase());
  expect(receipt?.from.toLowerCase()).toBe(deployment.from.toLowerCase());
  const tx = await rpcCall<{ nonce: string }>(node.rpcUrl, "eth_getTransactionByHash", [deployment.deployTx]);
  expect(getCreateAddress({ from: deployment.from, nonce: BigInt(tx.nonce) })).toBe(deployment.address);
  const count = await rpcCall<string>(node.rpcUrl, "eth_call", [
    { to: deployment.address, data: counterInterface.encodeFunctionData("count") },
    "latest",
  ]);
  expect(BigInt(count)).toBe(16n);
}

function expectDeployment(deployment: Deployment | undefined, kind: Deployment["kind"], from: string): void {
  expect(deployment).toMatchObject({
    kind,
    from,
    deployStatus: 1,
    deployFrom: from,
    statuses: [1, 1],
    count: "16",
    lastCaller: from,
    code: true,
    events: [
      { name: "Incremented", by: from, count: "11" },
      { name: "Incremented", by: from, count: "16" },
    ],
    customError: { name: "StepTooLarge", args: ["1000"] },
  });
}

beforeAll(async () => {
  // Start from a clean project so that the run has to compile, offline, and write its artifacts here.
  rmSync(join(PROJECT, "artifacts"), { recursive: true, force: true });
  rmSync(join(PROJECT, "cache"), { recursive: true, force: true });
  network = await createTestNetwork({ blockIntervalMs: 200 });
  node = await startNodeProcess(network.layout.nodes[0]!.configFile);
});

afterAll(async () => {
  await node?.stop();
  if (network) rmSync(network.layout.dir, { recursive: true, force: true });
});

describe("Hardhat 2 project", () => {
  it(
    "compiles offline and deploys with remote accounts and an explicit private key (network charter)",
    async () => {
      const { result, stdout } = await hardhatRun("charter");
      expect(stdout).toContain("Compiled 1 Solidity file successfully");
      expect(result.network).toBe("charter");
      expect(result.chainId).toBe("7345");
      expect(result.clientVersion).toMatch(/^charter\/v/);
      expect(result.results).toHaveLength(2);
      expectDeployment(result.results[0], "remote", ACCOUNT_0);
      expectDeployment(result.results[1], "privateKey", ACCOUNT_2);
      for (const deployment of result.results) await checkOnChain(deployment);

      // The artifacts and the cache are written in the project folder, by solc 0.8.30 targeting prague.
      const artifact = JSON.parse(
        readFileSync(join(PROJECT, "artifacts/contracts/Counter.sol/Counter.json"), "utf8"),
      ) as { contractName: string; bytecode: string };
      expect(artifact.contractName).toBe("Counter");
      expect(artifact.bytecode).toMatch(/^0x60/);
      expect(existsSync(join(PROJECT, "cache/solidity-files-cache.json"))).toBe(true);
      const buildInfoDir = join(PROJECT, "artifacts/build-info");
      const buildInfo = JSON.parse(
        readFileSync(join(buildInfoDir, readdirSync(buildInfoDir)[0]!), "utf8"),
      ) as {
        solcLongVersion: string;
        input: { settings: { evmVersion: string } };
      };
      expect(buildInfo.solcLongVersion).toBe((require("solc") as { version(): string }).version());
      expect(buildInfo.input.settings.evmVersion).toBe("prague");
    },
    HARDHAT_TIMEOUT_MS,
  );

  it(
    "deploys with Hardhat's local accounts (network charterKey, accounts: [key])",
    async () => {
      const { result, stdout } = await hardhatRun("charterKey");
      expect(stdout).not.toContain("Compiled");
      expect(result.network).toBe("charterKey");
      expectDeployment(result.results[0], "local", ACCOUNT_1);
      expectDeployment(result.results[1], "privateKey", ACCOUNT_2);
      for (const deployment of result.results) await checkOnChain(deployment);
    },
    HARDHAT_TIMEOUT_MS,
  );
});
