import { type CryptoSuite, keccak256 } from "@charter/crypto";
import type { GenesisAccount } from "@charter/execution";
import {
  bigintToBytes,
  bigintToFixedBytes,
  bytesToBigint,
  bytesToHex,
  concatBytes,
  equalBytes,
  hexToBytes,
} from "@charter/utils";
import { RLP } from "@ethereumjs/rlp";
import { ChainError } from "./errors.js";

/**
 * The validator registry: the system account whose storage holds the validator set (consensus.md section 9). It is
 * the first of Charter's system addresses, `0x…1000` to `0x…10ff`, which are reserved for system contracts.
 */
export const VALIDATOR_REGISTRY_ADDRESS = hexToBytes("0x0000000000000000000000000000000000001000");
/**
 * The registry's code on a chain without system contracts (`ChainGenesis.governance: null`, for tests) unless the
 * allocation gives it other code: `PUSH1 0 PUSH1 0 REVERT`, so every call fails and nothing can change the set.
 * Every other chain has the `NodeRegistry` system contract here (docs/spec/governance.md).
 */
export const VALIDATOR_REGISTRY_DEFAULT_CODE = hexToBytes("0x60006000fd");
/** Members of one set at most; equal to the consensus package's `VALIDATORS_MAX` (a test checks it). */
export const REGISTRY_VALIDATORS_MAX = 256;
/** Total weight of one set at most; equal to the consensus package's `VALIDATOR_WEIGHT_TOTAL_MAX`. */
export const REGISTRY_WEIGHT_TOTAL_MAX = 1 << 20;

/** One validator as the chain knows it: the consensus package's `Validator` has the same shape. */
export interface ChainValidator {
  /** 20-byte address, the suite's address of `publicKey`. */
  readonly address: Uint8Array;
  /** 65-byte uncompressed public key, `0x04 ‖ x ‖ y`. */
  readonly publicKey: Uint8Array;
  readonly weight: number;
}

/** The validator set of one height: checked, in registry order, with the hash headers carry. */
export interface ChainValidatorSet {
  readonly validators: readonly ChainValidator[];
  readonly totalWeight: number;
  /** `validatorSetHash(validators)`: what `header.validatorsHash` must equal at the heights this set is in force. */
  readonly hash: Uint8Array;
}

const UNCOMPRESSED_PREFIX = 0x04;
const PUBLIC_KEY_BYTES = 65;
const WORD = 2n ** 256n;
const UINT96_MAX = 2n ** 96n - 1n;
/** Slot of `validators.length`: `Validator[] validators` is the contract's first state variable. */
const LENGTH_SLOT = new Uint8Array(32);
/** Solidity's first element slot of a dynamic array at slot 0: `keccak256(uint256(0))`, whatever the chain hash. */
const ELEMENTS_BASE = bytesToBigint(keccak256(LENGTH_SLOT));
/** Slots per element: `(weight << 160 | account)`, then the public key's x, then its y. */
const SLOTS_PER_VALIDATOR = 3n;

/** The storage slot of field `field` (0 account and weight, 1 x, 2 y) of element `index`. */
export function validatorRegistrySlot(index: number, field: 0 | 1 | 2): Uint8Array {
  return bigintToFixedBytes((ELEMENTS_BASE + SLOTS_PER_VALIDATOR * BigInt(index) + BigInt(field)) % WORD, 32);
}

/**
 * Hash of a validator set as headers carry it (`validatorsHash`): the suite hash of the RLP list of
 * `[address, publicKey, weight]` in the set's order.
 */
export function validatorSetHash(validators: readonly ChainValidator[], suite: CryptoSuite): Uint8Array {
  return suite.hash(
    RLP.encode(validators.map((v) => [v.address, v.publicKey, bigintToBytes(BigInt(v.weight))])),
  );
}

/**
 * Checks a validator list against the rules of a set (consensus.md section 1 and 9): 1 to 256 members, no
 * duplicate address, every weight a positive integer, total weight at most 2^20, every public key 65-byte
 * uncompressed and every address the suite's address of its key. Throws `ChainError("invalid-validator-set")`
 * naming the first rule broken.
 */
