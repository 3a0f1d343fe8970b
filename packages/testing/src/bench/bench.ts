import { cpus, totalmem } from "node:os";
import { deriveDevPrivateKeys } from "@charter/config";
import { type CryptoSuiteName, createEcdsaSuite, createSmSuite, keccak256 } from "@charter/crypto";
import { CHARTER_VERSION } from "@charter/node";
import { signTx, TxType } from "@charter/types";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@charter/utils";
import { encodeAbiParameters, encodeFunctionData, parseAbi } from "viem";
import { BenchRPC, subscribeHeads } from "./rpcClient.js";

export interface BenchOptions {
  readonly rpcUrl: string;
  readonly wsUrl: string;
  /** Creation bytecode of the ERC-20 under test (`TestToken`). */
  readonly tokenBytecode: Uint8Array;
  readonly txs: number;
  readonly senders: number;
  /** Target submission rate, transactions per second (open loop: sending never waits for commits). */
  readonly rate: number;
  /** Transactions per JSON-RPC batch. */
  readonly batchSize: number;
  /** Stop waiting for commits this long after the last transaction was sent. */
  readonly drainTimeoutMs: number;
  /** The suite of the chain under test: transactions are signed as it requires (type 0x53 with SM2 on `sm`). */
  readonly crypto: CryptoSuiteName;
  readonly log: (line: string) => void;
}

export interface BenchReport {
  readonly charter: string;
  readonly workload: "erc20-transfer";
  readonly machine: { cpus: number; model: string; memoryGiB: number; node: string; platform: string };
  readonly topology: string;
  readonly crypto: string;
  readonly targetRate: number;
  readonly sent: number;
  readonly rejected: number;
  readonly committed: number;
  readonly failedReceipts: number;
  readonly durationMs: number;
  readonly committedTps: number;
  readonly submitTps: number;
  readonly latencyMs: { p50: number; p95: number; p99: number; max: number };
  readonly blocks: number;
  readonly meanBlockIntervalMs: number;
  readonly txsPerBlockMax: number;
}

const TOKEN_ABI = parseAbi([
  "function transfer(address to, uint256 amount) returns (bool)",
  "function distribute(address[] recipients, uint256 amount)",
]);

/**
 * The benchmark: deploy an ERC-20, fund `senders` accounts, pre-sign `txs` transfers, send them open-loop at
 * `rate` per second in JSON-RPC batches, and time each one from send to the client seeing its block.
 */
