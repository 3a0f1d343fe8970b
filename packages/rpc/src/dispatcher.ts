import { methodNotFoundError, RPCError, RPCErrorCode } from "./errors.js";
import type { RPCLimits } from "./limits.js";
import type { RPCLogger } from "./logger.js";
import type { MethodContext, MethodDeclaration, Session } from "./method.js";
import { jsonTypeName, parseArgument } from "./params.js";

/**
 * JSON-RPC 2.0 over a text message, independent of the transport: parses the envelope, runs single requests and
 * batches, and always answers with well-formed responses. Nothing a client sends can make it throw: bad JSON is
 * -32700, a bad envelope -32600, unknown methods -32601, bad parameters -32602, and a failure the handler did not
 * expect is logged and answered -32603 without its details.
 */

export type JSONRPCId = string | number | null;

export interface JSONRPCErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

export type JSONRPCResponse =
  | { readonly jsonrpc: "2.0"; readonly id: JSONRPCId; readonly result: unknown }
  | { readonly jsonrpc: "2.0"; readonly id: JSONRPCId; readonly error: JSONRPCErrorObject };

export interface DispatcherOptions {
  readonly methods: ReadonlyMap<string, MethodDeclaration>;
  readonly limits: RPCLimits;
  readonly logger: RPCLogger;
  /** The handler context minus the session, which comes with each message. */
  readonly context: Omit<MethodContext, "session">;
}

export interface Dispatcher {
  /**
   * Answers one HTTP body or WebSocket message: the serialized response, or `undefined` when there is nothing to
   * send (the message held only notifications).
   */
  handleText(text: string, session: Session): Promise<string | undefined>;
  /**
   * Answers every request in a message with the same error without running any of them (used when a connection
   * is over a limit), so clients that match responses by id are not left waiting.
   */
  rejectText(text: string, code: number, message: string): string | undefined;
}

export function errorResponse(id: JSONRPCId, code: number, message: string, data?: unknown): JSONRPCResponse {
  const error: JSONRPCErrorObject = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: "2.0", id, error };
}

export function serializeErrorResponse(id: JSONRPCId, code: number, message: string): string {
  return JSON.stringify(errorResponse(id, code, message));
}

