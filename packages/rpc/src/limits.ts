/**
 * Every bound the JSON-RPC server puts on what a client can make it hold or do. Each is answered with a JSON-RPC
 * error (mostly -32005 "limit exceeded") rather than by dropping the node, so one bad client cannot starve the
 * others. `docs/spec/rpc.md` lists them with their defaults.
 */
export interface RPCLimits {
  /** HTTP request body. Larger bodies get HTTP 413 and are not buffered past this size. */
  readonly bodyBytesMax: number;
  /** Requests in one JSON-RPC batch (HTTP or WebSocket). */
  readonly batchSizeMax: number;
  /** Serialized size of a batch response; later items get -32005 once it is reached (as geth does). */
  readonly batchResponseBytesMax: number;
  /** Largest WebSocket message accepted; a larger frame closes the connection with code 1009. */
  readonly wsPayloadBytesMax: number;
  /** Open WebSocket connections per server; further upgrades get HTTP 503. */
  readonly wsConnectionsMax: number;
  /** Live subscriptions per WebSocket connection. */
  readonly wsSubscriptionsMax: number;
  /** Requests (a batch counts once) being executed at the same time for one WebSocket connection. */
  readonly wsInflightRequestsMax: number;
  /** Bytes queued for sending on one WebSocket; a consumer that falls this far behind is disconnected. */
  readonly wsBufferedBytesMax: number;
  /** Interval between WebSocket pings; a peer that missed the previous pong is dropped. */
  readonly wsPingIntervalMs: number;
  /** Time allowed to receive a whole HTTP request, so slow senders cannot hold sockets forever. */
  readonly httpRequestTimeoutMs: number;
  /** Blocks one `eth_getLogs` / `eth_getFilterLogs` query may span, and blocks one filter poll scans. */
  readonly logsBlockRangeMax: number;
  /** Logs one `eth_getLogs` / `eth_getFilterLogs` query may return. */
  readonly logsResultsMax: number;
  /** Addresses in one log filter. */
  readonly logsAddressesMax: number;
  /** Alternatives (OR) in one topic position of a log filter. */
  readonly logsTopicAlternativesMax: number;
  /** Installed filters (log, block and pending) per server. */
  readonly filtersMax: number;
  /** A filter not polled for this long is removed (geth uses 5 minutes). */
  readonly filterTimeoutMs: number;
  /** Transaction hashes a pending-transaction filter keeps between polls; the oldest are dropped first. */
  readonly filterPendingTxsMax: number;
  /** Blocks one `eth_feeHistory` call may cover (geth clamps to 1024 too). */
  readonly feeHistoryBlocksMax: number;
  /** Reward percentiles one `eth_feeHistory` call may ask for. */
  readonly feeHistoryPercentilesMax: number;
  /** Storage keys in one `eth_getProof` call. */
  readonly proofStorageKeysMax: number;
}

export const defaultRPCLimits: RPCLimits = {
  bodyBytesMax: 5 * 1024 * 1024,
  batchSizeMax: 1000,
  batchResponseBytesMax: 25 * 1024 * 1024,
  wsPayloadBytesMax: 5 * 1024 * 1024,
  wsConnectionsMax: 1000,
  wsSubscriptionsMax: 1000,
  wsInflightRequestsMax: 100,
  wsBufferedBytesMax: 16 * 1024 * 1024,
  wsPingIntervalMs: 30_000,
  httpRequestTimeoutMs: 30_000,
  logsBlockRangeMax: 10_000,
  logsResultsMax: 10_000,
  logsAddressesMax: 1000,
  logsTopicAlternativesMax: 1000,
  filtersMax: 10_000,
  filterTimeoutMs: 5 * 60 * 1000,
  filterPendingTxsMax: 10_000,
  feeHistoryBlocksMax: 1024,
  feeHistoryPercentilesMax: 100,
  proofStorageKeysMax: 1024,
};

/** Fills in defaults for the limits a caller did not set, and rejects values that would disable a limit. */
export function resolveRPCLimits(overrides: Partial<RPCLimits> = {}): RPCLimits {
  const limits: { -readonly [K in keyof RPCLimits]: number } = { ...defaultRPCLimits };
  for (const key of Object.keys(defaultRPCLimits) as (keyof RPCLimits)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`RPC limit ${key} must be a positive integer, got ${value}`);
    }
    limits[key] = value;
  }
  return limits;
}
