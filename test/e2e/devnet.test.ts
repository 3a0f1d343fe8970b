import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEV_KEY_0, lockFixedPorts, rpcCall, waitFor } from "@charter/testing";
import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

/**
 * The `charter` command itself: `devnet` (ready banner, a transaction, Ctrl-C, resume, --reset), `init`, `keys` and
 * error handling. `devnet` binds the fixed ports 8545/9545, so this file takes the machine-wide fixed-ports lock
 * (`lockFixedPorts`) for its whole run: no other test may use those ports at the same time.
 */

const BIN = fileURLToPath(new URL("../../packages/cli/bin/charter.js", import.meta.url));
const ACCOUNT_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const RPC = "http://127.0.0.1:8545";
const READY_TIMEOUT_MS = 60_000;
const CLI_TIMEOUT_MS = 60_000;

interface Banner {
  status: string;
  chainId: number;
  crypto: string;
  consensus: string;
  dataDir: string;
  nodes: { name: string; rpc: string; ws: string; metrics: string; log: string }[];
  accounts: { address: string; privateKey: string }[];
  mnemonic: string;
  pki: {
    dir: string;
    rootCertificate: string;
    orgs: { id: string; node: string; admin: string; adminAccountKey: string }[];
  } | null;
}

interface Devnet {
  readonly child: ChildProcess;
  readonly banner: Banner;
  /** Height seen right after the banner was read. */
  readonly heightAtReady: number;
  stderr(): string;
}

let work: string;
let releasePorts: (() => void) | undefined;
const running = new Set<ChildProcess>();

