import { sm2PublicKeyFromPrivateKey, sm2Sign, sm3 } from "@charter/crypto";
import { bytesToHex, concatBytes, hexToBytes } from "@charter/utils";
import { beforeAll, describe, expect, it } from "vitest";
import { type CallOutcome, Executor } from "./executor.js";
import {
  SM2_VERIFY_PRECOMPILE_ADDRESS,
  SM2_VERIFY_PRECOMPILE_GAS,
  SM3_PRECOMPILE_ADDRESS,
} from "./smPrecompiles.js";
import { TestChain } from "./testdata/testChain.js";

let chain: TestChain;
const smExecutor = new Executor({ chainId: 1337n, blockHash: async () => undefined, suite: "sm" });
const KEY = hexToBytes(`0x${"2a".repeat(32)}`);
const PUBLIC_KEY = sm2PublicKeyFromPrivateKey(KEY).subarray(1);
const MESSAGE = sm3(new TextEncoder().encode("a contract checks this"));
const SIGNATURE = sm2Sign(MESSAGE, KEY);

beforeAll(async () => {
  chain = await TestChain.create();
});

function call(to: Uint8Array, data: Uint8Array, executor = smExecutor, gas?: bigint): Promise<CallOutcome> {
  return executor.call({
    base: chain.state,
    env: chain.env(),
    request: { to, data, ...(gas === undefined ? {} : { gas }) },
  });
}

function returned(outcome: CallOutcome): string {
  expect(outcome.kind).toBe("success");
  return bytesToHex(outcome.kind === "success" ? outcome.returnData : new Uint8Array(0));
}

describe("the sm precompiles", () => {
  it("SM3 hashes its input (GB/T 32905 example 1) and is priced like SHA-256", async () => {
    const outcome = await call(SM3_PRECOMPILE_ADDRESS, new TextEncoder().encode("abc"));
    expect(returned(outcome)).toBe("0x66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    // 21,000 intrinsic + 3 × 16 calldata gas + 60 + 12 for one word.
    expect(outcome.gasUsed).toBe(21_000n + 48n + 72n);
    expect(returned(await call(SM3_PRECOMPILE_ADDRESS, new Uint8Array(0)))).toBe(
      bytesToHex(sm3(new Uint8Array(0))),
    );
  });

  it("SM2 verification returns the word 1 for a genuine signature and nothing otherwise", async () => {
    const input = concatBytes(MESSAGE, SIGNATURE, PUBLIC_KEY);
    expect(returned(await call(SM2_VERIFY_PRECOMPILE_ADDRESS, input))).toBe(`0x${"00".repeat(31)}01`);
    const wrongMessage = concatBytes(sm3(MESSAGE), SIGNATURE, PUBLIC_KEY);
    const flipped = input.slice();
    flipped[40]! ^= 1;
    const otherKey = concatBytes(
      MESSAGE,
      SIGNATURE,
      sm2PublicKeyFromPrivateKey(hexToBytes(`0x${"2b".repeat(32)}`)).subarray(1),
    );
    const offCurve = concatBytes(MESSAGE, SIGNATURE, new Uint8Array(64).fill(1));
    for (const bad of [
      wrongMessage,
      flipped,
      otherKey,
      offCurve,
      input.subarray(0, 159),
      concatBytes(input, Uint8Array.of(0)),
    ]) {
      const outcome = await call(SM2_VERIFY_PRECOMPILE_ADDRESS, bad);
      expect(returned(outcome)).toBe("0x");
    }
  });

  it("charges its gas whatever the outcome, and runs out of gas below it", async () => {
    const input = concatBytes(MESSAGE, SIGNATURE, PUBLIC_KEY);
    const calldataGas = BigInt([...input].reduce((sum, byte) => sum + (byte === 0 ? 4 : 16), 0));
    const good = await call(SM2_VERIFY_PRECOMPILE_ADDRESS, input);
    expect(good.gasUsed).toBe(21_000n + calldataGas + SM2_VERIFY_PRECOMPILE_GAS);
    const starved = await call(
      SM2_VERIFY_PRECOMPILE_ADDRESS,
      input,
      smExecutor,
      21_000n + calldataGas + 1_000n,
    );
    expect(starved.kind).toBe("error");
  });

  it("exists only on sm chains: on ecdsa the addresses are plain empty accounts", async () => {
    const input = concatBytes(MESSAGE, SIGNATURE, PUBLIC_KEY);
    expect(returned(await call(SM2_VERIFY_PRECOMPILE_ADDRESS, input, chain.executor))).toBe("0x");
    expect(returned(await call(SM3_PRECOMPILE_ADDRESS, input, chain.executor))).toBe("0x");
  });
});
