import { VALIDATOR_WEIGHT_TOTAL_MAX, VALIDATORS_MAX } from "@charter/consensus";
import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { bigintToFixedBytes, bytesToHex, hexToBytes } from "@charter/utils";
import { describe, expect, it } from "vitest";
import { ChainError } from "./errors.js";
import {
  type ChainValidator,
  decodeValidatorRegistry,
  encodeValidatorRegistry,
  genesisAllocWithRegistry,
  REGISTRY_VALIDATORS_MAX,
  REGISTRY_WEIGHT_TOTAL_MAX,
  VALIDATOR_REGISTRY_ADDRESS,
  VALIDATOR_REGISTRY_DEFAULT_CODE,
  validatorRegistrySlot,
  validatorSetHash,
} from "./validatorRegistry.js";

const suite = createEcdsaSuite();
const validator = (seed: number, weight = 1): ChainValidator => {
  const publicKey = suite.publicKeyFromPrivateKey(keccak256(new Uint8Array([seed, 1])));
  return { address: suite.addressFromPublicKey(publicKey), publicKey, weight };
};
const THREE = [validator(1, 1), validator(2, 5), validator(3, 1_000)];

/** Registry storage as a slot reader, with edits applied on top (slot hex → value). */
function reader(storage: ReadonlyMap<string, Uint8Array>, edits: Record<string, bigint | Uint8Array> = {}) {
  const map = new Map(storage);
  for (const [slot, value] of Object.entries(edits))
    map.set(slot, typeof value === "bigint" ? bigintToFixedBytes(value, 32) : value);
  return (slot: Uint8Array) => map.get(bytesToHex(slot)) ?? new Uint8Array(32);
}
const slot = (index: number, field: 0 | 1 | 2) => bytesToHex(validatorRegistrySlot(index, field));
const LENGTH = bytesToHex(new Uint8Array(32));
const packed = (v: ChainValidator, weight = BigInt(v.weight)) =>
  (weight << 160n) | BigInt(bytesToHex(v.address));

