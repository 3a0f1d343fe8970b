import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { type Block, type Header, signTx, TxType } from "@charter/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConsensusError } from "./errors.js";
import type { ConsensusMessage } from "./messages.js";
import { VoteType } from "./messages.js";
import {
  decodeConsensusMessage,
  encodeConsensusMessage,
  peekCommitHeight,
  peekProposal,
} from "./wireCodec.js";

const suite = createEcdsaSuite();
const chainId = 7345n;
const key = keccak256(new Uint8Array([1]));
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

const header: Header = {
  parentHash: bytes(32, 1),
  height: 5,
  timestampMs: 1_700_000_000_123,
  proposer: bytes(20, 2),
  transactionsRoot: bytes(32, 3),
  receiptsRoot: bytes(32, 4),
  stateRoot: bytes(32, 5),
  logsBloom: bytes(256, 0),
  gasUsed: 21_000n,
  gasLimit: 30_000_000n,
  baseFeePerGas: 0n,
  validatorsHash: bytes(32, 6),
  lastCommit: {
    height: 4,
    round: 1,
    blockHash: bytes(32, 7),
    signatures: [{ validator: bytes(20, 8), signature: bytes(65, 9) }],
  },
  extraData: new Uint8Array(0),
};
const tx = signTx(
  {
    type: TxType.feeMarket,
    chainId,
    nonce: 0n,
    gasPrice: 0n,
    maxFeePerGas: 0n,
    maxPriorityFeePerGas: 0n,
    gasLimit: 21_000n,
    to: bytes(20, 3),
    value: 1n,
    data: new Uint8Array(0),
    accessList: [],
  },
  key,
  suite,
);
const block: Block = { header, transactions: [tx] };

const messages: ConsensusMessage<Block>[] = [
  {
    kind: "proposal",
    height: 5,
    round: 0,
    validRound: -1,
    value: block,
    blockHash: bytes(32, 10),
    proposer: bytes(20, 11),
    signature: bytes(65, 12),
  },
  {
    kind: "proposal",
    height: 5,
    round: 3,
    validRound: 2,
    value: block,
    blockHash: bytes(32, 10),
    proposer: bytes(20, 11),
    signature: bytes(65, 12),
  },
  {
    kind: "vote",
    type: VoteType.prevote,
    height: 5,
    round: 0,
    blockHash: bytes(32, 10),
    validator: bytes(20, 13),
    signature: bytes(65, 14),
  },
  {
    kind: "vote",
    type: VoteType.precommit,
    height: 5,
    round: 2,
    blockHash: null,
    validator: bytes(20, 13),
    signature: bytes(65, 14),
  },
  { kind: "commit", value: block, certificate: header.lastCommit! },
];

const decode = (b: Uint8Array) => decodeConsensusMessage(b, { suite, chainId });

describe("consensus wire codec", () => {
  it("round-trips every message kind", () => {
    for (const message of messages) {
      const decoded = decode(encodeConsensusMessage(message));
      expect(encodeConsensusMessage(decoded)).toEqual(encodeConsensusMessage(message));
      expect(decoded.kind).toBe(message.kind);
      if (decoded.kind === "proposal" && message.kind === "proposal")
        expect(decoded.validRound).toBe(message.validRound);
      if (decoded.kind === "vote" && message.kind === "vote")
        expect(decoded.blockHash).toEqual(message.blockHash);
    }
  });

  it("refuses malformed input with a typed error and never anything else", () => {
    const valid = messages.map(encodeConsensusMessage);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.nat(valid.length - 1),
        fc.nat(),
        (noise, which, at) => {
          // Random bytes, and valid messages with a region overwritten.
          for (const input of [
            noise,
            (() => {
              const copy = valid[which]!.slice();
              copy.set(noise.slice(0, Math.max(0, copy.length - (at % copy.length))), at % copy.length);
              return copy;
            })(),
          ]) {
            try {
              decode(input);
            } catch (error) {
              expect(error).toBeInstanceOf(ConsensusError);
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
    expect(() => decode(new Uint8Array([0xc1, 0x09]))).toThrow(/unknown kind 9/);
  });
});

describe("peekCommitHeight", () => {
  it("reads a commit's height without the block, and nothing from other messages", () => {
    expect(peekCommitHeight(encodeConsensusMessage(messages[4]!))).toBe(4);
    for (const m of messages.slice(0, 4)) expect(peekCommitHeight(encodeConsensusMessage(m))).toBeUndefined();
    expect(peekCommitHeight(new Uint8Array([0xff]))).toBeUndefined();
  });
});

describe("peekProposal", () => {
  it("reads a proposal's height, round and signature without the block, and nothing from other messages", () => {
    const proposals = messages.filter((m) => m.kind === "proposal");
    expect(proposals.length).toBeGreaterThan(0);
    for (const m of proposals)
      expect(peekProposal(encodeConsensusMessage(m))).toEqual({
        height: m.height,
        round: m.round,
        signature: m.signature,
      });
    for (const m of messages.filter((m) => m.kind !== "proposal"))
      expect(peekProposal(encodeConsensusMessage(m))).toBeUndefined();
    expect(peekProposal(new Uint8Array([0xff]))).toBeUndefined();
  });
});
