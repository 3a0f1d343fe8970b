/** eth_call cost through the executor: a read of an ERC-20 balance, many times. Run: npx tsx packages/execution/bench/call.bench.ts */
import { encodeFunctionData } from "viem";
import { Executor } from "../src/executor.js";
import { genesisStateDiff } from "../src/genesisState.js";
import { MapState } from "../src/testdata/mapState.js";

const executor = new Executor({ chainId: 7345n, blockHash: async () => undefined });
const state = new MapState();
state.apply(genesisStateDiff(new Map()));
const multicall = new Uint8Array(Buffer.from("ca11bde05977b3631167028862be2a173976ca11", "hex"));
const data = encodeFunctionData({
  abi: [
    {
      type: "function",
      name: "getBlockNumber",
      inputs: [],
      outputs: [{ type: "uint256" }],
      stateMutability: "view",
    },
  ],
  functionName: "getBlockNumber",
});
const env = { height: 1, timestampMs: 0, proposer: new Uint8Array(20), gasLimit: 30_000_000n };
const request = { to: multicall, data: new Uint8Array(Buffer.from(data.slice(2), "hex")) };
for (let i = 0; i < 200; i++) await executor.call({ base: state, env, request });
const n = 2000;
const t = performance.now();
for (let i = 0; i < n; i++) await executor.call({ base: state, env, request });
const ms = performance.now() - t;
console.log(
  `eth_call through Executor: ${((n / ms) * 1000).toFixed(0)} calls/s (${((ms / n) * 1000).toFixed(0)} µs each)`,
);