function charter(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: work, timeout: CLI_TIMEOUT_MS, env: { ...process.env, CHARTER_LOG_LEVEL: "warn" } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Starts `charter devnet --json` and resolves when it prints the ready banner. */
async function startDevnet(dir: string, extra: string[] = []): Promise<Devnet> {
  const child = spawn(process.execPath, [BIN, "devnet", "--dir", dir, "--json", ...extra], {
    cwd: work,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const banner = await new Promise<Banner>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ready banner within ${READY_TIMEOUT_MS} ms\nstderr:\n${stderr}`)),
      READY_TIMEOUT_MS,
    );
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (line === undefined || !stdout.includes("\n")) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as Banner);
      } catch (error) {
        reject(error);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`devnet exited (${signal ?? code}) before it was ready\nstderr:\n${stderr}`));
    });
  });
  const heightAtReady = Number(await rpcCall<string>(RPC, "eth_blockNumber"));
  return { child, banner, heightAtReady, stderr: () => stderr };
}

/** The validator node processes (`charter node start`) the devnet started; tsx's esbuild helper is not one. */
function nodePidsOf(pid: number): number[] {
  let listing: string;
  try {
    listing = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(pid)], { encoding: "utf8" });
  } catch {
    return []; // ps exits 1 when there are none.
  }
  return listing
    .split("\n")
    .filter((line) => line.includes(" node start "))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((n) => n > 0);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ctrl-C: SIGINT to the devnet; resolves with its exit code once it and its nodes are gone. */
async function interrupt(devnet: Devnet): Promise<{ code: number | null; nodePids: number[] }> {
  const nodePids = nodePidsOf(devnet.child.pid!);
  const exited = new Promise<number | null>((resolve) => {
    if (devnet.child.exitCode !== null) resolve(devnet.child.exitCode);
    else devnet.child.once("exit", (code) => resolve(code));
  });
  devnet.child.kill("SIGINT");
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error("devnet did not exit within 30 s of SIGINT")), 30_000),
  );
  const code = await Promise.race([exited, timeout]);
  return { code, nodePids };
}

async function waitReceipt(hash: string): Promise<{ status: string; blockNumber: string }> {
  return waitFor(`receipt of ${hash}`, () =>
    rpcCall<{ status: string; blockNumber: string } | null>(RPC, "eth_getTransactionReceipt", [hash]).then(
      (r) => r ?? undefined,
    ),
  );
}

beforeAll(async () => {
  releasePorts = await lockFixedPorts();
  work = mkdtempSync(join(tmpdir(), "charter-cli-"));
});

afterAll(async () => {
  // Bounded clean-up of anything a failed test left running: this file's own devnet processes only.
  for (const child of running) {
    for (const pid of nodePidsOf(child.pid!)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    child.kill("SIGKILL");
  }
  releasePorts?.();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("charter devnet", () => {
  let dir: string;
  let txHash: string;
  let heightBeforeStop: number;
  let genesisHash: string;

  async function genesis(): Promise<string> {
    return (await rpcCall<{ hash: string }>(RPC, "eth_getBlockByNumber", ["0x0", false])).hash;
  }

  it("reports ready only after a block is committed, with the chain id, node URLs and dev accounts", async () => {
    dir = join(work, "devnet");
    const devnet = await startDevnet(dir);
    try {
      const { banner } = devnet;
      expect(banner.status).toBe("ready");
      expect(banner.chainId).toBe(7345);
      expect(banner.crypto).toBe("ecdsa");
      expect(banner.dataDir).toBe(dir);
      // The product contract: four validators, node i serving HTTP and WebSocket on 8545 + i.
      expect(banner.nodes.map((n) => n.rpc)).toEqual(
        [8545, 8546, 8547, 8548].map((p) => `http://127.0.0.1:${p}`),
      );
      expect(banner.nodes[0]).toMatchObject({ rpc: RPC, ws: "ws://127.0.0.1:8545" });
      expect(banner.accounts).toHaveLength(20);
      expect(banner.accounts[0]?.address.toLowerCase()).toBe(ACCOUNT_0.toLowerCase());
      expect(banner.accounts[0]?.privateKey).toBe(DEV_KEY_0);
      expect(banner.mnemonic).toBe("test test test test test test test test test test test junk");
      // Read at once after the banner, with 1 s between blocks: block 1 was committed before "ready".
      expect(devnet.heightAtReady).toBeGreaterThanOrEqual(1);
      expect(devnet.stderr()).toContain("created a new devnet");
      // The links between the validators are authenticated by the consortium certificates under pki/.
      expect(banner.pki).toMatchObject({
        dir: join(dir, "pki"),
        rootCertificate: join(dir, "pki/root/root.pem"),
      });
      expect(banner.pki!.orgs.map((o) => o.id)).toEqual(["org0", "org1", "org2", "org3"]);
      const verified = await charter([
        "pki",
        "verify",
        banner.pki!.orgs[1]!.node,
        "--root",
        banner.pki!.rootCertificate,
        "--role",
        "node",
        "--json",
      ]);
      expect(JSON.parse(verified.stdout)).toMatchObject({ valid: true, org: "org1", name: "node1" });
      const node0Log = readFileSync(join(dir, "node0/node.log"), "utf8");
      expect(node0Log).toContain("consortium certificate loaded");
      expect(node0Log).toMatch(/"msg":"p2p peer up"/);
      expect(node0Log).not.toMatch(/"code":"certificate-/);

      // A transaction signed by the node for dev account 0 (Hardhat's default remote account) is mined.
      txHash = await rpcCall<string>(RPC, "eth_sendTransaction", [
        { from: ACCOUNT_0, to: Wallet.createRandom().address, value: "0x1" },
      ]);
      expect((await waitReceipt(txHash)).status).toBe("0x1");
      // The same port serves WebSocket.
      const socket = new WebSocket(banner.nodes[0]!.ws);
      const chainId = await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no WebSocket answer")), 10_000);
        socket.once("open", () =>
          socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId" })),
        );
        socket.once("message", (data) => {
          clearTimeout(timer);
          resolve(JSON.parse(data.toString()).result);
        });
        socket.once("error", reject);
      });
      socket.close();
      expect(chainId).toBe("0x1cb1");
      const metrics = await fetch(banner.nodes[0]!.metrics, { signal: AbortSignal.timeout(5000) });
      expect(await metrics.text()).toMatch(/^charter_head_height \d+$/m);

      heightBeforeStop = Number(await rpcCall<string>(RPC, "eth_blockNumber"));
      genesisHash = await genesis();
    } finally {
      const { code, nodePids } = await interrupt(devnet);
      // Ctrl-C stops the devnet cleanly, nodes included.
      expect(code).toBe(0);
      expect(nodePids.length).toBe(4);
      for (const pid of nodePids) expect(isAlive(pid)).toBe(false);
      expect(devnet.stderr()).toContain("stopping the devnet");
    }
    await expect(fetch(RPC, { method: "POST", signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    expect(readFileSync(join(dir, "node0/node.log"), "utf8")).toContain("node stopped");
  });

  it("resumes the same chain when run again", async () => {
    const devnet = await startDevnet(dir);
    try {
      expect(devnet.stderr()).toContain("resuming the devnet");
      expect(devnet.heightAtReady).toBeGreaterThan(heightBeforeStop);
      expect(await genesis()).toBe(genesisHash);
      const receipt = await rpcCall<{ status: string } | null>(RPC, "eth_getTransactionReceipt", [txHash]);
      expect(receipt?.status).toBe("0x1");
    } finally {
      expect((await interrupt(devnet)).code).toBe(0);
    }
  });

  it("starts over with --reset", async () => {
    const devnet = await startDevnet(dir, ["--reset"]);
    try {
      expect(devnet.stderr()).toContain("created a new devnet");
      // A new chain: another genesis (its timestamp differs), nothing of the old one, a low height.
      expect(await genesis()).not.toBe(genesisHash);
      expect(devnet.heightAtReady).toBeLessThanOrEqual(3);
      expect(await rpcCall(RPC, "eth_getTransactionReceipt", [txHash])).toBeNull();
      expect(await rpcCall(RPC, "eth_getTransactionCount", [ACCOUNT_0, "latest"])).toBe("0x0");
    } finally {
      expect((await interrupt(devnet)).code).toBe(0);
    }
  });
});

