/**
 * Throughput of the `sm` suite's primitives on this machine, single thread, with the `ecdsa` suite and sm-crypto
 * (pure JS, a devDependency) beside them for reference. Run with `npm run bench:crypto` or
 * `npx tsx packages/crypto/bench/sm2.bench.ts`. Prints the median ops/s of five timed runs per operation; each
 * run lasts about `RUN_MS` after a warm-up.
 *
 * SM2 signing is measured with one key, as a validator or a wallet signs (its public key, which Z_A needs, is then
 * cached), and with `COLD_SAMPLES` keys in turn, which also pays for d·G.
 *
 * SM2 verification is measured in the three states a key can be in (see `sm2.ts`):
 * - "validator key": one of `VALIDATORS` keys that have each verified enough signatures to own a precomputed
 *   table, as a validator's key does after a few blocks;
 * - "cached key": a key whose point and Z_A are cached but that has no table yet;
 * - "cold key": cycling through `COLD_SAMPLES` keys, more than the cache holds, so every call decodes the key and
 *   hashes its Z_A, as for a transaction from an account not seen recently.
 */
import { createRequire } from "node:module";
import { bytesToHex } from "@charter/utils";
import {
  createEcdsaSuite,
  createSmSuite,
  sm2GeneratePrivateKey,
  sm2PublicKeyFromPrivateKey,
  sm3,
} from "../src/index.js";

const RUN_MS = 400;
const RUNS = 5;
const SAMPLES = 64;
const VALIDATORS = 16;
/** More than the 4096 keys `sm2.ts` caches, so that no key is still cached when its turn comes again. */
const COLD_SAMPLES = 5000;
/** Above the 32 valid verifications after which `sm2.ts` builds a key's table. */
const WARM_UP_VERIFICATIONS = 40;

function measure(name: string, op: (i: number) => unknown, unit = "ops/s", scale = 1): void {
  const warmUpEnd = performance.now() + 200;
  for (let i = 0; performance.now() < warmUpEnd; i++) op(i);
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let count = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < RUN_MS) {
      for (let i = 0; i < 16; i++) op(count + i);
      count += 16;
      elapsed = performance.now() - start;
    }
    rates.push((count * 1000 * scale) / elapsed);
  }
  rates.sort((a, b) => a - b);
  const format = (rate: number) =>
    rate.toLocaleString("en-US", { maximumFractionDigits: scale === 1 ? 0 : 1, minimumFractionDigits: 0 });
  const spread = `${format(rates[0]!)}–${format(rates[RUNS - 1]!)}`;
  console.log(`${name.padEnd(48)} ${format(rates[RUNS >> 1]!).padStart(10)} ${unit}  (${spread})`);
}

const at = <T>(list: readonly T[], i: number): T => list[i % SAMPLES]!;

const sm = createSmSuite();
const smKeys = Array.from({ length: SAMPLES }, () => sm2GeneratePrivateKey());
const smPublicKeys = smKeys.map((key) => sm2PublicKeyFromPrivateKey(key));
const digests = Array.from({ length: SAMPLES }, (_, i) => sm.hash(Uint8Array.of(i)));
const smSignatures = smKeys.map((key, i) => sm.sign(digests[i]!, key));
const cachedKey = smPublicKeys[VALIDATORS]!;
const coldKeys = Array.from({ length: COLD_SAMPLES }, () => sm2GeneratePrivateKey());
const cold = coldKeys.map((key, i) => ({
  privateKey: key,
  digest: sm.hash(Uint8Array.of(i, i >> 8)),
  publicKey: sm2PublicKeyFromPrivateKey(key),
  signature: sm.sign(sm.hash(Uint8Array.of(i, i >> 8)), key),
}));
// After the cold keys, which pass through the key cache while being signed for: give the validator keys their
// tables before anything is timed.
for (let round = 0; round < WARM_UP_VERIFICATIONS; round++) {
  for (let k = 0; k < VALIDATORS; k++) sm.verify(digests[k]!, smSignatures[k]!, smPublicKeys[k]!);
}