export function createChainValidatorSet(
  validators: readonly ChainValidator[],
  suite: CryptoSuite,
): ChainValidatorSet {
  const fail = (why: string) => new ChainError("invalid-validator-set", `the validator set ${why}`);
  if (validators.length === 0 || validators.length > REGISTRY_VALIDATORS_MAX)
    throw fail(`has ${validators.length} members; it needs 1 to ${REGISTRY_VALIDATORS_MAX}`);
  const seen = new Set<string>();
  let totalWeight = 0;
  for (const [index, v] of validators.entries()) {
    const who = `member ${index} (${bytesToHex(v.address)})`;
    if (v.address.length !== 20) throw fail(`has ${who} whose address is not 20 bytes`);
    if (!Number.isSafeInteger(v.weight) || v.weight <= 0)
      throw fail(`has ${who} with weight ${v.weight}; weights are positive integers`);
    const key = bytesToHex(v.address);
    if (seen.has(key)) throw fail(`lists ${key} twice`);
    seen.add(key);
    totalWeight += v.weight;
    if (totalWeight > REGISTRY_WEIGHT_TOTAL_MAX)
      throw fail(`has a total weight above ${REGISTRY_WEIGHT_TOTAL_MAX}`);
    if (v.publicKey.length !== PUBLIC_KEY_BYTES || v.publicKey[0] !== UNCOMPRESSED_PREFIX)
      throw fail(`has ${who} whose public key is not 65-byte uncompressed (0x04 ‖ x ‖ y)`);
    let derived: Uint8Array;
    try {
      derived = suite.addressFromPublicKey(v.publicKey);
    } catch (error) {
      throw fail(`has ${who} whose public key the suite refuses: ${(error as Error).message}`);
    }
    if (!equalBytes(derived, v.address))
      throw fail(`has ${who} whose public key belongs to ${bytesToHex(derived)}`);
  }
  return { validators, totalWeight, hash: validatorSetHash(validators, suite) };
}

/**
 * The registry storage that holds `validators` (the Solidity layout of `Validator[] validators` at slot 0 with
 * `struct Validator { address account; uint96 weight; bytes32 publicKeyX; bytes32 publicKeyY; }`): slot → 32-byte
 * word, slots as 0x-prefixed hex. Keys must be 65-byte uncompressed; the list is not otherwise checked here.
 */
export function encodeValidatorRegistry(validators: readonly ChainValidator[]): Map<string, Uint8Array> {
  const storage = new Map<string, Uint8Array>();
  storage.set(bytesToHex(LENGTH_SLOT), bigintToFixedBytes(BigInt(validators.length), 32));
  for (const [index, v] of validators.entries()) {
    if (v.publicKey.length !== PUBLIC_KEY_BYTES || v.publicKey[0] !== UNCOMPRESSED_PREFIX)
      throw new ChainError(
        "invalid-validator-set",
        `validator ${bytesToHex(v.address)} has a public key that is not 65-byte uncompressed (0x04 ‖ x ‖ y)`,
      );
    if (v.address.length !== 20 || BigInt(v.weight) < 0n || BigInt(v.weight) > UINT96_MAX)
      throw new ChainError("invalid-validator-set", `validator ${bytesToHex(v.address)} does not fit a slot`);
    const packed = (BigInt(v.weight) << 160n) | bytesToBigint(v.address);
    storage.set(bytesToHex(validatorRegistrySlot(index, 0)), bigintToFixedBytes(packed, 32));
    storage.set(bytesToHex(validatorRegistrySlot(index, 1)), v.publicKey.slice(1, 33));
    storage.set(bytesToHex(validatorRegistrySlot(index, 2)), v.publicKey.slice(33, 65));
  }
  return storage;
}

/**
 * Reads the validator set from registry storage (`readSlot` returns a slot's 32-byte value, zeros when unset) and
 * checks it as `createChainValidatorSet` does. The length is checked before any element is read, so a huge length
 * costs nothing. Throws `ChainError("invalid-validator-set")` for a registry that is not a valid set.
 */
