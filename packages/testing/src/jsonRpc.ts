/**
 * A minimal JSON-RPC client over `fetch` for end-to-end tests that need exact control over what goes on the wire
 * (raw bodies, batches, error objects), where ethers or viem would hide the node's answer behind their own errors.
 */

export interface JSONRPCErrorBody {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

export interface JSONRPCResponseBody {
  readonly jsonrpc: "2.0";
  readonly id: string | number | null;
  readonly result?: unknown;
  readonly error?: JSONRPCErrorBody;
}

/** How long one request may take before the test gives up on it. */
const REQUEST_TIMEOUT_MS = 15_000;

/** An error answered by the node, with its JSON-RPC code and data. */
export class JSONRPCCallError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(method: string, error: JSONRPCErrorBody) {
    super(`${method} failed (${error.code}): ${error.message}`);
    this.name = "JSONRPCCallError";
    this.code = error.code;
    this.data = error.data;
  }
}

/** POSTs `body` as is and returns the HTTP status and the parsed JSON (or `undefined` for an empty body). */
export async function postJSON(
  url: string,
  body: string | Uint8Array,
  options: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: unknown; text: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text.length === 0 ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

let nextId = 1;

/** Sends one request and returns the whole response object (result or error). */
export async function rpcRequest(
  url: string,
  method: string,
  params: readonly unknown[] = [],
): Promise<JSONRPCResponseBody> {
  const { json, text, status } = await postJSON(
    url,
    JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
  );
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`${method}: HTTP ${status}, not a JSON-RPC response: ${text.slice(0, 200)}`);
  }
  return json as JSONRPCResponseBody;
}

/** Sends one request and returns its result; a JSON-RPC error is thrown as a `JSONRPCCallError`. */
export async function rpcCall<T = unknown>(
  url: string,
  method: string,
  params: readonly unknown[] = [],
): Promise<T> {
  const response = await rpcRequest(url, method, params);
  if (response.error) throw new JSONRPCCallError(method, response.error);
  return response.result as T;
}

/**
 * Sends several requests in one JSON-RPC batch and returns the responses in request order (matched by id, since a
 * server may answer a batch in any order).
 */
export async function rpcBatch(
  url: string,
  requests: readonly { method: string; params?: readonly unknown[] }[],
): Promise<JSONRPCResponseBody[]> {
  if (requests.length === 0) return [];
  const first = nextId;
  nextId += requests.length;
  const body = requests.map((r, i) => ({
    jsonrpc: "2.0",
    id: first + i,
    method: r.method,
    params: r.params ?? [],
  }));
  const { json, text, status } = await postJSON(url, JSON.stringify(body));
  if (!Array.isArray(json))
    throw new Error(`batch: HTTP ${status}, not a batch response: ${text.slice(0, 200)}`);
  const byId = new Map((json as JSONRPCResponseBody[]).map((r) => [r.id, r]));
  return body.map((r) => {
    const response = byId.get(r.id);
    if (!response) throw new Error(`batch: no response for id ${r.id} (${r.method})`);
    return response;
  });
}

/**
 * Polls `check` until it returns a value other than `undefined`, at most `timeoutMs`. Throws with `what` in the
 * message when time runs out, so a hung wait names what it was waiting for.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
