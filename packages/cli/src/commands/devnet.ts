import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DEV_ACCOUNT_COUNT, DEV_MNEMONIC, deriveDevPrivateKeys, loadGenesis } from "@charter/config";
import { type CryptoSuiteName, checksumAddress } from "@charter/crypto";
import { expiryWarnings, parseCertificate, pemToDer, readPEMFile } from "@charter/pki";
import { bytesToHex } from "@charter/utils";
import { DEVNET_CHAIN_ID, initNetwork, type NetworkLayout, networkLayout, suiteNamed } from "../network.js";

export interface DevnetOptions {
  readonly dir: string;
  readonly validators: number;
  readonly reset: boolean;
  readonly blockIntervalMs: number;
  readonly chainId: number;
  /** The crypto suite of a new chain (a resumed chain keeps its own). */
  readonly crypto: CryptoSuiteName;
  readonly json: boolean;
  /** Give up if the network has not committed a block within this time. */
  readonly readyTimeoutMs: number;
}

const BIN = fileURLToPath(new URL("../../bin/charter.js", import.meta.url));

/**
 * Runs a local network: each validator is a separate OS process on 127.0.0.1. The first run creates keys and a
 * genesis under `dir`; later runs resume the same chain; `--reset` starts over. Ready is reported only after
 * the network has committed a block, and Ctrl-C stops every node cleanly.
 */
export async function runDevnet(options: DevnetOptions): Promise<void> {
  if (options.reset) rmSync(options.dir, { recursive: true, force: true });
  let layout: NetworkLayout;
  const existing = networkLayout(options.dir, 0);
  if (existsSync(existing.genesisFile)) {
    const genesis = loadGenesis(existing.genesisFile);
    layout = networkLayout(options.dir, genesis.validators.length);
    if (genesis.validators.length !== options.validators) {
      process.stderr.write(
        `note: ${options.dir} holds a network of ${genesis.validators.length} validator(s); resuming it (use --reset to start a new one with ${options.validators})\n`,
      );
    }
    if (genesis.crypto !== options.crypto) {
      process.stderr.write(
        `note: ${options.dir} holds a chain on the ${genesis.crypto} suite; resuming it (use --reset to start a new one on ${options.crypto})\n`,
      );
    }
    process.stderr.write(`resuming the devnet in ${layout.dir}\n`);
  } else {
    layout = (
      await initNetwork({
        dir: options.dir,
        chainId: options.chainId,
        validators: options.validators,
        blockIntervalMs: options.blockIntervalMs,
        devAccounts: true,
        crypto: options.crypto,
      })
    ).layout;
    process.stderr.write(`created a new devnet in ${layout.dir}\n`);
  }
  warnCertificateExpiry(layout);

  const children: { name: string; process: ChildProcess; logFile: string }[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write("stopping the devnet...\n");
    await Promise.all(children.map((child) => stopChild(child.process)));
    process.exit(code);
  };
  process.on("SIGINT", () => void stopAll(0));
  process.on("SIGTERM", () => void stopAll(0));

  for (const node of layout.nodes) {
    const logFile = `${node.dir}/node.log`;
    const fd = openSync(logFile, "a");
    const child = spawn(process.execPath, [BIN, "node", "start", "--config", node.configFile], {
      stdio: ["ignore", fd, fd],
      env: { ...process.env, CHARTER_DEV_ACCOUNTS: "true" },
    });
    closeSync(fd);
    children.push({ name: node.name, process: child, logFile });
    child.on("exit", (code, signal) => {
      if (stopping) return;
      process.stderr.write(
        `${node.name} exited (${signal ?? `code ${code}`}); its log is ${logFile}\n${tail(logFile)}\n`,
      );
      void stopAll(1);
    });
  }

  const startHeights = await waitForRPC(layout, options.readyTimeoutMs);
  await waitForBlocks(layout, startHeights, options.readyTimeoutMs);
  printBanner(layout, options.json);
  // Keep running until a signal stops the nodes.
  await new Promise<never>(() => {});
}