function isId(value: unknown): value is JSONRPCId {
  return value === null || typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { methods, limits, logger, context } = options;

  async function execute(
    method: MethodDeclaration,
    params: readonly unknown[],
    session: Session,
  ): Promise<unknown> {
    const declared = method.params;
    if (params.length > declared.length) {
      throw new RPCError(RPCErrorCode.invalidParams, `too many arguments, want at most ${declared.length}`);
    }
    const parsed: unknown[] = [];
    for (let i = 0; i < declared.length; i++) {
      const param = declared[i]!;
      const value = params[i];
      if (value === undefined || value === null) {
        if (!param.optional) {
          throw new RPCError(
            RPCErrorCode.invalidParams,
            `missing value for required argument ${i} (${param.name})`,
          );
        }
        parsed.push(undefined);
        continue;
      }
      parsed.push(parseArgument(i, value, param.parse));
    }
    const result = await method.handler({ ...context, session }, parsed);
    return result === undefined ? null : result;
  }

  /** One request object; `undefined` for a notification (which is run, but never answered). */
  async function handleRequest(request: unknown, session: Session): Promise<JSONRPCResponse | undefined> {
    if (typeof request !== "object" || request === null || Array.isArray(request)) {
      return errorResponse(
        null,
        RPCErrorCode.invalidRequest,
        `invalid request: expected an object, got ${jsonTypeName(request)}`,
      );
    }
    const envelope = request as Readonly<Record<string, unknown>>;
    const isNotification = !("id" in envelope);
    const rawId = envelope.id;
    if (!isNotification && !isId(rawId)) {
      return errorResponse(
        null,
        RPCErrorCode.invalidRequest,
        "invalid request: id must be a string, a number or null",
      );
    }
    const id: JSONRPCId = isNotification ? null : (rawId as JSONRPCId);
    if (envelope.jsonrpc !== "2.0") {
      return errorResponse(id, RPCErrorCode.invalidRequest, 'invalid request: "jsonrpc" must be "2.0"');
    }
    if (typeof envelope.method !== "string") {
      return errorResponse(id, RPCErrorCode.invalidRequest, 'invalid request: "method" must be a string');
    }
    const params = envelope.params ?? [];
    if (!Array.isArray(params)) {
      return errorResponse(
        id,
        RPCErrorCode.invalidParams,
        "non-array args: params must be a positional array",
      );
    }
    let response: JSONRPCResponse;
    try {
      const method = methods.get(envelope.method);
      if (method === undefined) throw methodNotFoundError(envelope.method);
      response = { jsonrpc: "2.0", id, result: await execute(method, params, session) };
    } catch (error) {
      response = toErrorResponse(id, envelope.method, error);
    }
    return isNotification ? undefined : response;
  }

  function toErrorResponse(id: JSONRPCId, method: string, error: unknown): JSONRPCResponse {
    if (error instanceof RPCError) return errorResponse(id, error.code, error.message, error.data);
    logger.error({ err: error, method: method.slice(0, 64) }, "RPC handler failed unexpectedly");
    return errorResponse(id, RPCErrorCode.internalError, "internal error");
  }

  /** Serializes a response; a result that cannot be serialized (a bug) becomes -32603 rather than a crash. */
  function serialize(response: JSONRPCResponse): string {
    try {
      return JSON.stringify(response);
    } catch (error) {
      logger.error({ err: error }, "RPC result could not be serialized");
      return serializeErrorResponse(response.id, RPCErrorCode.internalError, "internal error");
    }
  }

  async function handleBatch(batch: readonly unknown[], session: Session): Promise<string | undefined> {
    if (batch.length === 0) {
      return serializeErrorResponse(null, RPCErrorCode.invalidRequest, "invalid request: empty batch");
    }
    if (batch.length > limits.batchSizeMax) {
      return serializeErrorResponse(
        null,
        RPCErrorCode.limitExceeded,
        `batch of ${batch.length} requests exceeds the limit of ${limits.batchSizeMax}; split it into smaller batches`,
      );
    }
    const parts: string[] = [];
    let bytes = 0;
    // In order, one at a time: a batch of raw transactions with consecutive nonces must reach the pool in order.
    for (const request of batch) {
      if (bytes > limits.batchResponseBytesMax) {
        const id = responseIdOf(request);
        if (id !== undefined) {
          parts.push(serializeErrorResponse(id, RPCErrorCode.limitExceeded, "response too large"));
        }
        continue;
      }
      const response = await handleRequest(request, session);
      if (response === undefined) continue;
      const text = serialize(response);
      // UTF-16 length stands in for bytes: responses are ASCII except for rare non-ASCII revert reasons.
      bytes += text.length;
      parts.push(text);
    }
    return parts.length === 0 ? undefined : `[${parts.join(",")}]`;
  }

  return {
    async handleText(text, session) {
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch (error) {
        const detail = error instanceof Error ? error.message.slice(0, 200) : "invalid JSON";
        return serializeErrorResponse(null, RPCErrorCode.parseError, `parse error: ${detail}`);
      }
      if (Array.isArray(message)) return handleBatch(message, session);
      const response = await handleRequest(message, session);
      return response === undefined ? undefined : serialize(response);
    },
    rejectText(text, code, errorMessage) {
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        return serializeErrorResponse(null, code, errorMessage);
      }
      const requests = Array.isArray(message) ? message.slice(0, limits.batchSizeMax) : [message];
      const parts: string[] = [];
      for (const request of requests) {
        const id = responseIdOf(request);
        if (id !== undefined) parts.push(serializeErrorResponse(id, code, errorMessage));
      }
      if (parts.length === 0) return undefined;
      return Array.isArray(message) ? `[${parts.join(",")}]` : parts[0];
    },
  };
}

/** The id a request would be answered with, or `undefined` for a notification. */
function responseIdOf(request: unknown): JSONRPCId | undefined {
  if (typeof request !== "object" || request === null || Array.isArray(request)) return null;
  if (!("id" in request)) return undefined;
  const id = (request as { id: unknown }).id;
  return isId(id) ? id : null;
}
