import { parseBlockNumber, selectedHeight } from "../blockTag.js";
import { RPCError, RPCErrorCode } from "../errors.js";
import { type Hex, quantity } from "../format.js";
import { defineMethod } from "../method.js";
import { jsonTypeName, optional, ParamError, parseArray, parseQuantity, required } from "../params.js";

/**
 * Fees. Gas is free on Charter (product decision 2): blocks carry `baseFeePerGas: 0` and every price answer is
 * zero, in the shapes that make ethers, viem, Hardhat and Ignition choose zero fees.
 */

export const eth_gasPrice = defineMethod({
  name: "eth_gasPrice",
  description: "Always 0x0: gas is free.",
  params: [],
  handler: (): Hex => "0x0",
});

export const eth_maxPriorityFeePerGas = defineMethod({
  name: "eth_maxPriorityFeePerGas",
  description: "Always 0x0: gas is free, so no tip is needed.",
  params: [],
  handler: (): Hex => "0x0",
});

export interface RPCFeeHistory {
  readonly oldestBlock: Hex;
  readonly baseFeePerGas: readonly Hex[];
  readonly gasUsedRatio: readonly number[];
  readonly reward?: readonly (readonly Hex[])[];
}

/** A block count as a hex quantity or a JSON integer (geth accepts both). */
function parseBlockCount(value: unknown): bigint {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw new ParamError(`invalid block count ${value}`);
    return BigInt(value);
  }
  return parseQuantity(value, 64);
}

function parsePercentiles(value: unknown): readonly number[] {
  const list = parseArray(value, Number.MAX_SAFE_INTEGER, "reward percentiles");
  return list.map((item, i) => {
    if (typeof item !== "number" || !Number.isFinite(item)) {
      throw new ParamError(`reward percentile #${i} is a ${jsonTypeName(item)}, want a number`);
    }
    if (item < 0 || item > 100) throw new ParamError(`invalid reward percentile: ${item}`);
    const previous = list[i - 1];
    if (typeof previous === "number" && item < previous) {
      throw new ParamError(`invalid reward percentile: #${i - 1}:${previous} > #${i}:${item}`);
    }
    return item;
  });
}

export const eth_feeHistory = defineMethod({
  name: "eth_feeHistory",
  description:
    "Base fees (all zero), gas used ratios and (zero) rewards per percentile for a range of blocks.",
  params: [
    required("blockCount", parseBlockCount),
    required("newestBlock", parseBlockNumber),
    optional("rewardPercentiles", parsePercentiles),
  ],
  handler: async ({ backend, limits }, [requested, newestSelector, percentiles]): Promise<RPCFeeHistory> => {
    if (percentiles !== undefined && percentiles.length > limits.feeHistoryPercentilesMax) {
      throw new RPCError(
        RPCErrorCode.limitExceeded,
        `too many reward percentiles: ${percentiles.length}, at most ${limits.feeHistoryPercentilesMax}`,
      );
    }
    const newest = selectedHeight(backend, newestSelector);
    if (newest > BigInt(backend.headHeight()))
      throw new RPCError(RPCErrorCode.invalidInput, "request beyond head block");
    // Like geth, clamp rather than refuse: clients ask for "the last N" and accept fewer near genesis.
    let count =
      requested > BigInt(limits.feeHistoryBlocksMax) ? BigInt(limits.feeHistoryBlocksMax) : requested;
    if (count > newest + 1n) count = newest + 1n;
    const oldest = Number(newest - count + 1n);
    const gasUsedRatio: number[] = [];
    for (let height = oldest; height < oldest + Number(count); height++) {
      const header = (await backend.blockByHeight(height))?.block.header;
      gasUsedRatio.push(
        header === undefined || header.gasLimit === 0n ? 0 : Number(header.gasUsed) / Number(header.gasLimit),
      );
    }
    const history: RPCFeeHistory = {
      oldestBlock: quantity(count === 0n ? 0 : oldest),
      // One more base fee than blocks: the base fee of the block after the newest.
      baseFeePerGas: count === 0n ? [] : Array.from({ length: Number(count) + 1 }, () => "0x0" as const),
      gasUsedRatio,
    };
    if (percentiles === undefined || percentiles.length === 0) return history;
    return { ...history, reward: gasUsedRatio.map(() => percentiles.map(() => "0x0" as const)) };
  },
});
