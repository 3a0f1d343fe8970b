import type { Hex, RPCLog } from "../format.js";
import { getLogs, parseLogFilter } from "../logFilter.js";
import { defineMethod } from "../method.js";
import { parseId, required } from "../params.js";

/**
 * Log queries and polled filters. Filters are shared by all clients of a server, expire after
 * `filterTimeoutMs` without a poll, and answer -32000 "filter not found" once gone.
 */

export const eth_getLogs = defineMethod({
  name: "eth_getLogs",
  description: "Logs matching address and topic criteria in a block range or one block (by hash).",
  params: [required("filter", parseLogFilter)],
  handler: ({ backend, limits }, [filter]): Promise<RPCLog[]> => getLogs(backend, filter, limits),
});

export const eth_newFilter = defineMethod({
  name: "eth_newFilter",
  description:
    "Installs a log filter; eth_getFilterChanges then returns matching logs of blocks committed since.",
  params: [required("filter", parseLogFilter)],
  handler: ({ filters }, [filter]): string => filters.newLogFilter(filter),
});

export const eth_newBlockFilter = defineMethod({
  name: "eth_newBlockFilter",
  description: "Installs a filter whose changes are the hashes of blocks committed since the previous poll.",
  params: [],
  handler: ({ filters }): string => filters.newBlockFilter(),
});

export const eth_newPendingTransactionFilter = defineMethod({
  name: "eth_newPendingTransactionFilter",
  description:
    "Installs a filter whose changes are the hashes of transactions admitted to the pool since the previous poll.",
  params: [],
  handler: ({ filters }): string => filters.newPendingTxFilter(),
});

export const eth_getFilterChanges = defineMethod({
  name: "eth_getFilterChanges",
  description: "What a filter collected since its previous poll: logs, block hashes or transaction hashes.",
  params: [required("filterId", parseId)],
  handler: ({ filters }, [id]): Promise<RPCLog[] | Hex[]> => filters.changes(id),
});

export const eth_getFilterLogs = defineMethod({
  name: "eth_getFilterLogs",
  description: "All logs in a log filter's range, as eth_getLogs would return them.",
  params: [required("filterId", parseId)],
  handler: ({ filters }, [id]): Promise<RPCLog[]> => filters.logs(id),
});

export const eth_uninstallFilter = defineMethod({
  name: "eth_uninstallFilter",
  description: "Removes a filter; false if there was no such filter.",
  params: [required("filterId", parseId)],
  handler: ({ filters }, [id]): boolean => filters.uninstall(id),
});