export async function runBench(options: BenchOptions, topology: string): Promise<BenchReport> {
  const suite = options.crypto === "sm" ? createSmSuite() : createEcdsaSuite();
  const rpc = new BenchRPC(options.rpcUrl);
  const chainId = BigInt(await rpc.call<string>("eth_chainId"));
  const gasLimitPerTx = 100_000n;
  const [deployerKey] = deriveDevPrivateKeys(1);
  const deployer = suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(deployerKey!));
  let deployerNonce = BigInt(
    await rpc.call<string>("eth_getTransactionCount", [bytesToHex(deployer), "pending"]),
  );
  const sign = (key: Uint8Array, nonce: bigint, to: Uint8Array | null, data: Uint8Array, gasLimit: bigint) =>
    signTx(
      {
        type: options.crypto === "sm" ? TxType.sm2 : TxType.feeMarket,
        chainId,
        nonce,
        gasPrice: 0n,
        maxFeePerGas: 0n,
        maxPriorityFeePerGas: 0n,
        gasLimit,
        to,
        value: 0n,
        data,
        accessList: [],
      },
      key,
      suite,
    );

  // Setup (untimed): deploy the token and give every sender a balance.
  options.log("setup: deploying the token and funding senders");
  const constructorArgs = hexToBytes(
    encodeAbiParameters(
      [{ type: "string" }, { type: "string" }, { type: "uint256" }],
      ["Bench", "BNCH", 10n ** 30n],
    ),
  );
  const deployTx = sign(
    deployerKey!,
    deployerNonce++,
    null,
    concatBytes(options.tokenBytecode, constructorArgs),
    3_000_000n,
  );
  await rpc.call("eth_sendRawTransaction", [bytesToHex(deployTx.raw)]);
  const deployReceipt = await waitReceipt(rpc, bytesToHex(deployTx.hash));
  const token = hexToBytes(deployReceipt.contractAddress as string);

  const senderKeys = Array.from({ length: options.senders }, (_, i) =>
    keccak256(utf8ToBytes(`charter-bench-sender-${i}`)),
  );
  const senders = senderKeys.map((k) => suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(k)));
  const fundTxs = [];
  for (let i = 0; i < senders.length; i += 200) {
    const data = encodeFunctionData({
      abi: TOKEN_ABI,
      functionName: "distribute",
      args: [senders.slice(i, i + 200).map((s) => bytesToHex(s) as `0x${string}`), 10n ** 24n],
    });
    fundTxs.push(sign(deployerKey!, deployerNonce++, token, hexToBytes(data), 30_000_000n));
  }
  for (const tx of fundTxs) await rpc.call("eth_sendRawTransaction", [bytesToHex(tx.raw)]);
  for (const tx of fundTxs) {
    const receipt = await waitReceipt(rpc, bytesToHex(tx.hash));
    if (receipt.status !== "0x1") throw new Error("funding the benchmark senders failed");
  }

  // Pre-sign every transfer, interleaving senders so each batch spreads over many of them.
  const nonces = await Promise.all(
    senders.map(async (s) =>
      BigInt(await rpc.call<string>("eth_getTransactionCount", [bytesToHex(s), "pending"])),
    ),
  );
  const signed: { raw: string; hash: string }[] = [];
  for (let i = 0; i < options.txs; i++) {
    const s = i % options.senders;
    const to = senders[(s + 1 + (i % 7)) % options.senders]!;
    const data = hexToBytes(
      encodeFunctionData({
        abi: TOKEN_ABI,
        functionName: "transfer",
        args: [bytesToHex(to) as `0x${string}`, 1n],
      }),
    );
    const tx = sign(senderKeys[s]!, nonces[s]!++, token, data, gasLimitPerTx);
    signed.push({ raw: bytesToHex(tx.raw), hash: bytesToHex(tx.hash) });
  }
  options.log(`setup done: ${options.txs} transfers pre-signed from ${options.senders} senders`);

  // Measurement: heads arrive over WebSocket; each new block's transactions are matched to their send times.
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const blockTimes: number[] = [];
  let txsPerBlockMax = 0;
  let lastCommitAt = 0;
  let committed = 0;
  let pendingBlocks = Promise.resolve();
  const startHeight = Number(await rpc.call<string>("eth_blockNumber"));
  let nextHeight = startHeight + 1;
  const heads = await subscribeHeads(options.wsUrl, (height, at) => {
    pendingBlocks = pendingBlocks
      .then(async () => {
        // A failed fetch leaves `nextHeight` where it was, so the next head retries it.
        for (; nextHeight <= height; nextHeight++) {
          const block = await rpc.call<{ transactions: string[] }>("eth_getBlockByNumber", [
            `0x${nextHeight.toString(16)}`,
            false,
          ]);
          blockTimes.push(at);
          let matched = 0;
          for (const hash of block.transactions) {
            const t0 = sentAt.get(hash);
            if (t0 === undefined) continue;
            latencies.push(at - t0);
            sentAt.delete(hash);
            matched++;
          }
          if (matched > 0) {
            committed += matched;
            lastCommitAt = at;
            txsPerBlockMax = Math.max(txsPerBlockMax, matched);
          }
        }
      })
      .catch((error: unknown) =>
        options.log(`fetching block ${nextHeight} failed (retried at the next head): ${error}`),
      );
  });

  let rejected = 0;
  const firstError: string[] = [];
  const intervalMs = 1000 / (options.rate / options.batchSize);
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0, k = 0; i < signed.length; i += options.batchSize, k++) {
    const due = start + k * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const batch = signed.slice(i, i + options.batchSize);
    const t = performance.now();
    for (const tx of batch) sentAt.set(tx.hash, t);
    inFlight.push(
      rpc
        .batch(batch.map((tx) => ({ method: "eth_sendRawTransaction", params: [tx.raw] })))
        .then((results) => {
          results.forEach((r, j) => {
            // "already known" answers a batch resent after a reset socket: the node has the transaction.
            if (r.error && r.error.message !== "already known") {
              rejected++;
              sentAt.delete(batch[j]!.hash);
              if (firstError.length < 3) firstError.push(r.error.message);
            }
          });
        }),
    );
    // Attach a handler at once: a failure must not surface as an unhandled rejection before Promise.all below.
    inFlight[inFlight.length - 1]!.catch(() => {});
  }
  await Promise.all(inFlight);
  const sendDone = performance.now();
  const deadline = sendDone + options.drainTimeoutMs;
  while (committed + rejected < signed.length && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  await pendingBlocks;
  heads.close();
  if (firstError.length) options.log(`rejected ${rejected} transactions, e.g.: ${firstError.join(" | ")}`);

  // Every committed transfer must have succeeded.
  let failedReceipts = 0;
  const sample = signed.filter((_, i) => i % Math.max(1, Math.floor(signed.length / 200)) === 0);
  for (const tx of sample) {
    const receipt = await rpc.call<{ status: string } | null>("eth_getTransactionReceipt", [tx.hash]);
    if (receipt && receipt.status !== "0x1") failedReceipts++;
  }
  await rpc.close();

  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies.length
      ? round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!)
      : 0;
  const durationMs = (lastCommitAt || sendDone) - start;
  const intervals = blockTimes.slice(1).map((t, i) => t - blockTimes[i]!);
  return {
    charter: CHARTER_VERSION,
    workload: "erc20-transfer",
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? "unknown",
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    topology,
    crypto: options.crypto,
    targetRate: options.rate,
    sent: signed.length,
    rejected,
    committed,
    failedReceipts,
    durationMs: round(durationMs),
    committedTps: round((committed / durationMs) * 1000),
    submitTps: round((signed.length / (sendDone - start)) * 1000),
    latencyMs: {
      p50: pct(50),
      p95: pct(95),
      p99: pct(99),
      max: latencies.length ? round(latencies[latencies.length - 1]!) : 0,
    },
    blocks: blockTimes.length,
    meanBlockIntervalMs: intervals.length
      ? round(intervals.reduce((a, b) => a + b, 0) / intervals.length)
      : 0,
    txsPerBlockMax,
  };
}

