import type { MethodDeclaration } from "../method.js";
import * as blocks from "./blocks.js";
import * as execution from "./execution.js";
import * as fees from "./fees.js";
import * as logs from "./logs.js";
import * as node from "./node.js";
import * as state from "./state.js";
import * as subscriptions from "./subscriptions.js";
import * as transactions from "./transactions.js";

export type { RPCFeeHistory } from "./fees.js";
export type { RPCSyncStatus } from "./node.js";
export type { RPCAccountProof } from "./state.js";

/**
 * Every Ethereum JSON-RPC method Charter serves, declared once each, keyed by method name. The method modules
 * export nothing but declarations named after their method, which the registry test checks.
 */
export const ethereumMethods = {
  ...node,
  ...blocks,
  ...state,
  ...execution,
  ...transactions,
  ...fees,
  ...logs,
  ...subscriptions,
} as const;

/** Method name → declaration; throws on a duplicate name, so that no method is declared twice. */
export function createMethodRegistry(
  declarations: Iterable<MethodDeclaration>,
): ReadonlyMap<string, MethodDeclaration> {
  const registry = new Map<string, MethodDeclaration>();
  for (const declaration of declarations) {
    if (registry.has(declaration.name)) throw new Error(`RPC method ${declaration.name} is declared twice`);
    registry.set(declaration.name, declaration);
  }
  return registry;
}