describe("charter init, keys and errors", () => {
  it("prints help for the command and its subcommands", async () => {
    const [help, devnetHelp] = await Promise.all([charter(["--help"]), charter(["devnet", "--help"])]);
    expect(help.code).toBe(0);
    for (const command of ["init", "node", "devnet", "keys"]) expect(help.stdout).toContain(command);
    expect(devnetHelp.code).toBe(0);
    expect(devnetHelp.stdout).toContain("--reset");
  });

  it("exits non-zero with a message on stderr for a bad flag or value", async () => {
    const [unknown, badValue, unknownCommand] = await Promise.all([
      charter(["devnet", "--no-such-flag"]),
      charter(["init", "--dir", join(work, "bad"), "--validators", "many"]),
      charter(["frobnicate"]),
    ]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("unknown option '--no-such-flag'");
    expect(unknown.stdout).toBe("");
    expect(badValue.code).not.toBe(0);
    expect(badValue.stderr).toContain("must be an integer");
    expect(existsSync(join(work, "bad"))).toBe(false);
    expect(unknownCommand.code).not.toBe(0);
    expect(unknownCommand.stderr).toMatch(/unknown command/);
  });

  it("init writes a network and refuses to overwrite it", async () => {
    const dir = join(work, "net");
    const first = await charter(["init", "--dir", dir, "--chain-id", "4242", "--dev-accounts", "--json"]);
    expect(first.code).toBe(0);
    const result = JSON.parse(first.stdout) as {
      dir: string;
      genesis: string;
      chainId: number;
      pki: string;
      nodes: { name: string; config: string; org: string }[];
    };
    expect(result).toMatchObject({ dir, chainId: 4242, pki: join(dir, "pki") });
    expect(result.nodes).toHaveLength(1);
    expect(result.nodes[0]!.org).toBe("org0");
    expect(existsSync(result.nodes[0]!.config)).toBe(true);
    expect(readFileSync(result.nodes[0]!.config, "utf8")).toContain("certChain: ../pki/org0/node0/chain.pem");
    const genesis = JSON.parse(readFileSync(result.genesis, "utf8")) as {
      chainId: number;
      alloc: Record<string, unknown>;
    };
    expect(genesis.chainId).toBe(4242);
    expect(Object.keys(genesis.alloc).map((a) => a.toLowerCase())).toContain(ACCOUNT_0.toLowerCase());
    const again = await charter(["init", "--dir", dir]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("already exists");
  });

  it("keys generate and keys show agree on the address", async () => {
    const file = join(work, "node.key");
    const bad = join(work, "bad.key");
    writeFileSync(bad, "not a key\n");
    const [generated, toFile, refused, missing] = await Promise.all([
      charter(["keys", "generate", "--json"]),
      charter(["keys", "generate", "--out", file, "--json"]),
      charter(["keys", "show", bad]),
      charter(["keys", "show", join(work, "missing.key")]),
    ]);
    expect(generated.code).toBe(0);
    const key = JSON.parse(generated.stdout) as { address: string; privateKey: string };
    expect(key.address.toLowerCase()).toBe(new Wallet(key.privateKey).address.toLowerCase());

    expect(toFile.code).toBe(0);
    const written = JSON.parse(toFile.stdout) as { address: string; file: string; privateKey?: string };
    expect(written.privateKey).toBeUndefined();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const [shown, text] = await Promise.all([
      charter(["keys", "show", file, "--json"]),
      charter(["keys", "show", file]),
    ]);
    expect(shown.code).toBe(0);
    expect((JSON.parse(shown.stdout) as { address: string }).address).toBe(written.address);
    expect(written.address.toLowerCase()).toBe(
      new Wallet(readFileSync(file, "utf8").trim()).address.toLowerCase(),
    );
    expect(text.stdout).toContain(written.address);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("does not hold a 32-byte private key");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/^error: /);
  });
});
