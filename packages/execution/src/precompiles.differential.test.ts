/**
 * Every precompile of the Prague rules called with valid, malformed and random input, by Charter's executor and by
 * @ethereumjs/vm `runTx`: the results and the final state must agree, and no input may make execution throw
 * (a throw aborts the whole block, so one transaction could halt the chain). The KZG point evaluation (0x0a) is the
 * exception by design: Charter has no blobs and rejects every proof; see `NO_KZG` in executor.ts.
 */
import { keccak256 } from "@charter/crypto";
import { bigintToFixedBytes, bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@charter/utils";
import type { TypedTransaction } from "@ethereumjs/tx";
import type { VM } from "@ethereumjs/vm";
import fc from "fast-check";
import { parseAbi } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { type BlockEnv, Executor } from "./executor.js";
import { genesisStateDiff } from "./genesisState.js";
import { MapState } from "./testdata/mapState.js";
import {
  createReferenceVM,
  loadState,
  observeCharter,
  observeReference,
  runReferenceTx,
  stateRootOf,
} from "./testdata/reference.js";
import { encodeCall } from "./testdata/testChain.js";
import { createTestCommon, signTestTx, testAccount, toVerifiedTx } from "./testdata/txs.js";

const common = createTestCommon();
const sender = testAccount("precompile caller");
const coinbase = testAccount("precompile coinbase").address;
const blockHash = (height: number) => keccak256(utf8ToBytes(`block ${height}`));
const executor = new Executor({ chainId: common.chainId(), blockHash: async (height) => blockHash(height) });
const env: BlockEnv = {
  height: 1,
  timestampMs: 1_700_000_000_000,
  proposer: coinbase,
  gasLimit: 1_000_000_000n,
};

/** Prague's precompiles, with the input length each one expects (0 where any length is fine). */
const PRECOMPILES = [
  { address: 0x01, length: 128 }, // ecrecover
  { address: 0x02, length: 0 }, // sha256
  { address: 0x03, length: 0 }, // ripemd160
  { address: 0x04, length: 0 }, // identity
  { address: 0x05, length: 96 }, // modexp (header; lengths follow)
  { address: 0x06, length: 128 }, // bn254 add
  { address: 0x07, length: 96 }, // bn254 mul
  { address: 0x08, length: 192 }, // bn254 pairing (per pair)
  { address: 0x09, length: 213 }, // blake2f
  { address: 0x0b, length: 256 }, // BLS12-381 G1 add
  { address: 0x0c, length: 160 }, // G1 MSM (per pair)
  { address: 0x0d, length: 512 }, // G2 add
  { address: 0x0e, length: 288 }, // G2 MSM (per pair)
  { address: 0x0f, length: 384 }, // pairing (per pair)
  { address: 0x10, length: 64 }, // map to G1
  { address: 0x11, length: 128 }, // map to G2
];

function precompileAddress(n: number): Uint8Array {
  return bigintToFixedBytes(BigInt(n), 20);
}

function word(value: bigint): Uint8Array {
  return bigintToFixedBytes(value, 32);
}

/** Inputs that succeed, so that the success paths are compared too, not only the failures. */
function validInputs(): { address: number; data: Uint8Array }[] {
  const blake = new Uint8Array(213);
  blake.set([0, 0, 0, 12]);
  blake[212] = 1;
  return [
    { address: 0x05, data: concatBytes(word(1n), word(1n), word(1n), new Uint8Array([3, 5, 7])) },
    {
      address: 0x05,
      data: concatBytes(
        word(2n),
        word(32n),
        word(2n),
        hexToBytes("0x0102"),
        word(2n ** 255n + 17n),
        hexToBytes("0x0bcd"),
      ),
    },
    // The point at infinity is all zeros in every curve encoding.
    { address: 0x06, data: new Uint8Array(128) },
    { address: 0x06, data: concatBytes(word(1n), word(2n), word(1n), word(2n)) },
    { address: 0x07, data: concatBytes(word(1n), word(2n), word(3n)) },
    { address: 0x08, data: new Uint8Array(0) },
    { address: 0x08, data: new Uint8Array(192) },
    { address: 0x09, data: blake },
    { address: 0x0b, data: new Uint8Array(256) },
    { address: 0x0d, data: new Uint8Array(512) },
    { address: 0x0f, data: new Uint8Array(384) },
    { address: 0x10, data: new Uint8Array(64) },
    { address: 0x11, data: new Uint8Array(128) },
  ];
}

/** Random input around the expected length: empty, exact, one byte off, a multiple, anything. */
const randomInput = fc
  .record({
    precompile: fc.constantFrom(...PRECOMPILES),
    shape: fc.constantFrom("empty", "exact", "short", "long", "double", "any"),
    zeros: fc.boolean(),
    seed: fc.uint8Array({ maxLength: 1_024 }),
  })
  .map(({ precompile, shape, zeros, seed }) => {
    const base = precompile.length || 64;
    const length = {
      empty: 0,
      exact: base,
      short: Math.max(0, base - 1),
      long: base + 1,
      double: base * 2,
      any: seed.length,
    }[shape];
    const data = new Uint8Array(length);
    for (let i = 0; i < length; i++)
      data[i] = zeros && i % 3 !== 0 ? 0 : (seed[i % Math.max(1, seed.length)] ?? 0);
    return { address: precompile.address, data };
  });

let vm: VM;
let state: MapState;

beforeAll(async () => {
  state = MapState.fromDiff(genesisStateDiff(new Map([[sender.hex, { balance: 10n ** 24n }]])));
  vm = await createReferenceVM(common, blockHash);
  await loadState(vm.stateManager, state);
});

describe("precompiles", () => {
  it("give the same results as the reference for valid, malformed and random input, and never throw", async () => {
    const inputs = [...validInputs(), ...fc.sample(randomInput, { seed: 20_240_601, numRuns: 150 })];
    const txs: TypedTransaction[] = inputs.map(({ address, data }, nonce) =>
      signTestTx(common, sender, {
        nonce: BigInt(nonce),
        to: precompileAddress(address),
        data,
        gasLimit: 3_000_000n,
      }),
    );
    const execution = await executor.executeBlock({
      base: state,
      env,
      transactions: txs.map(toVerifiedTx),
      mode: "validate",
    });
    for (const [i, tx] of txs.entries()) {
      const reference = observeReference(tx, await runReferenceTx(vm, env, tx));
      expect(observeCharter(execution.outcomes[i]!), `input ${i} to ${inputs[i]!.address}`).toEqual(
        reference,
      );
    }
    // The hand-written valid inputs all succeed.
    expect(execution.outcomes.slice(0, validInputs().length).map((o) => o.status)).toEqual(
      validInputs().map(() => 1),
    );
    state.apply(execution.diff);
    expect(await stateRootOf(common, state)).toBe(bytesToHex(await vm.stateManager.getStateRoot()));
  });

  it("fail every KZG point evaluation (0x0a), directly or from a contract, without aborting the block", async () => {
    const multicall = parseAbi([
      "struct Call3 { address target; bool allowFailure; bytes callData; }",
      "struct Result { bool success; bytes returnData; }",
      "function aggregate3(Call3[] calls) payable returns (Result[] returnData)",
    ]);
    const input = new Uint8Array(192);
    const nonce = state.getAccount(sender.address)!.nonce;
    const direct = signTestTx(common, sender, {
      nonce,
      to: precompileAddress(0x0a),
      data: input,
      gasLimit: 100_000n,
    });
    const nested = signTestTx(common, sender, {
      nonce: nonce + 1n,
      to: hexToBytes("0xca11bde05977b3631167028862be2a173976ca11"),
      data: encodeCall(multicall, "aggregate3", [
        [{ target: bytesToHex(precompileAddress(0x0a)), allowFailure: true, callData: bytesToHex(input) }],
      ]),
      gasLimit: 200_000n,
    });
    const execution = await executor.executeBlock({
      base: state,
      env: { ...env, height: 2 },
      transactions: [direct, nested].map(toVerifiedTx),
      mode: "build",
    });
    expect(execution.rejected).toHaveLength(0);
    expect(execution.outcomes.map((o) => o.status)).toEqual([0, 1]);
    expect(execution.outcomes[0]!.gasUsed).toBe(100_000n);
    const call = await executor.call({
      base: state,
      env,
      request: { to: precompileAddress(0x0a), data: input, gas: 100_000n },
    });
    expect(call.kind).toBe("error");
  });
});
