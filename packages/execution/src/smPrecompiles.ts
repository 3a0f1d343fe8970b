import { sm2Verify, sm3 } from "@charter/crypto";
import { concatBytes, hexToBytes } from "@charter/utils";
import { type CustomPrecompile, EVMError, type ExecResult, type PrecompileInput } from "@ethereumjs/evm";
import { Address } from "@ethereumjs/util";

/**
 * The precompiles of an `sm` chain (docs/spec/crypto.md section "Precompiles"). The EVM's KECCAK256 opcode stays
 * Keccak-256 so solc output runs unchanged; contracts reach the national algorithms through these two addresses
 * (0x53 as in "SM", then the algorithm's number).
 *
 * - `SM3` (0x…5303): input any bytes, output their 32-byte SM3 digest. Priced like SHA-256 (0x02): 60 gas plus
 *   12 per 32-byte word.
 * - `SM2_VERIFY` (0x…5302): input exactly 160 bytes, `message (32) ‖ r (32) ‖ s (32) ‖ x (32) ‖ y (32)`; output
 *   the 32-byte word 1 when `(r, s)` is a genuine GB/T 32918 SM2 signature by the public key `(x, y)` over the
 *   32-byte message with the default user id `1234567812345678`, and empty output otherwise (a malformed input,
 *   a point off the curve, a bad signature), as EIP-7951's P256VERIFY does, so a caller tests
 *   `returndata.length == 32`. The gas is charged whatever the outcome.
 */
export const SM3_PRECOMPILE_ADDRESS = hexToBytes("0x0000000000000000000000000000000000005303");
export const SM2_VERIFY_PRECOMPILE_ADDRESS = hexToBytes("0x0000000000000000000000000000000000005302");

export const SM3_PRECOMPILE_GAS = 60n;
export const SM3_PRECOMPILE_WORD_GAS = 12n;
/**
 * An SM2 verification under a key not seen recently costs two scalar multiplications in JavaScript, 30 to 40 times
 * an ECRECOVER through libsecp256k1 (`npm run bench:crypto`); the price keeps that ratio to ECRECOVER's 3,000 gas so
 * a block's gas limit still bounds the time to execute it.
 */
export const SM2_VERIFY_PRECOMPILE_GAS = 100_000n;

const SM2_VERIFY_INPUT_BYTES = 160;
const ONE_WORD = (() => {
  const word = new Uint8Array(32);
  word[31] = 1;
  return word;
})();

export function sm3Precompile(input: PrecompileInput): ExecResult {
  const gas = SM3_PRECOMPILE_GAS + SM3_PRECOMPILE_WORD_GAS * BigInt(Math.ceil(input.data.length / 32));
  if (input.gasLimit < gas) return outOfGas(input.gasLimit);
  return { executionGasUsed: gas, returnValue: sm3(input.data) };
}

export function sm2VerifyPrecompile(input: PrecompileInput): ExecResult {
  const gas = SM2_VERIFY_PRECOMPILE_GAS;
  if (input.gasLimit < gas) return outOfGas(input.gasLimit);
  const data = input.data;
  if (data.length !== SM2_VERIFY_INPUT_BYTES)
    return { executionGasUsed: gas, returnValue: new Uint8Array(0) };
  const message = data.subarray(0, 32);
  const signature = data.subarray(32, 96);
  const publicKey = concatBytes(Uint8Array.of(0x04), data.subarray(96, 160));
  const valid = sm2Verify(message, signature, publicKey);
  return { executionGasUsed: gas, returnValue: valid ? ONE_WORD.slice() : new Uint8Array(0) };
}

/** The EVM's custom precompiles for a chain on `suite`: the two above on `sm`, none on `ecdsa`. */
export function precompilesFor(suite: "ecdsa" | "sm"): CustomPrecompile[] {
  if (suite !== "sm") return [];
  return [
    { address: new Address(SM3_PRECOMPILE_ADDRESS), function: sm3Precompile },
    { address: new Address(SM2_VERIFY_PRECOMPILE_ADDRESS), function: sm2VerifyPrecompile },
  ];
}

function outOfGas(gasLimit: bigint): ExecResult {
  return {
    returnValue: new Uint8Array(0),
    executionGasUsed: gasLimit,
    exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS),
  };
}
