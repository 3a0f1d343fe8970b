import { bytesToHex } from "@charter/utils";
import { keccak256 } from "./keccak.js";

/**
 * The EIP-55 mixed-case form of an address, as wallets, explorers and tool output show it.
 *
 * @example
 * checksumAddress(hexToBytes("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")); // "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
 */
export function checksumAddress(address: Uint8Array): string {
  const lower = bytesToHex(address).slice(2);
  const hash = bytesToHex(keccak256(new TextEncoder().encode(lower))).slice(2);
  let out = "0x";
  for (let i = 0; i < lower.length; i++) {
    out += Number.parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  }
  return out;
}