const ecdsa = createEcdsaSuite();
const ecdsaKeys = Array.from({ length: SAMPLES }, () => ecdsa.generatePrivateKey());
const ecdsaPublicKeys = ecdsaKeys.map((key) => ecdsa.publicKeyFromPrivateKey(key));
const ecdsaSignatures = ecdsaKeys.map((key, i) => ecdsa.sign(digests[i]!, key));

const smCrypto = createRequire(import.meta.url)("sm-crypto") as {
  sm2: {
    doSignature(message: Uint8Array, privateKeyHex: string, options: { hash: true; der: false }): string;
    doVerifySignature(
      message: Uint8Array,
      signatureHex: string,
      publicKeyHex: string,
      options: { hash: true; der: false },
    ): boolean;
  };
};
const hex = (bytes: Uint8Array) => bytesToHex(bytes).slice(2);
const smKeysHex = smKeys.map(hex);
const smPublicKeysHex = smPublicKeys.map(hex);
const smSignaturesHex = smSignatures.map(hex);

console.log(`node ${process.version}, ${RUNS} runs of ${RUN_MS} ms, median (min–max), one thread\n`);

measure("sm      SM2 sign    (suite.sign, one signing key)", (i) => sm.sign(at(digests, i), smKeys[0]!));
measure("sm      SM2 sign    (suite.sign, cold key)", (i) => {
  const { digest, privateKey } = cold[i % COLD_SAMPLES]!;
  return sm.sign(digest, privateKey);
});
measure(`sm      SM2 verify  (suite.verify, ${VALIDATORS} validator keys)`, (i) => {
  const k = i % VALIDATORS;
  return sm.verify(digests[k]!, smSignatures[k]!, smPublicKeys[k]!);
});
measure("sm      SM2 verify  (suite.verify, cached key)", () => {
  // A valid signature would eventually make this key hot, so verify one that fails only at the final
  // comparison: it costs exactly what a valid one costs and never counts towards a table.
  return sm.verify(digests[0]!, smSignatures[0]!, cachedKey);
});
measure("sm      SM2 verify  (suite.verify, cold key)", (i) => {
  const { digest, signature, publicKey } = cold[i % COLD_SAMPLES]!;
  return sm.verify(digest, signature, publicKey);
});
measure("sm      SM2 public key from private key", (i) => sm2PublicKeyFromPrivateKey(at(smKeys, i)));

measure("ecdsa   sign        (suite.sign, libsecp256k1)", (i) =>
  ecdsa.sign(at(digests, i), at(ecdsaKeys, i)),
);
measure("ecdsa   recover     (suite.recoverPublicKey)", (i) =>
  ecdsa.recoverPublicKey(at(digests, i), at(ecdsaSignatures, i)),
);
measure("ecdsa   verify      (suite.verify, by recovery)", (i) =>
  ecdsa.verify(at(digests, i), at(ecdsaSignatures, i), at(ecdsaPublicKeys, i)),
);

measure("sm-crypto SM2 sign   (pure JS, reference)", (i) =>
  smCrypto.sm2.doSignature(at(digests, i), at(smKeysHex, i), { hash: true, der: false }),
);
measure("sm-crypto SM2 verify (pure JS, reference)", (i) =>
  smCrypto.sm2.doVerifySignature(at(digests, i), at(smSignaturesHex, i), at(smPublicKeysHex, i), {
    hash: true,
    der: false,
  }),
);

const input32 = Array.from({ length: SAMPLES }, (_, i) => new Uint8Array(32).fill(i));
const input1M = new Uint8Array(1 << 20).fill(7);
measure("SM3 32 B   (suite.hash)", (i) => sm.hash(at(input32, i)));
measure("SM3 1 MiB  (suite.hash)", () => sm3(input1M), "MiB/s");
measure("Keccak-256 1 MiB  (ecdsa suite.hash)", () => ecdsa.hash(input1M), "MiB/s");
