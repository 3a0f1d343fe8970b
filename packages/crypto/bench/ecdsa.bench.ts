/**
 * Throughput of the `ecdsa` suite's primitives on this machine, against pure-JS @noble/curves for comparison.
 * Run with `npx tsx packages/crypto/bench/ecdsa.bench.ts`. Prints the median ops/s of five timed runs per
 * operation; each run lasts about `RUN_MS` after a warm-up. 64 distinct keys and digests are cycled so caches
 * do not flatter the numbers.
 */
import { createRequire } from "node:module";
import { secp256k1 as noble } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { createEcdsaSuite, loadNativeSecp256k1 } from "../src/index.js";

const RUN_MS = 400;
const RUNS = 5;
const SAMPLES = 64;

function measure(name: string, op: (i: number) => unknown): void {
  const warmUpEnd = performance.now() + 150;
  for (let i = 0; performance.now() < warmUpEnd; i++) op(i);
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let count = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < RUN_MS) {
      for (let i = 0; i < 64; i++) op(count + i);
      count += 64;
      elapsed = performance.now() - start;
    }
    rates.push((count * 1000) / elapsed);
  }
  rates.sort((a, b) => a - b);
  const median = Math.round(rates[RUNS >> 1]!);
  const spread = `${Math.round(rates[0]!)}–${Math.round(rates[RUNS - 1]!)}`;
  console.log(`${name.padEnd(44)} ${median.toLocaleString("en-US").padStart(10)} ops/s  (${spread})`);
}

const suite = createEcdsaSuite();
const native = loadNativeSecp256k1();
const keys = Array.from({ length: SAMPLES }, () => suite.generatePrivateKey());
const digests = Array.from({ length: SAMPLES }, (_, i) => suite.hash(Uint8Array.of(i)));
const publicKeys = keys.map((key) => suite.publicKeyFromPrivateKey(key));
const signatures = keys.map((key, i) => suite.sign(digests[i]!, key));
const nobleSignatures = signatures.map((sig) => Uint8Array.of(sig[64]!, ...sig.subarray(0, 64)));
const at = <T>(list: readonly T[], i: number): T => list[i % SAMPLES]!;

console.log(`node ${process.version}, ${RUNS} runs of ${RUN_MS} ms, median (min–max)\n`);
measure("native  recover (suite.recoverPublicKey)", (i) =>
  suite.recoverPublicKey(at(digests, i), at(signatures, i)),
);
measure("native  verify  (suite.verify, by recovery)", (i) =>
  suite.verify(at(digests, i), at(signatures, i), at(publicKeys, i)),
);
measure("native  verify  (libsecp256k1 ecdsaVerify)", (i) =>
  native.ecdsaVerify(at(signatures, i).subarray(0, 64), at(digests, i), at(publicKeys, i)),
);
measure("native  sign    (suite.sign)", (i) => suite.sign(at(digests, i), at(keys, i)));
measure("noble   recover", (i) =>
  noble.recoverPublicKey(at(nobleSignatures, i), at(digests, i), { prehash: false }),
);
measure("noble   verify", (i) =>
  noble.verify(at(signatures, i).subarray(0, 64), at(digests, i), at(publicKeys, i), { prehash: false }),
);
measure("noble   sign", (i) =>
  noble.sign(at(digests, i), at(keys, i), { prehash: false, format: "recovered" }),
);

const input32 = Array.from({ length: SAMPLES }, (_, i) => new Uint8Array(32).fill(i));
const input200 = Array.from({ length: SAMPLES }, (_, i) => new Uint8Array(200).fill(i));
measure("keccak256 32 B   (@noble/hashes, suite.hash)", (i) => suite.hash(at(input32, i)));
measure("keccak256 200 B  (@noble/hashes, suite.hash)", (i) => suite.hash(at(input200, i)));
measure("keccak256 32 B   (@noble/hashes, direct)", (i) => keccak_256(at(input32, i)));

// js-sha3 is not a dependency of @charter/crypto; it is measured only when another package happens to have
// installed it, to show what switching would buy.
let jsSha3: { keccak256: { arrayBuffer(data: Uint8Array): ArrayBuffer } } | undefined;
try {
  jsSha3 = createRequire(import.meta.url)("js-sha3");
} catch {
  console.log("js-sha3 not installed; skipping the comparison");
}
if (jsSha3) {
  const { keccak256 } = jsSha3;
  measure("keccak256 32 B   (js-sha3, not a dependency)", (i) => keccak256.arrayBuffer(at(input32, i)));
  measure("keccak256 200 B  (js-sha3, not a dependency)", (i) => keccak256.arrayBuffer(at(input200, i)));
}
