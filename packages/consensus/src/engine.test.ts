import type { Block, VerifiedTx } from "@charter/types";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../test/engine/virtualClock.js";
import { createSimCrypto } from "../test/sim/simCrypto.js";
import type { SignStateRecord } from "./consensusCore.js";
import { ConsensusEngine, type ConsensusTransport } from "./engine.js";
import { type ConsensusMessage, SignedType, type Vote, VoteType } from "./messages.js";
import { signBytes } from "./signBytes.js";
import { createValidatorSet } from "./validatorSet.js";
import { VOTES_PER_VALIDATOR_SLOT_MAX } from "./voteSet.js";

const CHAIN_ID = 11n;
const crypto = createSimCrypto();
const keys = [1, 2, 3, 4].map((i) => new Uint8Array(32).fill(i));
const pubs = keys.map((k) => crypto.publicKeyFromPrivateKey(k));
const addrs = pubs.map((p) => crypto.addressFromPublicKey(p));
const validators = createValidatorSet(
  addrs.map((address, i) => ({ address, publicKey: pubs[i]!, weight: 1 })),
);

function vote(signer: number, type: VoteType, round: number, fill: number): Vote {
  const blockHash = new Uint8Array(32).fill(fill);
  const signed = type === VoteType.prevote ? SignedType.prevote : SignedType.precommit;
  const digest = crypto.hash(signBytes({ chainId: CHAIN_ID, type: signed, height: 1, round, blockHash }));
  return {
    kind: "vote",
    type,
    height: 1,
    round,
    blockHash,
    validator: addrs[signer]!,
    signature: crypto.sign(digest, keys[signer]!),
  };
}

/** One engine (validator 0) with in-memory fakes; `deliver` hands it a message as the transport would. */
function engineWithLog() {
  const warnings: Record<string, unknown>[] = [];
  const debugs: string[] = [];
  let handler: ((from: string, message: ConsensusMessage<Block>) => void) | undefined;
  const transport: ConsensusTransport<Block> = {
    broadcast() {},
    send() {},
    onMessage(h) {
      handler = h;
      return () => {
        handler = undefined;
      };
    },
  };
  let record: SignStateRecord<Block> | null = null;
  const engine = new ConsensusEngine<{ block: Block; hash: Uint8Array }>(
    { chainId: CHAIN_ID, address: addrs[0]! },
    {
      app: {
        headHeight: () => 0,
        headCertificate: () => null,
        propose: () => Promise.reject(new Error("no blocks in this test")),
        validate: () => Promise.reject(new Error("no blocks in this test")),
        commit: () => Promise.resolve(),
      },
      transport,
      wal: {
        load: () => record,
        persist: async (r) => {
          record = r;
        },
      },
      clock: new VirtualClock(0),
      crypto,
      sign: (digest) => crypto.sign(digest, keys[0]!),
      validatorSet: () => validators,
      selectTransactions: () => [],
      logger: {
        debug: (_fields, message) => debugs.push(message),
        info() {},
        warn: (fields, message) => {
          if (message.includes("two different votes")) warnings.push(fields);
        },
        error() {},
      },
    },
  );
  engine.start();
  const deliver = async (from: number, message: Vote) => {
    handler?.(String(from), message);
    await engine.settled();
  };
  return { engine, warnings, debugs, deliver };
}

describe("ConsensusEngine: equivocation log", () => {
  it("warns once per (validator, height, round, type), however many copies of a dropped vote arrive", async () => {
    const { engine, warnings, debugs, deliver } = engineWithLog();
    const z = 3;
    // Validator z prevotes more distinct values in round 0 than the per-slot cap keeps; the last two are dropped.
    const values = Array.from({ length: VOTES_PER_VALIDATOR_SLOT_MAX + 2 }, (_, i) => 10 + i);
    for (const fill of values) await deliver(z, vote(z, VoteType.prevote, 0, fill));
    // Relayed and rebroadcast copies of the dropped votes arrive again and again, each reported by the core.
    for (let copy = 0; copy < 5; copy++)
      for (const fill of values.slice(-2)) await deliver(1, vote(z, VoteType.prevote, 0, fill));
    expect(warnings).toEqual([
      { validator: expect.any(String), height: 1, round: 0, type: VoteType.prevote },
    ]);
    expect(debugs.filter((m) => m.includes("two different votes")).length).toBeGreaterThanOrEqual(10);
    // Another slot of the same validator is a new report: precommits of round 0, prevotes of round 1.
    await deliver(z, vote(z, VoteType.precommit, 0, 1));
    await deliver(z, vote(z, VoteType.precommit, 0, 2));
    await deliver(z, vote(z, VoteType.prevote, 1, 1));
    await deliver(z, vote(z, VoteType.prevote, 1, 2));
    await deliver(z, vote(z, VoteType.prevote, 1, 3));
    expect(warnings.map((w) => [w.round, w.type])).toEqual([
      [0, VoteType.prevote],
      [0, VoteType.precommit],
      [1, VoteType.prevote],
    ]);
    await engine.stop();
  });
});

describe("ConsensusEngine: proposal build budget", () => {
  it("stops drawing candidate transactions when a third of the propose timeout is spent", async () => {
    const me = validators.validators.indexOf(validators.proposer(1, 0));
    const virtual = new VirtualClock(0);
    // The application's execution is what moves time here: 100 ms per transaction drawn.
    let nowMs = 0;
    const clock = { now: () => nowMs, setTimer: (ms: number, fn: () => void) => virtual.setTimer(ms, fn) };
    let drawn = -1;
    const candidates = Array.from({ length: 100 }, (_, i) => ({ nonce: i }) as unknown as VerifiedTx);
    const engine = new ConsensusEngine<{ block: Block; hash: Uint8Array }>(
      { chainId: CHAIN_ID, address: addrs[me]! },
      {
        app: {
          headHeight: () => 0,
          headCertificate: () => null,
          propose: async (input) => {
            drawn = 0;
            for (const _ of input.transactions) {
              drawn++;
              nowMs += 100;
            }
            throw new Error("the test only counts what the build drew");
          },
          validate: () => Promise.reject(new Error("no blocks in this test")),
          commit: () => Promise.resolve(),
        },
        transport: { broadcast() {}, send() {}, onMessage: () => () => {} },
        wal: { load: () => null, persist: async () => {} },
        clock,
        crypto,
        sign: (digest) => crypto.sign(digest, keys[me]!),
        validatorSet: () => validators,
        selectTransactions: () => candidates,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
      },
    );
    engine.start();
    await engine.settled();
    // Default propose timeout 3,000 ms: a budget of 1,000 ms is ten transactions of 100 ms.
    expect(drawn).toBe(10);
    await engine.stop();
  });
});
