/**
 * ERC-20 transfers per second through `Executor.executeBlock`: a 2,000-transaction block from 200 senders (ten
 * transfers each, to one another) on an in-memory base state. Prints the median of five runs per mode; the base is
 * never written, so every run executes the same block. Signatures are not involved: execution trusts the
 * recovered sender.
 *
 *   node --import tsx packages/execution/src/executeBlock.bench.ts
 *   node --cpu-prof --cpu-prof-dir=/tmp/execution-prof --import tsx packages/execution/src/executeBlock.bench.ts
 */
import { bytesToHex, hexToBytes } from "@charter/utils";
import { encodeDeployData, encodeFunctionData } from "viem";
import { type BlockEnv, type ExecutionMode, Executor } from "../src/executor.js";
import { type GenesisAccount, genesisStateDiff } from "../src/genesisState.js";
import { artifact } from "../src/testdata/contracts.js";
import { MapState } from "../src/testdata/mapState.js";
import { CHAIN_ID, testAccount, unsignedTestTx } from "../src/testdata/txs.js";

const SENDERS = 200;
const TRANSFERS_PER_SENDER = 10;
const RUNS = 5;

const token = artifact("Token.prague");
const executor = new Executor({ chainId: CHAIN_ID, blockHash: async () => undefined });
const senders = Array.from({ length: SENDERS }, (_, i) => testAccount(`bench sender ${i}`));
const deployer = testAccount("bench deployer");
const env = (height: number): BlockEnv => ({
  height,
  timestampMs: 1_700_000_000_000 + height * 1_000,
  proposer: testAccount("bench proposer").address,
  gasLimit: 200_000_000n,
});
const transfer = (to: string, amount: bigint) =>
  hexToBytes(encodeFunctionData({ abi: token.abi, functionName: "transfer", args: [to, amount] }));

const alloc = new Map<string, GenesisAccount>([[deployer.hex, { balance: 10n ** 24n }]]);
for (const sender of senders) alloc.set(sender.hex, { balance: 10n ** 20n });
const state = MapState.fromDiff(genesisStateDiff(alloc));

// Block 1 deploys the token, block 2 gives every sender some.
const deploy = unsignedTestTx(deployer.address, {
  nonce: 0n,
  gasLimit: 3_000_000n,
  data: hexToBytes(
    encodeDeployData({
      abi: token.abi,
      bytecode: bytesToHex(token.bytecode) as `0x${string}`,
      args: [10n ** 24n],
    }),
  ),
});
const deployed = await executor.executeBlock({
  base: state,
  env: env(1),
  transactions: [deploy],
  mode: "validate",
});
state.apply(deployed.diff);
const tokenAddress = deployed.receipts[0]!.contractAddress!;
const funding = senders.map((sender, i) =>
  unsignedTestTx(deployer.address, {
    nonce: BigInt(i + 1),
    to: tokenAddress,
    data: transfer(sender.hex, 10n ** 18n),
    gasLimit: 100_000n,
  }),
);
const funded = await executor.executeBlock({
  base: state,
  env: env(2),
  transactions: funding,
  mode: "validate",
});
state.apply(funded.diff);

// The measured block: round after round, each sender pays the next one.
const transactions = [];
for (let round = 0; round < TRANSFERS_PER_SENDER; round++) {
  for (const [i, sender] of senders.entries()) {
    transactions.push(
      unsignedTestTx(sender.address, {
        nonce: BigInt(round),
        to: tokenAddress,
        data: transfer(senders[(i + 1) % SENDERS]!.hex, 1_000n + BigInt(round)),
        gasLimit: 60_000n,
      }),
    );
  }
}

for (const mode of ["validate", "build"] as ExecutionMode[]) {
  const rates: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const start = performance.now();
    const execution = await executor.executeBlock({ base: state, env: env(3), transactions, mode });
    const elapsedMs = performance.now() - start;
    if (execution.receipts.length !== transactions.length || execution.receipts.some((r) => r.status !== 1)) {
      throw new Error(`the benchmark block did not execute cleanly in ${mode} mode`);
    }
    // Run 0 warms up the JIT and is not counted.
    if (run > 0) rates.push((transactions.length * 1000) / elapsedMs);
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  console.log(
    `executeBlock (${mode}): ${transactions.length} ERC-20 transfers from ${SENDERS} senders: ` +
      `${Math.round(median)} tx/s median (min ${Math.round(rates[0]!)}, max ${Math.round(rates.at(-1)!)})`,
  );
}