async function rpcCall(port: number, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(2000),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

async function waitForRPC(layout: NetworkLayout, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  const heights: number[] = [];
  for (const node of layout.nodes) {
    for (;;) {
      try {
        heights.push(Number(await rpcCall(node.rpcPort, "eth_blockNumber")));
        break;
      } catch {
        if (Date.now() > deadline)
          throw new Error(
            `${node.name} did not answer on port ${node.rpcPort} in time; see ${node.dir}/node.log`,
          );
        await sleep(200);
      }
    }
  }
  return heights;
}

async function waitForBlocks(
  layout: NetworkLayout,
  startHeights: number[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const [i, node] of layout.nodes.entries()) {
    for (;;) {
      const height = Number(await rpcCall(node.rpcPort, "eth_blockNumber").catch(() => -1));
      if (height > (startHeights[i] ?? 0)) break;
      if (Date.now() > deadline)
        throw new Error(`${node.name} committed no block in time; see ${node.dir}/node.log`);
      await sleep(200);
    }
  }
}

function printBanner(layout: NetworkLayout, json: boolean): void {
  const genesis = loadGenesis(layout.genesisFile);
  const suite = suiteNamed(genesis.crypto);
  const accounts = deriveDevPrivateKeys(DEV_ACCOUNT_COUNT).map((key) => ({
    address: checksumAddress(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(key))),
    privateKey: bytesToHex(key),
  }));
  const nodes = layout.nodes.map((node) => ({
    name: node.name,
    rpc: `http://127.0.0.1:${node.rpcPort}`,
    ws: `ws://127.0.0.1:${node.rpcPort}`,
    metrics: `http://127.0.0.1:${node.metricsPort}/metrics`,
    p2p: `127.0.0.1:${node.p2pPort}`,
    log: `${node.dir}/node.log`,
  }));
  const pki = existsSync(layout.rootCADir)
    ? {
        dir: layout.pkiDir,
        rootCertificate: `${layout.rootCADir}/root.pem`,
        orgs: layout.orgs.map((org, i) => ({
          id: org.id,
          dir: org.dir,
          node: layout.nodes[i]!.pki.certChain,
          admin: `${org.adminDir}/cert.pem`,
          adminAccountKey: org.adminAccountKeyFile,
        })),
      }
    : null;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ status: "ready", chainId: genesis.chainId, crypto: genesis.crypto, consensus: consensusName(layout), dataDir: layout.dir, nodes, accounts, mnemonic: DEV_MNEMONIC, pki })}\n`,
    );
    return;
  }
  const lines = [
    "",
    "Charter devnet",
    "==============",
    `Chain id:     ${genesis.chainId}`,
    `Crypto suite: ${genesis.crypto}`,
    `Consensus:    ${consensusName(layout)}, block interval ${genesis.blockIntervalMs} ms`,
    `Data folder:  ${layout.dir}`,
    "",
    "Nodes (JSON-RPC over HTTP and WebSocket on the same port):",
    ...nodes.map((n) => `  ${n.name}  ${n.rpc}  ${n.ws}  metrics ${n.metrics}  p2p ${n.p2p}`),
    "",
    "Dev accounts (10000 ETH each). These private keys are PUBLICLY KNOWN: never use them outside a devnet.",
    `Mnemonic: ${DEV_MNEMONIC}`,
    ...accounts.map((a, i) => `  (${i}) ${a.address}  ${a.privateKey}`),
    "",
    `Committee keys: the validators' node keys (${layout.dir}/node<i>/node.key); see docs/governance.md`,
    ...(pki
      ? [
          `Certificates: ${pki.dir} (consortium root CA in root/; ${layout.orgs.length === 1 ? "organization org0" : `organizations org0..${layout.orgs.at(-1)!.id}`}, each with its CA,`,
          "              its node's certificate and an admin certificate; node links are authenticated by them, docs/pki.md)",
          `Admin account keys (one per organization): ${layout.pkiDir}/org<i>/admin/account.key`,
        ]
      : genesis.crypto === "sm"
        ? [
            "Certificates: none (an sm chain has no consortium certificates yet; links run on the SM channel with",
            "              node keys checked against NodeRegistry, docs/spec/p2p.md)",
          ]
        : ["Certificates: none (this devnet predates them; add --reset to start a new one that has them)."]),
    "",
    "ready: blocks are being committed. Press Ctrl-C to stop; run again to resume, or add --reset to start over.",
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

function consensusName(layout: NetworkLayout): string {
  const n = layout.nodes.length;
  // n = 3f + 1: the network keeps committing with up to f validators down or byzantine.
  return n === 1
    ? "single validator (final on commit)"
    : `BFT, ${n} validators (tolerates ${Math.floor((n - 1) / 3)} faulty)`;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export { DEVNET_CHAIN_ID };

/**
 * Says on the console when a devnet certificate is within 30, 7 or 1 days of expiring, or has expired: the nodes
 * log it too, but their logs are in files nobody watches on a devnet.
 */
function warnCertificateExpiry(layout: NetworkLayout): void {
  const certificates: { label: string; notAfter: Date }[] = [];
  for (const node of layout.nodes) {
    if (!existsSync(node.pki.certChain)) continue;
    const [leaf, orgCA] = pemToDer(readPEMFile(node.pki.certChain, "certificate chain"));
    certificates.push({ label: `${node.name} node`, notAfter: parseCertificate(leaf!).notAfter });
    if (orgCA) certificates.push({ label: `${node.org} CA`, notAfter: parseCertificate(orgCA).notAfter });
  }
  const rootFile = `${layout.rootCADir}/root.pem`;
  if (existsSync(rootFile)) {
    const root = parseCertificate(pemToDer(readPEMFile(rootFile, "root CA certificate"))[0]!);
    certificates.push({ label: "root CA", notAfter: root.notAfter });
  }
  for (const warning of expiryWarnings(certificates, Date.now())) {
    process.stderr.write(`warning: ${warning.message}\n`);
  }
}
