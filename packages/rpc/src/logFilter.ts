import type { Log, Receipt } from "@charter/types";
import { type BloomBits, bloomBits, bloomHasBits as bloomMayContain } from "@charter/types";
import { bytesToHex } from "@charter/utils";
import type { IndexedBlock, RPCBackend } from "./backend.js";
import { type BlockNumberSelector, parseBlockNumber, selectedHeight } from "./blockTag.js";
import { RPCError, RPCErrorCode } from "./errors.js";
import { firstLogIndex, formatLog, type RPCLog } from "./format.js";
import type { RPCLimits } from "./limits.js";
import { jsonTypeName, ParamError, parseAddress, parseField, parseHash, parseObject } from "./params.js";

/** Which logs a query or subscription wants: Ethereum's address and topic criteria. */
export interface LogCriteria {
  /** Any of these emitters; empty means any address. */
  readonly addresses: readonly Uint8Array[];
  /** Per topic position, any of these values; `null` means any value (including none at a later position). */
  readonly topics: readonly (readonly Uint8Array[] | null)[];
}

/** The object of `eth_getLogs` / `eth_newFilter`. */
export interface LogFilterParams extends LogCriteria {
  readonly fromBlock?: BlockNumberSelector;
  readonly toBlock?: BlockNumberSelector;
  readonly blockHash?: Uint8Array;
}

/** A log can have at most four topics (LOG0..LOG4), so more positions can never match. */
const topicPositionsMax = 4;

function parseAddresses(value: unknown): readonly Uint8Array[] {
  if (Array.isArray(value)) return value.map(parseAddress);
  return [parseAddress(value)];
}

function parseTopics(value: unknown): readonly (readonly Uint8Array[] | null)[] {
  if (!Array.isArray(value)) throw new ParamError(`expected an array of topics, got ${jsonTypeName(value)}`);
  if (value.length > topicPositionsMax) {
    throw new ParamError(`too many topic positions: ${value.length}, at most ${topicPositionsMax}`);
  }
  return value.map((position: unknown) => {
    if (position === null) return null;
    if (!Array.isArray(position)) return [parseHash(position)];
    // As in geth, an empty alternative list or a null among the alternatives matches any value.
    if (position.length === 0 || position.includes(null)) return null;
    return position.map(parseHash);
  });
}

/** Parses the `{address, topics}` part shared by log filters and `logs` subscriptions. */
export function parseLogCriteria(object: Readonly<Record<string, unknown>>): LogCriteria {
  return {
    addresses: parseField(object, "address", parseAddresses) ?? [],
    topics: parseField(object, "topics", parseTopics) ?? [],
  };
}

export function parseLogFilter(value: unknown): LogFilterParams {
  const object = parseObject(value);
  const criteria = parseLogCriteria(object);
  const fromBlock = parseField(object, "fromBlock", parseBlockNumber);
  const toBlock = parseField(object, "toBlock", parseBlockNumber);
  const blockHash = parseField(object, "blockHash", parseHash);
  if (blockHash !== undefined && (fromBlock !== undefined || toBlock !== undefined)) {
    throw new ParamError("cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other");
  }
  return {
    ...criteria,
    ...(fromBlock === undefined ? {} : { fromBlock }),
    ...(toBlock === undefined ? {} : { toBlock }),
    ...(blockHash === undefined ? {} : { blockHash }),
  };
}

/** Rejects criteria larger than the configured limits (checked after parsing, since limits are per server). */
export function checkLogCriteriaLimits(criteria: LogCriteria, limits: RPCLimits): void {
  if (criteria.addresses.length > limits.logsAddressesMax) {
    throw new RPCError(
      RPCErrorCode.limitExceeded,
      `filter has ${criteria.addresses.length} addresses, at most ${limits.logsAddressesMax} allowed`,
    );
  }
  for (const alternatives of criteria.topics) {
    if (alternatives !== null && alternatives.length > limits.logsTopicAlternativesMax) {
      throw new RPCError(
        RPCErrorCode.limitExceeded,
        `filter has ${alternatives.length} alternatives for one topic, at most ${limits.logsTopicAlternativesMax} allowed`,
      );
    }
  }
}

/**
 * Tests logs against criteria. Hex strings serve as set keys; the bloom bits of every wanted value are computed
 * once so that most blocks are skipped on their header bloom alone.
 */
export class LogMatcher {
  readonly #addresses: ReadonlySet<string> | null;
  readonly #topics: readonly (ReadonlySet<string> | null)[];
  readonly #addressBits: readonly BloomBits[] | null;
  readonly #topicBits: readonly (readonly BloomBits[] | null)[];

  constructor(criteria: LogCriteria) {
    const any = criteria.addresses.length === 0;
    this.#addresses = any ? null : new Set(criteria.addresses.map(bytesToHex));
    this.#addressBits = any ? null : criteria.addresses.map(bloomBits);
    this.#topics = criteria.topics.map((alts) => (alts === null ? null : new Set(alts.map(bytesToHex))));
    this.#topicBits = criteria.topics.map((alts) => (alts === null ? null : alts.map(bloomBits)));
  }

