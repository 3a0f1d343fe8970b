import { keccak_256 } from "@noble/hashes/sha3.js";

/**
 * Keccak-256 as Ethereum uses it (the original Keccak padding, not NIST SHA3-256). The EVM's `KECCAK256` opcode,
 * Solidity mappings, event topics and log blooms are defined with this function, so code that implements those
 * calls it directly, whatever hash the chain's crypto suite uses.
 *
 * @example
 * keccak256(new Uint8Array()); // c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470
 */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}
