import type { IndexedBlock, RPCBackend } from "./backend.js";
import { RPCError, RPCErrorCode } from "./errors.js";
import {
  jsonTypeName,
  ParamError,
  parseBool,
  parseField,
  parseHash,
  parseObject,
  parseUint64,
} from "./params.js";

/**
 * Block selection as clients send it: a tag, a number, or an EIP-1898 object. Charter's BFT finality makes every
 * committed block final, so `latest`, `safe` and `finalized` all name the head; `pending` also reads the head
 * (pool nonces are served separately by `eth_getTransactionCount`).
 */
export const blockTags = ["latest", "earliest", "pending", "safe", "finalized"] as const;
export type BlockTag = (typeof blockTags)[number];

export type BlockSelector =
  | { readonly kind: "tag"; readonly tag: BlockTag }
  | { readonly kind: "number"; readonly number: bigint }
  | { readonly kind: "hash"; readonly hash: Uint8Array; readonly requireCanonical: boolean };

/** Selectors that name a block by height (no hash). */
export type BlockNumberSelector = Exclude<BlockSelector, { kind: "hash" }>;

function isBlockTag(value: string): value is BlockTag {
  return (blockTags as readonly string[]).includes(value);
}

/** A block tag or hex block number. */
export function parseBlockNumber(value: unknown): BlockNumberSelector {
  if (typeof value !== "string") {
    throw new ParamError(`expected a block tag or hex block number, got ${jsonTypeName(value)}`);
  }
  if (isBlockTag(value)) return { kind: "tag", tag: value };
  if (!value.startsWith("0x")) {
    throw new ParamError(
      `invalid block number ${JSON.stringify(value.slice(0, 66))}: want latest, earliest, pending, safe, finalized or a hex number`,
    );
  }
  return { kind: "number", number: parseUint64(value) };
}

/** A block tag, hex block number, 32-byte block hash, or EIP-1898 object `{blockHash, requireCanonical}` / `{blockNumber}`. */
export function parseBlockNumberOrHash(value: unknown): BlockSelector {
  if (typeof value === "string") {
    // geth treats a 66-character string as a block hash, so `eth_getBalance(addr, "0x<hash>")` works there too.
    if (value.length === 66) return { kind: "hash", hash: parseHash(value), requireCanonical: false };
    return parseBlockNumber(value);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ParamError(`expected a block tag, number, hash or EIP-1898 object, got ${jsonTypeName(value)}`);
  }
  const object = parseObject(value);
  const blockHash = parseField(object, "blockHash", parseHash);
  const blockNumber = parseField(object, "blockNumber", parseBlockNumber);
  const requireCanonical = parseField(object, "requireCanonical", parseBool);
  if (blockHash !== undefined && blockNumber !== undefined) {
    throw new ParamError("blockNumber and blockHash are both set; give one of them");
  }
  if (blockHash !== undefined)
    return { kind: "hash", hash: blockHash, requireCanonical: requireCanonical ?? false };
  if (blockNumber !== undefined) return blockNumber;
  throw new ParamError("block object has neither blockNumber nor blockHash");
}

/** The height a tag or number names; may lie above the head (the caller decides between `null` and an error). */
export function selectedHeight(backend: RPCBackend, selector: BlockNumberSelector): bigint {
  if (selector.kind === "number") return selector.number;
  return selector.tag === "earliest" ? 0n : BigInt(backend.headHeight());
}

/**
 * The height whose state a read (`eth_getBalance`, `eth_call`, ...) runs against. A block that does not exist is an
 * error here, with geth's messages, because answering with today's state would be silently wrong.
 */
export async function resolveStateHeight(backend: RPCBackend, selector: BlockSelector): Promise<number> {
  if (selector.kind === "hash") {
    const block = await backend.blockByHash(selector.hash);
    if (block === undefined) throw new RPCError(RPCErrorCode.invalidInput, "header for hash not found");
    // Every committed block is final and canonical (no forks under BFT), so requireCanonical needs no check.
    return block.block.header.height;
  }
  const height = selectedHeight(backend, selector);
  if (height > BigInt(backend.headHeight()))
    throw new RPCError(RPCErrorCode.invalidInput, "header not found");
  return Number(height);
}

/** The block a lookup names, or `undefined` (answered as `null`) when there is none. */
export async function resolveBlock(
  backend: RPCBackend,
  selector: BlockSelector,
): Promise<IndexedBlock | undefined> {
  if (selector.kind === "hash") return backend.blockByHash(selector.hash);
  const height = selectedHeight(backend, selector);
  if (height > BigInt(backend.headHeight())) return undefined;
  return backend.blockByHeight(Number(height));
}
