import { describe, expect, it } from "vitest";
import { createMethodRegistry, ethereumMethods } from "./index.js";

describe("method registry", () => {
  it("declares each method once, under its own name", () => {
    for (const [exportName, declaration] of Object.entries(ethereumMethods)) {
      expect(declaration.name).toBe(exportName);
      expect(typeof declaration.handler).toBe("function");
      expect(declaration.description.length).toBeGreaterThan(10);
    }
    expect(createMethodRegistry(Object.values(ethereumMethods)).size).toBe(
      Object.keys(ethereumMethods).length,
    );
  });

  it("refuses duplicate declarations", () => {
    const { eth_chainId } = ethereumMethods;
    expect(() => createMethodRegistry([eth_chainId, eth_chainId])).toThrow(/declared twice/);
  });

  it("serves every MUST and SHOULD method of the ecosystem checklist", () => {
    const names = new Set(Object.keys(ethereumMethods));
    for (const name of [
      "eth_chainId",
      "net_version",
      "web3_clientVersion",
      "eth_blockNumber",
      "eth_getBlockByNumber",
      "eth_getBlockByHash",
      "eth_gasPrice",
      "eth_maxPriorityFeePerGas",
      "eth_feeHistory",
      "eth_getTransactionCount",
      "eth_estimateGas",
      "eth_sendRawTransaction",
      "eth_sendTransaction",
      "eth_accounts",
      "eth_call",
      "eth_getCode",
      "eth_getBalance",
      "eth_getStorageAt",
      "eth_getTransactionByHash",
      "eth_getTransactionReceipt",
      "eth_getLogs",
      "eth_newFilter",
      "eth_getFilterChanges",
      "eth_getFilterLogs",
      "eth_uninstallFilter",
      "eth_newBlockFilter",
      "eth_newPendingTransactionFilter",
      "eth_subscribe",
      "eth_unsubscribe",
      "eth_syncing",
      "eth_mining",
      "net_listening",
      "net_peerCount",
      "eth_getTransactionByBlockHashAndIndex",
      "eth_getTransactionByBlockNumberAndIndex",
      "eth_getUncleByBlockHashAndIndex",
      "eth_getUncleByBlockNumberAndIndex",
      "eth_getBlockTransactionCountByHash",
      "eth_getBlockTransactionCountByNumber",
      "eth_getUncleCountByBlockHash",
      "eth_getUncleCountByBlockNumber",
      "web3_sha3",
      "eth_getProof",
    ]) {
      expect(names.has(name), name).toBe(true);
    }
  });
});
