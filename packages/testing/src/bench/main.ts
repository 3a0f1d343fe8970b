/**
 * `npm run bench`: the single-node ERC-20 benchmark. By default it creates a fresh single-validator network in a
 * temporary folder, starts its node as a separate process on 127.0.0.1, runs the workload and stops the node;
 * `--url` targets a running node instead. Prints a table, writes the JSON report, and with `--profile` records a
 * CPU profile of the node and says where its time went.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { hexToBytes } from "@charter/utils";
import { createTestNetwork, startNodeProcess } from "../nodeProcess.js";
import { compileTestToken } from "../solc.js";
import { formatReport, runBench } from "./bench.js";
import { formatProfile, summarizeProfiles } from "./profile.js";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    ws: { type: "string" },
    txs: { type: "string", default: "20000" },
    senders: { type: "string", default: "500" },
    rate: { type: "string", default: "2000" },
    batch: { type: "string", default: "100" },
    "block-interval-ms": { type: "string", default: "1000" },
    validators: { type: "string", default: "1" },
    crypto: { type: "string", default: "ecdsa" },
    out: { type: "string" },
    profile: { type: "boolean", default: false },
    "node-log-level": { type: "string", default: "info" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  process.stdout.write(`usage: npm run bench -- [options]
  --url <http url>          benchmark a running node instead of starting one (--ws defaults to the same port)
  --txs <n>                 transfers to send (default 20000)
  --senders <n>             distinct sending accounts (default 500)
  --rate <tx/s>             open-loop submission rate (default 2000)
  --batch <n>               transactions per JSON-RPC batch (default 100)
  --block-interval-ms <ms>  block interval of the network the benchmark starts (default 1000)
  --validators <n>          validators of the network the benchmark starts, each a separate process (default 1)
  --crypto <suite>          ecdsa or sm: the suite of the network the benchmark starts, or of the --url node
                            (default ecdsa)
  --out <file>              where to write the JSON report (default bench-results/bench-<time>.json)
  --profile                 record a CPU profile of the node and summarise where its time goes
  --node-log-level <level>  log level of the nodes the benchmark starts; their logs are kept in the network
                            folder as node<i>.log (default info)
`);
  process.exit(0);
}

const positive = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`error: --${name} must be a positive integer\n`);
    process.exit(2);
  }
  return n;
};

const log = (line: string) => process.stderr.write(`${line}\n`);
const txs = positive("txs", values.txs);
const senders = positive("senders", values.senders);
const rate = positive("rate", values.rate);
const batchSize = positive("batch", values.batch);
const blockIntervalMs = positive("block-interval-ms", values["block-interval-ms"]);
const validators = positive("validators", values.validators);
const crypto = values.crypto;
if (crypto !== "ecdsa" && crypto !== "sm") {
  process.stderr.write("error: --crypto must be ecdsa or sm\n");
  process.exit(2);
}

const token = compileTestToken("prague");
let nodes: Awaited<ReturnType<typeof startNodeProcess>>[] = [];
let profileDir: string | undefined;
let rpcUrl = values.url;
let wsUrl = values.ws;
let topology = "external node";
try {
  if (!rpcUrl) {
    const network = await createTestNetwork({ blockIntervalMs, validators, crypto });
    profileDir = values.profile ? mkdtempSync(join(tmpdir(), "charter-profile-")) : undefined;
    nodes = await Promise.all(
      network.layout.nodes.map((n, i) =>
        startNodeProcess(n.configFile, {
          env: { CHARTER_LOG_LEVEL: values["node-log-level"] },
          logFile: join(network.layout.dir, `node${i}.log`),
          ...(profileDir ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] } : {}),
        }),
      ),
    );
    log(`node logs: ${network.layout.dir}/node<i>.log`);
    rpcUrl = nodes[0]!.rpcUrl;
    wsUrl = nodes[0]!.wsUrl;
    topology = `${validators} validator(s) as separate processes on one machine, block interval ${blockIntervalMs} ms, transactions sent to node 0, data in ${network.layout.dir}`;
    log(`started ${validators} node(s); sending to ${rpcUrl}`);
  }
  wsUrl ??= rpcUrl.replace(/^http/, "ws");
  const report = await runBench(
    {
      rpcUrl,
      wsUrl,
      tokenBytecode: hexToBytes(token.bytecode),
      txs,
      senders,
      rate,
      batchSize,
      drainTimeoutMs: 60_000,
      crypto,
      log,
    },
    topology,
  );
  process.stdout.write(`${formatReport(report)}\n`);
  const out = resolve(
    values.out ?? `bench-results/bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`,
  );
  mkdirSync(resolve(out, ".."), { recursive: true });
  let profile: ReturnType<typeof summarizeProfiles> | undefined;
  if (nodes.length > 0) {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
    if (profileDir) {
      profile = summarizeProfiles(profileDir);
      process.stdout.write(`\n${formatProfile(profile)}\n`);
    }
  }
  writeFileSync(out, `${JSON.stringify({ ...report, ...(profile ? { profile } : {}) }, null, 2)}\n`);
  log(`report written to ${out}`);
} catch (error) {
  // Said before the nodes stop: requests still in flight then fail too, and must not hide the cause.
  log(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  await Promise.all(nodes.map((n) => n.stop()));
}
