import { bytesToBigint } from "@charter/utils";

/**
 * Turns revert data into the message geth gives, so that ethers ("reverted" in the message plus hex `data`),
 * viem and Hardhat recognise a revert and show its reason. Custom errors and undecodable data give the bare
 * "execution reverted"; the client decodes `data` itself.
 */

/** `Error(string)` selector: `keccak256("Error(string)")[0:4]`. */
const errorSelector = [0x08, 0xc3, 0x79, 0xa0] as const;
/** `Panic(uint256)` selector: `keccak256("Panic(uint256)")[0:4]`. */
const panicSelector = [0x4e, 0x48, 0x7b, 0x71] as const;

/** The meanings solc gives its panic codes (Solidity docs, "Panic via assert and Error via require"). */
const panicReasons: ReadonlyMap<bigint, string> = new Map([
  [0x00n, "generic compiler panic"],
  [0x01n, "assert(false)"],
  [0x11n, "arithmetic underflow or overflow"],
  [0x12n, "division or modulo by zero"],
  [0x21n, "enum overflow"],
  [0x22n, "invalid encoded storage byte array accessed"],
  [0x31n, "out-of-bounds array access; popping on an empty array"],
  [0x32n, "out-of-bounds access of an array or bytesN"],
  [0x41n, "out of memory"],
  [0x51n, "uninitialized function"],
]);

/** Longest reason copied into a message, so a contract cannot make every error response huge. */
const reasonCharsMax = 1024;

function hasSelector(data: Uint8Array, selector: readonly number[]): boolean {
  return data.length >= 4 && selector.every((byte, i) => data[i] === byte);
}

/** Reads a 32-byte ABI word as a safe integer, or `undefined` if it does not fit. */
function wordAsNumber(data: Uint8Array, offset: number): number | undefined {
  if (offset < 0 || offset + 32 > data.length) return undefined;
  const value = bytesToBigint(data.subarray(offset, offset + 32));
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value);
}

/** Decodes the reason of `Error(string)` revert data; `undefined` if the data is not a well-formed encoding. */
export function decodeErrorString(data: Uint8Array): string | undefined {
  if (!hasSelector(data, errorSelector)) return undefined;
  const body = data.subarray(4);
  const offset = wordAsNumber(body, 0);
  if (offset === undefined) return undefined;
  const length = wordAsNumber(body, offset);
  if (length === undefined || offset + 32 + length > body.length) return undefined;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(
    body.subarray(offset + 32, offset + 32 + length),
  );
  return text.length > reasonCharsMax ? `${text.slice(0, reasonCharsMax)}…` : text;
}

/** Decodes `Panic(uint256)` revert data into "panic: <meaning> (0x<code>)". */
export function decodePanic(data: Uint8Array): string | undefined {
  if (!hasSelector(data, panicSelector) || data.length !== 36) return undefined;
  const code = bytesToBigint(data.subarray(4));
  const meaning = panicReasons.get(code) ?? "unknown panic code";
  return `panic: ${meaning} (0x${code.toString(16)})`;
}

/** "execution reverted", or "execution reverted: <reason>" when the reason can be decoded. */
export function revertMessage(data: Uint8Array): string {
  const reason = decodeErrorString(data) ?? decodePanic(data);
  return reason === undefined ? "execution reverted" : `execution reverted: ${reason}`;
}
