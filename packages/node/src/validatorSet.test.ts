import { type ChainValidator, type ChainValidatorSet, createChainValidatorSet } from "@charter/chain";
import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { describe, expect, it } from "vitest";
import { createValidatorSetSource } from "./validatorSet.js";

const suite = createEcdsaSuite();
const members: ChainValidator[] = [1, 2, 3].map((i) => {
  const publicKey = suite.publicKeyFromPrivateKey(keccak256(new Uint8Array([i])));
  return { address: suite.addressFromPublicKey(publicKey), publicKey, weight: i };
});

describe("createValidatorSetSource", () => {
  it("gives the consensus set of each height, built once per distinct set", () => {
    const early = createChainValidatorSet(members.slice(0, 2), suite);
    const late = createChainValidatorSet(members, suite);
    const asked: number[] = [];
    const source = createValidatorSetSource((height): ChainValidatorSet => {
      asked.push(height);
      return height < 3 ? early : late;
    });
    expect(source(1)).toBe(source(2));
    expect(source(1).validators).toEqual(early.validators);
    expect(source(1).totalWeight).toBe(3);
    expect(source(3)).not.toBe(source(2));
    expect(source(3).totalWeight).toBe(6);
    expect(source(3).byAddress(members[2]!.address)?.weight).toBe(3);
    expect(source(2).byAddress(members[2]!.address)).toBeUndefined();
    expect(asked).toContain(3);
  });
});
