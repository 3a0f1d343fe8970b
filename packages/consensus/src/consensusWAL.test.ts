import { createHash } from "node:crypto";
import { createMemoryKv } from "@charter/kv";
import { describe, expect, it } from "vitest";
import type { SignStateRecord } from "./consensusCore.js";
import { KvConsensusWAL, SIGN_STATE_KEY } from "./consensusWAL.js";
import { SignedType, VoteType } from "./messages.js";

const crypto = { hash: (d: Uint8Array) => new Uint8Array(createHash("sha256").update(d).digest()) };
const codec = { encode: (v: Uint8Array) => v, decode: (b: Uint8Array) => b };

const record: SignStateRecord<Uint8Array> = {
  height: 12,
  round: 3,
  signedType: SignedType.precommit,
  lockedRound: 2,
  lockedValue: Uint8Array.of(1, 2, 3),
  validRound: 2,
  validValue: Uint8Array.of(1, 2, 3),
  ownMessages: [
    {
      kind: "proposal",
      height: 12,
      round: 2,
      validRound: -1,
      value: Uint8Array.of(1, 2, 3),
      blockHash: new Uint8Array(32).fill(5),
      proposer: new Uint8Array(20).fill(1),
      signature: new Uint8Array(65).fill(2),
    },
    {
      kind: "vote",
      type: VoteType.prevote,
      height: 12,
      round: 3,
      blockHash: null,
      validator: new Uint8Array(20).fill(1),
      signature: new Uint8Array(65).fill(3),
    },
  ],
};

describe("KvConsensusWAL", () => {
  it("reads back exactly what it persisted, and nothing on a fresh store", async () => {
    const kv = createMemoryKv();
    const wal = new KvConsensusWAL({}, { store: kv, crypto, codec });
    expect(wal.load()).toBeNull();
    await wal.persist(record);
    expect(new KvConsensusWAL({}, { store: kv, crypto, codec }).load()).toEqual(record);
  });

  it("stops on a torn or corrupted record instead of treating it as never signed", async () => {
    const kv = createMemoryKv();
    const wal = new KvConsensusWAL({}, { store: kv, crypto, codec });
    await wal.persist(record);
    const good = kv.getSync(SIGN_STATE_KEY)!;
    const damaged = [
      good.slice(0, good.length - 10),
      good.slice(0, 3),
      Uint8Array.from(good, (b, i) => (i === 20 ? b ^ 1 : b)),
    ];
    for (const bytes of damaged) {
      await kv.write([{ type: "put", key: SIGN_STATE_KEY, value: bytes }]);
      expect(() => wal.load()).toThrow(expect.objectContaining({ code: "corrupt-sign-state" }));
    }
  });
});
