import type { RPCBackend } from "./backend.js";
import type { FilterManager } from "./filters.js";
import type { RPCLimits } from "./limits.js";
import type { Param } from "./params.js";
import type { SubscriptionSet } from "./subscriptions.js";

/**
 * A JSON-RPC method declared once: its name, its positional parameters (each with a strict parser) and a handler
 * that returns the JSON result. The server is built from a list of declarations, and the SDK can reuse the same
 * names, parameter parsers and result types.
 */
export interface MethodDeclaration<P extends readonly unknown[] = readonly unknown[], R = unknown> {
  readonly name: string;
  /** One sentence for the docs. */
  readonly description: string;
  readonly params: { readonly [K in keyof P]: Param<P[K]> };
  /** Returns the JSON result (already in wire shape). Expected failures throw `RPCError`. */
  handler(context: MethodContext, params: P): R | Promise<R>;
}

/** What a handler may use: the node behind the server, the server's limits and filters, and the caller's session. */
export interface MethodContext {
  readonly backend: RPCBackend;
  readonly limits: RPCLimits;
  readonly filters: FilterManager;
  readonly session: Session;
}

/** The connection a request came in on. Only WebSocket sessions can hold subscriptions. */
export interface Session {
  readonly transport: "http" | "ws";
  readonly subscriptions?: SubscriptionSet;
}

/** Declares a method; the parameter types of the handler are inferred from the parsers. */
export function defineMethod<const P extends readonly unknown[], R>(
  declaration: MethodDeclaration<P, R>,
): MethodDeclaration<P, R> {
  return declaration;
}
