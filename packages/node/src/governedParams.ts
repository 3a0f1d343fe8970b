import type { GovernanceView } from "@charter/governance";

/**
 * The node-local parameters the committee sets in `ChainParams` (docs/spec/governance.md section 4), as the node
 * applies them. None of them is a block validity rule: each node paces its own blocks and sizes its own pool.
 */
export interface GovernedParams {
  /** Target time between blocks: the consensus engine's pause after a commit, the solo producer's interval. */
  readonly blockIntervalMs: number;
  /** Cap on the pool's size; `undefined` when not set (0): the node's configuration alone. */
  readonly poolTxCountMax: number | undefined;
  /** Cap on one sender's transactions in the pool; `undefined` when not set (0). */
  readonly poolPerSenderMax: number | undefined;
}

/**
 * Reads the parameters from `ChainParams` in the state `governance` reads (the node's head). A block interval of
 * 0 (a chain without system contracts) falls back to `fallbackBlockIntervalMs`, the genesis value.
 *
 * @example
 * const params = readGovernedParams(governance, { fallbackBlockIntervalMs: genesis.blockIntervalMs });
 * const txCountMax = applyPoolCap(config.mempool.txCountMax, params.poolTxCountMax);
 */
export function readGovernedParams(
  governance: GovernanceView,
  options: { readonly fallbackBlockIntervalMs: number },
): GovernedParams {
  const blockIntervalMs = safeNumber(governance.chainParam("blockIntervalMs"));
  return {
    blockIntervalMs: blockIntervalMs === 0 ? options.fallbackBlockIntervalMs : blockIntervalMs,
    poolTxCountMax: capOrUndefined(governance.chainParam("poolTxCountMax")),
    poolPerSenderMax: capOrUndefined(governance.chainParam("poolPerSenderMax")),
  };
}

/** A pool limit as the node applies it: the smaller of its configuration and the governed cap, if one is set. */
export function applyPoolCap(configured: number, cap: number | undefined): number {
  return cap === undefined ? configured : Math.min(configured, cap);
}

function capOrUndefined(value: bigint): number | undefined {
  return value === 0n ? undefined : safeNumber(value);
}

/** The contracts bound every parameter far below 2^53 (except the gas limit, which is not read here). */
function safeNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}
