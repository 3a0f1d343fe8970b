import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initNetwork, type NetworkLayout } from "@charter/cli";

const BIN = fileURLToPath(new URL("../../cli/bin/charter.js", import.meta.url));

/** How long a node may take from spawn to serving JSON-RPC. */
const START_TIMEOUT_MS = 60_000;

export interface TestNetwork {
  readonly layout: NetworkLayout;
  readonly chainId: number;
}

/**
 * Writes a fresh network (one validator unless asked, funded dev accounts, consortium certificates) in a
 * temporary folder.
 */
export async function createTestNetwork(
  options: {
    blockIntervalMs?: number;
    chainId?: number;
    validators?: number;
    gasLimit?: bigint;
    crypto?: "ecdsa" | "sm";
  } = {},
): Promise<TestNetwork> {
  const dir = mkdtempSync(join(tmpdir(), "charter-test-"));
  const chainId = options.chainId ?? 7345;
  const { layout } = await initNetwork({
    dir,
    chainId,
    validators: options.validators ?? 1,
    blockIntervalMs: options.blockIntervalMs ?? 250,
    devAccounts: true,
    // Node-to-node ports are written into each node's peer list, so they cannot be ephemeral; a random base
    // keeps concurrent test networks apart.
    p2pPortBase: 32_000 + Math.floor(Math.random() * 2_000) * 10,
    ...(options.gasLimit === undefined ? {} : { gasLimit: options.gasLimit }),
    ...(options.crypto === undefined ? {} : { crypto: options.crypto }),
  });
  return { layout, chainId };
}

/**
 * Points a node's p2p peer list at other addresses (e.g. fault proxies); call it before the node starts. The file
 * must be one `createTestNetwork` wrote: the peer entries it replaces are the `- { host: …, port: … }` lines.
 */
export function setNodePeers(configFile: string, peers: readonly { host: string; port: number }[]): void {
  const text = readFileSync(configFile, "utf8");
  const entry = /^ {4}- \{ host: [^,]+, port: \d+ \}\n/gm;
  const block = /^( {2}peers:)(?: \[\])?\n(?: {4}- \{ host: [^,]+, port: \d+ \}\n)*/m;
  if (!block.test(text)) throw new Error(`${configFile}: no p2p peers list found`);
  const lines = peers.map((p) => `    - { host: ${p.host}, port: ${p.port} }\n`).join("");
  const next = text.replace(
    block,
    (_all, head: string) => `${head}${peers.length === 0 ? " []" : ""}\n${lines}`,
  );
  if ((next.match(entry) ?? []).length !== peers.length)
    throw new Error(`${configFile}: peers not rewritten`);
  writeFileSync(configFile, next);
}

/** Every node process started here and not yet exited: killed if the test process exits first. */
const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function register(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const c of children) c.kill("SIGKILL");
  });
}

export interface NodeProcess {
  readonly process: ChildProcess;
  readonly rpcUrl: string;
  readonly wsUrl: string;
  readonly metricsUrl: string;
  /** Everything the node wrote on stderr (JSON log lines). */
  readonly log: () => string;
  /** SIGTERM and wait for a clean exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL: the crash case. */
  kill(): Promise<void>;
  /** SIGSTOP: the process freezes with its sockets open (a hung or swapped-out node). */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
}

/**
 * Starts a real node process (`charter node start`) on ephemeral ports bound to 127.0.0.1 and resolves once it
 * serves JSON-RPC. The ports are read back from the node's log.
 */
export async function startNodeProcess(
  configFile: string,
  options: {
    env?: Record<string, string>;
    devAccounts?: boolean;
    nodeArgs?: readonly string[];
    /** Also append everything the node writes to this file as it arrives. */
    logFile?: string;
  } = {},
): Promise<NodeProcess> {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), BIN, "node", "start", "--config", configFile],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        CHARTER_RPC_PORT: "0",
        CHARTER_METRICS_PORT: "0",
        CHARTER_LOG_LEVEL: "info",
        CHARTER_DEV_ACCOUNTS: String(options.devAccounts ?? true),
        ...options.env,
      },
    },
  );
  register(child);
  let log = "";
  const logFile = options.logFile;
  if (logFile !== undefined) {
    const append = (chunk: Buffer) => appendFileSync(logFile, chunk);
    child.stderr!.on("data", append);
    child.stdout!.on("data", append);
  }
  let rpcUrl: string | undefined;
  let metricsUrl: string | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`node did not start within ${START_TIMEOUT_MS} ms:\n${log}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      for (const line of chunk.toString().split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg?.startsWith("JSON-RPC listening") && entry.url) rpcUrl = entry.url;
          if (entry.msg?.startsWith("metrics listening") && entry.url) metricsUrl = entry.url;
        } catch {
          // A partial line; the rest arrives with the next chunk and is parsed from `log` below.
        }
      }
      if (rpcUrl && metricsUrl) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on("data", onData);
    child.stdout!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`node exited (${signal ?? code}) before it was ready:\n${log}`));
    });
  });
  try {
    await ready;
  } catch (error) {
    // A node that did not come up is not left running.
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    throw error;
  }
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
  return {
    process: child,
    rpcUrl: rpcUrl!,
    wsUrl: rpcUrl!.replace(/^http/, "ws"),
    metricsUrl: metricsUrl!,
    log: () => log,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.kill("SIGTERM");
      // A paused process handles SIGTERM only once it runs again.
      child.kill("SIGCONT");
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
    pause() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGSTOP");
    },
    resume() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGCONT");
    },
  };
}