async function waitReceipt(
  rpc: BenchRPC,
  hash: string,
  timeoutMs = 60_000,
): Promise<{ status: string; contractAddress: string | null }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = await rpc.call<{ status: string; contractAddress: string | null } | null>(
      "eth_getTransactionReceipt",
      [hash],
    );
    if (receipt) return receipt;
    if (Date.now() > deadline)
      throw new Error(`transaction ${hash} was not committed within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

export function formatReport(report: BenchReport): string {
  const rows: [string, string][] = [
    ["topology", report.topology],
    ["workload", `${report.workload} (${report.crypto})`],
    ["target rate", `${report.targetRate} tx/s`],
    ["sent / rejected", `${report.sent} / ${report.rejected}`],
    ["committed", `${report.committed} (failed receipts in sample: ${report.failedReceipts})`],
    ["committed TPS", String(report.committedTps)],
    ["submit TPS", String(report.submitTps)],
    [
      "latency p50 / p95 / p99 / max",
      `${report.latencyMs.p50} / ${report.latencyMs.p95} / ${report.latencyMs.p99} / ${report.latencyMs.max} ms`,
    ],
    [
      "blocks / mean interval / max txs per block",
      `${report.blocks} / ${report.meanBlockIntervalMs} ms / ${report.txsPerBlockMax}`,
    ],
    [
      "machine",
      `${report.machine.cpus} × ${report.machine.model}, ${report.machine.memoryGiB} GiB, node ${report.machine.node}`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}
