import { createSmSuite, sm2Sign, sm2Verify, sm3 } from "@charter/crypto";
import {
  type Address,
  bytesToHex,
  concatBytes,
  getAddress,
  type Hex,
  hashTypedData,
  hexToBytes,
  isAddress,
  isHex,
  type SignableMessage,
  type TypedData,
  type TypedDataDefinition,
  toPrefixedMessage,
} from "viem";
import { CharterSDKError } from "./errors.js";

/**
 * Signatures of an SM2 account, and how to check them.
 *
 * A message or typed-data signature is 128 bytes, `r ‖ s ‖ x ‖ y`: the SM2 signature (r, s, 32 bytes each,
 * big-endian) followed by the signer's public key (x, y, 32 bytes each, without the 0x04 prefix). SM2 cannot
 * recover a key from a signature the way secp256k1 does (the signed value already depends on the key through
 * Z_A), so the signature carries the key, exactly as a type-0x53 transaction does, and a verifier checks that the
 * key hashes to the claimed address and that (r, s) verifies under it.
 *
 * What is signed is a 32-byte digest D taken as the SM2 message M, with the default user ID "1234567812345678"
 * (the SM2 value e is SM3(Z_A ‖ D)):
 * - `signMessage`: D = SM3("\x19Ethereum Signed Message:\n" ‖ len(message) ‖ message), viem's `toPrefixedMessage`
 *   bytes (EIP-191 version 0x45) hashed with the chain's hash instead of Keccak-256;
 * - `signTypedData`: D = viem's `hashTypedData` (EIP-712 keeps Keccak-256 inside, as the EVM's `keccak256` does,
 *   so a contract can rebuild the digest);
 * - `sign({ hash })`: D = the given 32 bytes; the result is the bare 64-byte `r ‖ s`.
 */

/** Length in bytes of an SM2 message signature: `r ‖ s ‖ x ‖ y`. */
export const SM2_MESSAGE_SIGNATURE_BYTES = 128;
/** Length in bytes of a bare SM2 signature `r ‖ s`. */
export const SM2_SIGNATURE_BYTES = 64;
/** Length in bytes of an SM2 public key without its 0x04 prefix, `x ‖ y`. */
export const SM2_PUBLIC_KEY_XY_BYTES = 64;

const suite = createSmSuite();

/** The parts of a 128-byte SM2 message signature. */
export interface SM2MessageSignature {
  /** `r ‖ s`, 64 bytes. */
  readonly signature: Hex;
  /** The signer's uncompressed public key, `0x04 ‖ x ‖ y` (65 bytes). */
  readonly publicKey: Hex;
  /** The address of that key: the last 20 bytes of SM3(x ‖ y), checksummed. */
  readonly address: Address;
}

/**
 * The digest an SM2 account signs for `signMessage`: SM3 of the EIP-191 prefixed message, as 32 bytes of hex.
 *
 * @example
 * hashSM2Message("hello world"); // SM3("\x19Ethereum Signed Message:\n11hello world")
 */
export function hashSM2Message(message: SignableMessage): Hex {
  return bytesToHex(sm3(hexToBytes(toPrefixedMessage(message))));
}

/** Signs a 32-byte digest and appends the public key: the 128-byte layout above. Internal to the account. */
export function signSM2Digest(digest: Hex, privateKey: Uint8Array, publicKey: Uint8Array): Hex {
  const signature = sm2Sign(hexToBytes(digest), privateKey);
  return bytesToHex(concatBytes([signature, publicKey.subarray(1)]));
}

/**
 * Splits a 128-byte SM2 message signature into its signature and public key, and derives the signer's address.
 * Returns `null` when it is not 128 bytes of hex or the key is not a point of the SM2 curve; says nothing about
 * whether the signature verifies.
 *
 * @example
 * parseSM2MessageSignature(signature)?.address; // "0x…"
 */