  /** `false` when a block with this header bloom certainly holds no matching log. */
  mayMatchBloom(bloom: Uint8Array): boolean {
    if (this.#addressBits !== null && !this.#addressBits.some((bits) => bloomMayContain(bloom, bits)))
      return false;
    for (const alternatives of this.#topicBits) {
      if (alternatives !== null && !alternatives.some((bits) => bloomMayContain(bloom, bits))) return false;
    }
    return true;
  }

  matches(log: Log): boolean {
    if (this.#addresses !== null && !this.#addresses.has(bytesToHex(log.address))) return false;
    for (let i = 0; i < this.#topics.length; i++) {
      const wanted = this.#topics[i];
      if (wanted === null || wanted === undefined) continue;
      const topic = log.topics[i];
      if (topic === undefined || !wanted.has(bytesToHex(topic))) return false;
    }
    return true;
  }
}

/** The matching logs of one committed block, with block-wide log indices. */
export function matchBlockLogs(
  indexed: IndexedBlock,
  receipts: readonly Receipt[],
  matcher: LogMatcher,
): RPCLog[] {
  const out: RPCLog[] = [];
  const blockNumber = indexed.block.header.height;
  receipts.forEach((receipt, txIndex) => {
    const tx = indexed.block.transactions[txIndex];
    if (tx === undefined) return;
    const start = firstLogIndex(receipts, txIndex);
    receipt.logs.forEach((log, i) => {
      if (!matcher.matches(log)) return;
      out.push(
        formatLog(log, {
          blockHash: indexed.hash,
          blockNumber,
          transactionHash: tx.hash,
          transactionIndex: txIndex,
          logIndex: start + i,
        }),
      );
    });
  });
  return out;
}

async function blockLogs(backend: RPCBackend, indexed: IndexedBlock, matcher: LogMatcher): Promise<RPCLog[]> {
  if (!matcher.mayMatchBloom(indexed.block.header.logsBloom)) return [];
  const receipts = await backend.receiptsByHeight(indexed.block.header.height);
  return receipts === undefined ? [] : matchBlockLogs(indexed, receipts, matcher);
}

function resultsExceeded(limits: RPCLimits): RPCError {
  return new RPCError(
    RPCErrorCode.limitExceeded,
    `query returned more than ${limits.logsResultsMax} results`,
  );
}

/** Logs of the blocks `from..to` (inclusive, both at most the head); too many results is an error. */
export async function scanLogs(
  backend: RPCBackend,
  matcher: LogMatcher,
  from: number,
  to: number,
  limits: RPCLimits,
): Promise<RPCLog[]> {
  const out: RPCLog[] = [];
  for (let height = from; height <= to; height++) {
    const indexed = await backend.blockByHeight(height);
    if (indexed === undefined) continue;
    for (const log of await blockLogs(backend, indexed, matcher)) {
      if (out.length >= limits.logsResultsMax) throw resultsExceeded(limits);
      out.push(log);
    }
  }
  return out;
}

/**
 * Logs from `from` up to at most `to`, stopping at a block boundary once `logsResultsMax` is reached, for filter
 * polls that continue where they stopped. Returns the logs and the next height to scan.
 */
export async function scanLogsResumable(
  backend: RPCBackend,
  matcher: LogMatcher,
  from: number,
  to: number,
  limits: RPCLimits,
): Promise<{ logs: RPCLog[]; next: number }> {
  const logs: RPCLog[] = [];
  let height = from;
  for (; height <= to && logs.length < limits.logsResultsMax; height++) {
    const indexed = await backend.blockByHeight(height);
    if (indexed !== undefined) logs.push(...(await blockLogs(backend, indexed, matcher)));
  }
  return { logs, next: height };
}

/** The inclusive block range of a log query, clamped to the head; `undefined` when it lies wholly beyond the head. */
export function logQueryRange(
  backend: RPCBackend,
  params: Pick<LogFilterParams, "fromBlock" | "toBlock">,
  limits: RPCLimits,
): { from: number; to: number } | undefined {
  const head = BigInt(backend.headHeight());
  const latest: BlockNumberSelector = { kind: "tag", tag: "latest" };
  const from = selectedHeight(backend, params.fromBlock ?? latest);
  const requestedTo = selectedHeight(backend, params.toBlock ?? latest);
  // A range starting past the head has no logs yet; clients poll such ranges while they wait for blocks.
  if (from > head) return undefined;
  if (from > requestedTo) {
    throw new RPCError(
      RPCErrorCode.invalidParams,
      `invalid block range: fromBlock ${from} is after toBlock ${requestedTo}`,
    );
  }
  const to = requestedTo > head ? head : requestedTo;
  if (to - from + 1n > BigInt(limits.logsBlockRangeMax)) {
    throw new RPCError(
      RPCErrorCode.limitExceeded,
      `query exceeds max block range ${limits.logsBlockRangeMax}`,
    );
  }
  return { from: Number(from), to: Number(to) };
}

/** `eth_getLogs`: by block hash or by range. */
export async function getLogs(
  backend: RPCBackend,
  params: LogFilterParams,
  limits: RPCLimits,
): Promise<RPCLog[]> {
  checkLogCriteriaLimits(params, limits);
  const matcher = new LogMatcher(params);
  if (params.blockHash !== undefined) {
    const indexed = await backend.blockByHash(params.blockHash);
    if (indexed === undefined) throw new RPCError(RPCErrorCode.invalidInput, "unknown block");
    const logs = await blockLogs(backend, indexed, matcher);
    if (logs.length > limits.logsResultsMax) throw resultsExceeded(limits);
    return logs;
  }
  const range = logQueryRange(backend, params, limits);
  if (range === undefined) return [];
  return scanLogs(backend, matcher, range.from, range.to, limits);
}
