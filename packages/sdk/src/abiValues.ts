import type { AbiParameter, Hex } from "viem";
import { enumName } from "./contracts.js";

/** An organization id: 1 to 31 ASCII letters, digits, `.`, `_` or `-`, starting with a letter or digit. */
export const ORG_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/;

/**
 * The organization id held left-aligned and zero-padded in a bytes32, or `undefined` when the word is not one
 * (for example a certificate fingerprint).
 */
export function orgIdFromHex(word: Hex): string | undefined {
  if (!/^0x[0-9a-fA-F]{64}$/.test(word)) return undefined;
  let id = "";
  let ended = false;
  for (let i = 2; i < 66; i += 2) {
    const byte = Number.parseInt(word.slice(i, i + 2), 16);
    if (ended) {
      if (byte !== 0) return undefined;
    } else if (byte === 0) ended = true;
    else id += String.fromCharCode(byte);
  }
  return ORG_ID_PATTERN.test(id) ? id : undefined;
}

/** Parameters whose bytes32 is an organization id (`UnknownOrg(bytes32 org)`, `OrgExists(bytes32 id)`, …). */
const ORG_ID_PARAMS = new Set(["id", "org"]);

/**
 * One decoded ABI value as a person reads it: integers in decimal, addresses in lower case, enums by name,
 * organization ids as quoted strings, strings quoted, bytes in hex.
 */
export function formatAbiValue(param: AbiParameter | undefined, value: unknown): string {
  if (typeof value === "bigint" || typeof value === "number") {
    const named = enumName(param?.internalType, Number(value));
    return named ?? value.toString();
  }
  if (typeof value === "boolean") return String(value);
  if (typeof value === "string") {
    if (param?.type === "string") return JSON.stringify(value);
    if (param?.type === "bytes32" && param.name !== undefined && ORG_ID_PARAMS.has(param.name)) {
      const id = orgIdFromHex(value as Hex);
      if (id !== undefined) return JSON.stringify(id);
    }
    return value.startsWith("0x") ? value.toLowerCase() : value;
  }
  if (Array.isArray(value)) {
    const inner = param && "components" in param && param.type === "tuple" ? param.components : undefined;
    const element = param?.type.endsWith("[]")
      ? { ...param, type: param.type.slice(0, param.type.lastIndexOf("[")) }
      : undefined;
    const parts = value.map((v, i) => formatAbiValue(inner?.[i] ?? element, v));
    return inner ? `(${parts.join(", ")})` : `[${parts.join(", ")}]`;
  }
  if (value !== null && typeof value === "object" && param && "components" in param) {
    const record = value as Record<string, unknown>;
    return `(${param.components.map((c) => formatAbiValue(c, record[c.name ?? ""])).join(", ")})`;
  }
  return String(value);
}