export function parseSM2MessageSignature(signature: Hex): SM2MessageSignature | null {
  if (!isHex(signature, { strict: true }) || signature.length !== 2 + 2 * SM2_MESSAGE_SIGNATURE_BYTES)
    return null;
  const bytes = hexToBytes(signature);
  const publicKey = concatBytes([Uint8Array.of(0x04), bytes.subarray(SM2_SIGNATURE_BYTES)]);
  let address: Uint8Array;
  try {
    address = suite.addressFromPublicKey(publicKey);
  } catch {
    return null;
  }
  return {
    signature: bytesToHex(bytes.subarray(0, SM2_SIGNATURE_BYTES)),
    publicKey: bytesToHex(publicKey),
    address: getAddress(bytesToHex(address)),
  };
}

/**
 * The address that made an SM2 message or typed-data signature over `digest`, or `null` if the signature is
 * malformed or does not verify under the key it carries.
 */
function signerOfDigest(digest: Hex, signature: Hex): Address | null {
  const parsed = parseSM2MessageSignature(signature);
  if (parsed === null) return null;
  const valid = sm2Verify(hexToBytes(digest), hexToBytes(parsed.signature), hexToBytes(parsed.publicKey));
  return valid ? parsed.address : null;
}

function sameAddress(address: Address, signer: Address | null): boolean {
  if (!isAddress(address, { strict: false })) {
    throw new CharterSDKError(
      "invalid-argument",
      `${String(address)} is not an address (0x and 40 hex digits).`,
    );
  }
  return signer !== null && signer.toLowerCase() === address.toLowerCase();
}

export interface RecoverSM2MessageAddressParameters {
  readonly message: SignableMessage;
  readonly signature: Hex;
}

/**
 * The address that signed `message` with an SM2 account (`account.signMessage`), read from the public key the
 * signature carries once the signature verifies under it; `null` if the signature is malformed or does not verify.
 *
 * @example
 * recoverSM2MessageAddress({ message: "hello", signature }); // account.address
 */
export function recoverSM2MessageAddress(parameters: RecoverSM2MessageAddressParameters): Address | null {
  return signerOfDigest(hashSM2Message(parameters.message), parameters.signature);
}

export interface VerifySM2MessageParameters {
  readonly address: Address;
  readonly message: SignableMessage;
  readonly signature: Hex;
}

/**
 * Whether `signature` is `address`'s SM2 signature of `message` (what `account.signMessage` returns). False, not
 * an exception, for a malformed or foreign signature; throws `CharterSDKError("invalid-argument")` only when
 * `address` is not an address. The SM2 counterpart of viem's `verifyMessage`, and synchronous: nothing is asked of
 * a node (an SM2 account is an externally owned account; there is no ERC-1271 fallback).
 *
 * @example
 * const signature = await account.signMessage({ message: "hello" });
 * verifySM2Message({ address: account.address, message: "hello", signature }); // true
 */
export function verifySM2Message(parameters: VerifySM2MessageParameters): boolean {
  return sameAddress(parameters.address, recoverSM2MessageAddress(parameters));
}

export type VerifySM2TypedDataParameters<
  typedData extends TypedData | Record<string, unknown> = TypedData,
  primaryType extends keyof typedData | "EIP712Domain" = keyof typedData,
> = TypedDataDefinition<typedData, primaryType> & {
  readonly address: Address;
  readonly signature: Hex;
};

/**
 * Whether `signature` is `address`'s SM2 signature of the EIP-712 typed data (what `account.signTypedData`
 * returns). False for a malformed or foreign signature.
 *
 * @example
 * verifySM2TypedData({ address: account.address, domain, types, primaryType: "Mail", message, signature }); // true
 */
export function verifySM2TypedData<
  const typedData extends TypedData | Record<string, unknown>,
  primaryType extends keyof typedData | "EIP712Domain",
>(parameters: VerifySM2TypedDataParameters<typedData, primaryType>): boolean {
  const { address, signature, ...definition } = parameters;
  const digest = hashTypedData(definition as unknown as TypedDataDefinition<typedData, primaryType>);
  return sameAddress(address, signerOfDigest(digest, signature));
}
