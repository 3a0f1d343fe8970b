/**
 * Link throughput: TLS 1.3 (an `ecdsa` chain) against the SM channel (an `sm` chain). Two nodes on 127.0.0.1
 * link up, then `--frames` messages of `--bytes` each go from one to the other (one way), and then from each to
 * the other at once (both ways). Time runs from the first `send` to the last delivery, so it includes sealing,
 * the kernel's loopback and opening; the figures are payload megabytes (10^6 bytes) per second, best of `--runs`.
 *
 * Run: npx tsx packages/p2p/bench/channel.bench.ts [--frames 10000] [--bytes 1024] [--runs 5]
 */
import { parseArgs } from "node:util";
import { type CryptoSuite, createEcdsaSuite, createSmSuite } from "@charter/crypto";
import { createPeerNetwork, type PeerNetwork } from "../src/index.js";

const { values: args } = parseArgs({
  options: {
    frames: { type: "string", default: "10000" },
    bytes: { type: "string", default: "1024" },
    runs: { type: "string", default: "5" },
  },
});
const frames = Number(args.frames);
const payloadBytes = Number(args.bytes);
const runs = Number(args.runs);
const MESSAGE_TYPE = 7;

interface Pair {
  readonly a: PeerNetwork;
  readonly b: PeerNetwork;
  readonly received: { a: number; b: number };
}

async function startPair(suite: CryptoSuite): Promise<Pair> {
  const received = { a: 0, b: 0 };
  const options = {
    chainId: 1n,
    // Every frame of a run is queued at once; the default queue limits would drop most of them.
    sendQueueFramesMax: 4 * frames,
    sendQueueBytesMax: 4 * frames * (payloadBytes + 64),
  };
  const a = createPeerNetwork(
    { ...options, nodeKey: suite.generatePrivateKey() },
    { isAllowed: () => true, suite },
  );
  const { port } = await a.start();
  const b = createPeerNetwork(
    { ...options, nodeKey: suite.generatePrivateKey(), peers: [{ host: "127.0.0.1", port }] },
    { isAllowed: () => true, suite },
  );
  a.onMessage(() => received.a++);
  b.onMessage(() => received.b++);
  const up = new Promise<void>((resolve) => a.onPeerUp(() => resolve()));
  const upB = new Promise<void>((resolve) => b.onPeerUp(() => resolve()));
  await b.start();
  await Promise.all([up, upB]);
  return { a, b, received };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** Seconds to deliver `frames` messages from a to b, and also from b to a when `bothWays`. */
async function run(pair: Pair, bothWays: boolean): Promise<number> {
  const payload = new Uint8Array(payloadBytes).fill(0x5a);
  pair.received.a = 0;
  pair.received.b = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < frames; i++) {
    if (!pair.a.send(pair.b.address, MESSAGE_TYPE, payload)) throw new Error("a send queue overflowed");
    if (bothWays && !pair.b.send(pair.a.address, MESSAGE_TYPE, payload))
      throw new Error("b send queue overflowed");
  }
  await until(() => pair.received.b === frames && (!bothWays || pair.received.a === frames));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const megabytes = (seconds: number, directions: number) =>
  (directions * frames * payloadBytes) / 1e6 / seconds;

process.stdout.write(
  `node ${process.version}, ${frames} frames of ${payloadBytes} bytes, best of ${runs} runs\n` +
    "channel       one way MB/s   both ways MB/s (sum)\n",
);
for (const [name, suite] of [
  ["TLS 1.3", createEcdsaSuite()],
  ["SM channel", createSmSuite()],
] as const) {
  const pair = await startPair(suite);
  await run(pair, false); // warm-up
  let oneWay = 0;
  let bothWays = 0;
  for (let i = 0; i < runs; i++) {
    oneWay = Math.max(oneWay, megabytes(await run(pair, false), 1));
    bothWays = Math.max(bothWays, megabytes(await run(pair, true), 2));
  }
  process.stdout.write(
    `${name.padEnd(12)}  ${oneWay.toFixed(1).padStart(12)}   ${bothWays.toFixed(1).padStart(14)}\n`,
  );
  await Promise.all([pair.a.stop(), pair.b.stop()]);
}
