import { truncate } from "@charter/utils";
import { RPCError, RPCErrorCode } from "./errors.js";

/**
 * Strict parsers for JSON-RPC parameters. They accept exactly what geth accepts and fail with geth's wording
 * ("hex string has odd length", "hex number with leading zero digits"), because clients and their users compare
 * nodes by these messages. The dispatcher prefixes "invalid argument <i>: " and answers -32602.
 */

/** A parameter that does not have the required form. The message says what is wrong, without the argument index. */
export class ParamError extends Error {
  override name = "ParamError";
}

/** One positional parameter of a method: its name (for docs and messages) and how to parse it. */
export interface Param<T> {
  readonly name: string;
  /** Optional parameters may be omitted or `null`; the handler then receives `undefined`. */
  readonly optional: boolean;
  readonly parse: (value: unknown) => T;
}

export function required<T>(name: string, parse: (value: unknown) => T): Param<T> {
  return { name, optional: false, parse };
}

export function optional<T>(name: string, parse: (value: unknown) => T): Param<T | undefined> {
  return { name, optional: true, parse };
}

/** Describes a JSON value's type the way error messages name it. */
export function jsonTypeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

const HEX_DIGITS = /^[0-9a-fA-F]*$/;

function hexBody(value: unknown, what: string): string {
  if (typeof value !== "string") throw new ParamError(`expected ${what}, got ${jsonTypeName(value)}`);
  if (!value.startsWith("0x") && !value.startsWith("0X")) {
    throw new ParamError(`hex string without 0x prefix: ${JSON.stringify(truncate(value))}`);
  }
  const body = value.slice(2);
  if (!HEX_DIGITS.test(body)) throw new ParamError(`invalid hex string: ${JSON.stringify(truncate(value))}`);
  return body;
}

function decodeHexBody(body: string): Uint8Array {
  const out = new Uint8Array(body.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(body.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** `0x`-prefixed byte data of even length (`DATA` in the Ethereum JSON-RPC spec). */
export function parseData(value: unknown): Uint8Array {
  const body = hexBody(value, "a hex string");
  if (body.length % 2 !== 0) throw new ParamError("hex string has odd length");
  return decodeHexBody(body);
}

function parseFixed(value: unknown, bytes: number, what: string): Uint8Array {
  const body = hexBody(value, `a hex string for ${what}`);
  if (body.length !== bytes * 2) {
    throw new ParamError(`hex string has length ${body.length}, want ${bytes * 2} for ${what}`);
  }
  return decodeHexBody(body);
}

/** A 20-byte address. Mixed-case checksums are not verified (geth does not either). */
export function parseAddress(value: unknown): Uint8Array {
  return parseFixed(value, 20, "an address");
}

/** A 32-byte hash. */
export function parseHash(value: unknown): Uint8Array {
  return parseFixed(value, 32, "a hash");
}

/**
 * A storage slot or key: up to 32 bytes of hex, odd length allowed, left-padded to 32 bytes. Clients send slots as
 * quantities (`"0x0"`) as often as full words, and geth accepts both.
 */
export function parseStorageKey(value: unknown): Uint8Array {
  let body = hexBody(value, "a hex string for a storage key");
  if (body.length > 64) throw new ParamError("hex string too long, want at most 32 bytes");
  if (body.length % 2 !== 0) body = `0${body}`;
  const out = new Uint8Array(32);
  out.set(decodeHexBody(body), 32 - body.length / 2);
  return out;
}

/** An unsigned integer as a hex quantity: `0x0`, or `0x` and digits with no leading zero. */
export function parseQuantity(value: unknown, bits = 256): bigint {
  const body = hexBody(value, "a hex quantity");
  if (body.length === 0) throw new ParamError('hex string "0x"');
  if (body.length > 1 && body[0] === "0") throw new ParamError("hex number with leading zero digits");
  // Without leading zeros, more than bits/4 digits always means a value of at least 2^bits.
  if (body.length > bits / 4) throw new ParamError(`hex number > ${bits} bits`);
  return BigInt(`0x${body}`);
}

export function parseUint64(value: unknown): bigint {
  return parseQuantity(value, 64);
}

export function parseBool(value: unknown): boolean {
  if (typeof value !== "boolean") throw new ParamError(`expected a boolean, got ${jsonTypeName(value)}`);
  return value;
}

/** A JSON object (not an array, not null). */
export function parseObject(value: unknown): Readonly<Record<string, unknown>> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ParamError(`expected an object, got ${jsonTypeName(value)}`);
  }
  return value as Readonly<Record<string, unknown>>;
}

/** A JSON array of at most `max` items. */
export function parseArray(value: unknown, max: number, what: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new ParamError(`expected an array of ${what}, got ${jsonTypeName(value)}`);
  if (value.length > max) throw new ParamError(`too many ${what}: ${value.length}, at most ${max} allowed`);
  return value;
}

/**
 * Parses one field of an object parameter and names the field in any error, so that the final message reads
 * `invalid argument 0: field "to": hex string has odd length`.
 */
export function parseField<T>(
  object: Readonly<Record<string, unknown>>,
  field: string,
  parse: (value: unknown) => T,
): T | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  try {
    return parse(value);
  } catch (error) {
    if (error instanceof ParamError) throw new ParamError(`field "${field}": ${error.message}`);
    throw error;
  }
}

/** The -32602 answer for a bad positional argument, worded as geth words it. */
export function invalidArgument(index: number, message: string): RPCError {
  return new RPCError(RPCErrorCode.invalidParams, `invalid argument ${index}: ${message}`);
}

/** Parses argument `index` with `parse`, turning a `ParamError` into the -32602 answer. */
export function parseArgument<T>(index: number, value: unknown, parse: (value: unknown) => T): T {
  try {
    return parse(value);
  } catch (error) {
    if (error instanceof ParamError) throw invalidArgument(index, error.message);
    throw error;
  }
}

/** A filter or subscription id as this server hands them out: 0x-prefixed hex. */
export function parseId(value: unknown): string {
  if (typeof value !== "string") throw new ParamError(`expected an id string, got ${jsonTypeName(value)}`);
  if (!/^0x[0-9a-fA-F]{1,64}$/.test(value)) throw new ParamError("invalid id: want 0x-prefixed hex");
  return value;
}