export function decodeValidatorRegistry(
  readSlot: (slot: Uint8Array) => Uint8Array,
  suite: CryptoSuite,
): ChainValidatorSet {
  const length = bytesToBigint(readSlot(LENGTH_SLOT));
  if (length === 0n || length > BigInt(REGISTRY_VALIDATORS_MAX))
    throw new ChainError(
      "invalid-validator-set",
      `the validator registry holds ${length} validators; it needs 1 to ${REGISTRY_VALIDATORS_MAX}`,
    );
  const validators: ChainValidator[] = [];
  for (let index = 0; index < Number(length); index++) {
    const packed = bytesToBigint(readSlot(validatorRegistrySlot(index, 0)));
    const weight = packed >> 160n;
    const address = bigintToFixedBytes(packed & (2n ** 160n - 1n), 20);
    // Compared as an integer first: a uint96 weight may exceed what a JavaScript number holds exactly.
    if (weight === 0n || weight > BigInt(REGISTRY_WEIGHT_TOTAL_MAX))
      throw new ChainError(
        "invalid-validator-set",
        `the validator registry gives member ${index} (${bytesToHex(address)}) weight ${weight}; it must be 1 to ${REGISTRY_WEIGHT_TOTAL_MAX}`,
      );
    const publicKey = concatBytes(
      Uint8Array.of(UNCOMPRESSED_PREFIX),
      word(readSlot(validatorRegistrySlot(index, 1))),
      word(readSlot(validatorRegistrySlot(index, 2))),
    );
    validators.push({ address, publicKey, weight: Number(weight) });
  }
  return createChainValidatorSet(validators, suite);
}

/**
 * The genesis allocations of a chain without system contracts (`ChainGenesis.governance: null`) with the validator
 * registry added: its storage written from `validators`, nonce 1 and the always-reverting default code unless the
 * allocation gives code (a test's registry contract); chains with governance use `genesisAllocWithSystemContracts`. An allocation at the
 * registry may set balance, a nonce of at least 1 and non-empty code; storage there is refused, since the node
 * writes it from `validators` and two sources could disagree. Throws `ChainError("invalid-genesis")`.
 */
export function genesisAllocWithRegistry(
  alloc: ReadonlyMap<string, GenesisAccount>,
  validators: readonly ChainValidator[],
): Map<string, GenesisAccount> {
  const registry = bytesToHex(VALIDATOR_REGISTRY_ADDRESS);
  const out = new Map<string, GenesisAccount>();
  let given: GenesisAccount | undefined;
  for (const [address, account] of alloc) {
    if (address.toLowerCase() === registry) given = account;
    else out.set(address, account);
  }
  const refuse = (why: string) =>
    new ChainError("invalid-genesis", `the genesis allocation at the validator registry ${registry} ${why}`);
  if (given?.storage !== undefined && given.storage.size > 0)
    throw refuse(
      "sets storage; the registry's storage is written from the genesis `validators`, so leave `storage` out",
    );
  if (given?.nonce !== undefined && given.nonce < 1n)
    throw refuse("sets nonce 0; the registry's nonce is at least 1, so the account is never empty (EIP-161)");
  if (given?.code !== undefined && given.code.length === 0)
    throw refuse("sets empty code; leave `code` out for the default code, which always reverts");
  let storage: Map<string, Uint8Array>;
  try {
    storage = encodeValidatorRegistry(validators);
  } catch (error) {
    throw new ChainError(
      "invalid-genesis",
      `the genesis validators are invalid: ${(error as Error).message}`,
    );
  }
  out.set(registry, {
    balance: given?.balance ?? 0n,
    nonce: given?.nonce ?? 1n,
    code: given?.code ?? VALIDATOR_REGISTRY_DEFAULT_CODE,
    storage,
  });
  return out;
}

function word(value: Uint8Array): Uint8Array {
  if (value.length === 32) return value;
  const out = new Uint8Array(32);
  out.set(value.subarray(Math.max(0, value.length - 32)), 32 - Math.min(32, value.length));
  return out;
}