describe("validator registry codec", () => {
  it("uses Solidity's layout of Validator[] at slot 0 with keccak256 element slots", () => {
    // keccak256(uint256(0)), the well-known first element slot of a dynamic array at slot 0.
    expect(slot(0, 0)).toBe("0x290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563");
    expect(slot(0, 1)).toBe("0x290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e564");
    expect(slot(1, 0)).toBe("0x290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e566");
    const storage = encodeValidatorRegistry(THREE);
    expect(storage.get(LENGTH)).toEqual(bigintToFixedBytes(3n, 32));
    // weight << 160 | account: the address in the low 20 bytes, the uint96 weight above it.
    expect(bytesToHex(storage.get(slot(1, 0))!)).toBe(
      `0x${"0".repeat(23)}5${bytesToHex(THREE[1]!.address).slice(2)}`,
    );
    expect(storage.get(slot(2, 1))).toEqual(THREE[2]!.publicKey.slice(1, 33));
    expect(storage.get(slot(2, 2))).toEqual(THREE[2]!.publicKey.slice(33));
  });

  it("round-trips a set, in order, with the hash headers carry", () => {
    const set = decodeValidatorRegistry(reader(encodeValidatorRegistry(THREE)), suite);
    expect(set.validators).toEqual(THREE);
    expect(set.totalWeight).toBe(1_006);
    expect(set.hash).toEqual(validatorSetHash(THREE, suite));
    const reversed = [...THREE].reverse();
    expect(decodeValidatorRegistry(reader(encodeValidatorRegistry(reversed)), suite).hash).not.toEqual(
      set.hash,
    );
    // The largest set: 256 members.
    const many = Array.from({ length: 256 }, (_, i) => validator(i));
    expect(decodeValidatorRegistry(reader(encodeValidatorRegistry(many)), suite).validators).toHaveLength(
      256,
    );
  });

  it("has the consensus package's bounds", () => {
    expect(REGISTRY_VALIDATORS_MAX).toBe(VALIDATORS_MAX);
    expect(REGISTRY_WEIGHT_TOTAL_MAX).toBe(VALIDATOR_WEIGHT_TOTAL_MAX);
  });

  const storage = encodeValidatorRegistry(THREE);
  const malformed: [string, Record<string, bigint | Uint8Array>, RegExp][] = [
    ["an empty registry", { [LENGTH]: 0n }, /holds 0 validators/],
    ["more than 256 members", { [LENGTH]: 257n }, /holds 257 validators/],
    ["a length of 2^256 - 1", { [LENGTH]: 2n ** 256n - 1n }, /needs 1 to 256/],
    ["a length past the written members", { [LENGTH]: 4n }, /weight 0/],
    ["a zero weight", { [slot(1, 0)]: packed(THREE[1]!, 0n) }, /member 1 .* weight 0/],
    ["a weight above 2^20", { [slot(0, 0)]: packed(THREE[0]!, 2n ** 20n + 1n) }, /weight 1048577/],
    ["a uint96 weight beyond 2^53", { [slot(0, 0)]: packed(THREE[0]!, 2n ** 96n - 1n) }, /weight 7922/],
    [
      "a total weight above 2^20",
      { [slot(0, 0)]: packed(THREE[0]!, 2n ** 20n), [slot(1, 0)]: packed(THREE[1]!, 1n) },
      /total weight above 1048576/,
    ],
    [
      "a duplicate member",
      {
        [slot(2, 0)]: storage.get(slot(0, 0))!,
        [slot(2, 1)]: storage.get(slot(0, 1))!,
        [slot(2, 2)]: storage.get(slot(0, 2))!,
      },
      /twice/,
    ],
    ["an address that is not its key's", { [slot(1, 1)]: storage.get(slot(0, 1))! }, /public key belongs to/],
    ["a zero key", { [slot(2, 1)]: new Uint8Array(32), [slot(2, 2)]: new Uint8Array(32) }, /belongs to/],
  ];
  for (const [name, edits, message] of malformed) {
    it(`refuses ${name}`, () => {
      const error = (() => {
        try {
          decodeValidatorRegistry(reader(storage, edits), suite);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ChainError);
      expect((error as ChainError).code).toBe("invalid-validator-set");
      expect((error as Error).message).toMatch(message);
    });
  }

  it("reads no element slot when the length is out of range", () => {
    let reads = 0;
    const counting = (s: Uint8Array) => {
      reads++;
      return bytesToHex(s) === LENGTH ? bigintToFixedBytes(10n ** 6n, 32) : new Uint8Array(32);
    };
    expect(() => decodeValidatorRegistry(counting, suite)).toThrow(/1000000 validators/);
    expect(reads).toBe(1);
  });

  it("refuses to encode a key that is not 65-byte uncompressed", () => {
    const compressed = { ...THREE[0]!, publicKey: THREE[0]!.publicKey.slice(0, 33) };
    expect(() => encodeValidatorRegistry([compressed])).toThrow(/65-byte uncompressed/);
  });
});

describe("genesis allocation of the registry", () => {
  const registry = bytesToHex(VALIDATOR_REGISTRY_ADDRESS);
  it("adds the registry with nonce 1, the always-reverting code and the validators' storage", () => {
    const alloc = genesisAllocWithRegistry(new Map([[`0x${"11".repeat(20)}`, { balance: 5n }]]), THREE);
    const entry = alloc.get(registry)!;
    expect(registry).toBe("0x0000000000000000000000000000000000001000");
    expect(entry.nonce).toBe(1n);
    expect(entry.code).toEqual(hexToBytes("0x60006000fd"));
    expect(entry.code).toEqual(VALIDATOR_REGISTRY_DEFAULT_CODE);
    expect(entry.storage).toEqual(encodeValidatorRegistry(THREE));
    expect(alloc.get(`0x${"11".repeat(20)}`)).toEqual({ balance: 5n });
  });

  it("keeps an allocation's balance, nonce and code (a governance contract)", () => {
    const code = hexToBytes("0x6001600055");
    const alloc = genesisAllocWithRegistry(
      new Map([[registry.toUpperCase().replace("0X", "0x"), { balance: 3n, nonce: 2n, code }]]),
      THREE,
    );
    expect(alloc.size).toBe(1);
    expect(alloc.get(registry)).toMatchObject({ balance: 3n, nonce: 2n, code });
  });

  const refused: [string, object, RegExp][] = [
    ["storage", { balance: 0n, storage: new Map([[LENGTH, new Uint8Array(32)]]) }, /sets storage/],
    ["nonce 0", { balance: 0n, nonce: 0n }, /nonce 0/],
    ["empty code", { balance: 0n, code: new Uint8Array(0) }, /empty code/],
  ];
  for (const [name, entry, message] of refused) {
    it(`refuses an allocation at the registry with ${name}`, () => {
      expect(() => genesisAllocWithRegistry(new Map([[registry, entry as never]]), THREE)).toThrow(
        expect.objectContaining({ code: "invalid-genesis", message: expect.stringMatching(message) }),
      );
    });
  }
});
