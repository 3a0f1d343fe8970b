import type { CryptoSuite } from "@charter/crypto";
import {
  type Block,
  type BlockLimits,
  decodeBlock,
  decodeCommitCertificate,
  decodeRlp,
  encodeBlock,
  encodeCommitCertificate,
} from "@charter/types";
import { bigintToBytes, bytesToBigint } from "@charter/utils";
import { RLP } from "@ethereumjs/rlp";
import { ConsensusError } from "./errors.js";
import type { ConsensusMessage } from "./messages.js";
import { VoteType } from "./messages.js";

/**
 * Consensus messages on the wire between nodes. Each is an RLP list whose first item names its kind:
 *
 * - proposal `[1, height, round, validRound + 1, block, blockHash, proposer, signature]` (`validRound` is −1 or
 *   more, so it travels shifted by one);
 * - vote `[2, voteType, height, round, blockHash or empty for nil, validator, signature]`;
 * - commit `[3, block, certificate]`.
 *
 * The block and the certificate are nested as byte strings in their own encodings (`encoding.md`), so the outer
 * list stays one level deep and each part is decoded with its own limits. Decoding checks shapes and lengths only;
 * signatures and membership are the consensus core's `validateBasic`.
 */
export const ConsensusWireKind = { proposal: 1, vote: 2, commit: 3 } as const;

const HASH_BYTES = 32;
const ADDRESS_BYTES = 20;
/** Largest signature accepted on the wire (65 for ecdsa; room for other suites). */
const SIGNATURE_BYTES_MAX = 128;
/** Heights and rounds are safe integers. */
const UINT_BYTES_MAX = 6;

export function encodeConsensusMessage(message: ConsensusMessage<Block>): Uint8Array {
  switch (message.kind) {
    case "proposal":
      return RLP.encode([
        ConsensusWireKind.proposal,
        bigintToBytes(BigInt(message.height)),
        bigintToBytes(BigInt(message.round)),
        bigintToBytes(BigInt(message.validRound + 1)),
        encodeBlock(message.value),
        message.blockHash,
        message.proposer,
        message.signature,
      ]);
    case "vote":
      return RLP.encode([
        ConsensusWireKind.vote,
        message.type,
        bigintToBytes(BigInt(message.height)),
        bigintToBytes(BigInt(message.round)),
        message.blockHash ?? new Uint8Array(0),
        message.validator,
        message.signature,
      ]);
    case "commit":
      return RLP.encode([
        ConsensusWireKind.commit,
        encodeBlock(message.value),
        encodeCommitCertificate(message.certificate),
      ]);
  }
}

/**
 * The height a catch-up commit message decides, read from its small certificate without decoding the block; or
 * `undefined` for any other message (or bytes that are not a well-formed commit message). Lets a node drop
 * catch-ups for heights it already has before paying for the block.
 */
export function peekCommitHeight(bytes: Uint8Array): number | undefined {
  try {
    const item = decodeRlp(bytes, { depthMax: 1, label: "consensus message" });
    if (!Array.isArray(item) || item.length !== 3) return undefined;
    const [kind, , certificate] = item as Uint8Array[];
    if (!(kind instanceof Uint8Array) || kind.length !== 1 || kind[0] !== ConsensusWireKind.commit)
      return undefined;
    if (!(certificate instanceof Uint8Array)) return undefined;
    return decodeCommitCertificate(certificate).height;
  } catch {
    return undefined;
  }
}

/**
 * Height, round and signature of a proposal, read without decoding its block; or `undefined` for any other message
 * (or bytes that are not a well-formed proposal envelope). Lets a node drop a copy of a proposal it already holds
 * (rebroadcasts and POL relays re-send it) before paying for the block.
 */
export function peekProposal(
  bytes: Uint8Array,
): { readonly height: number; readonly round: number; readonly signature: Uint8Array } | undefined {
  try {
    const item = decodeRlp(bytes, { depthMax: 1, label: "consensus message" });
    if (!Array.isArray(item) || item.length !== 8) return undefined;
    const [kind, height, round, , , , , signature] = item as Uint8Array[];
    if (!(kind instanceof Uint8Array) || kind.length !== 1 || kind[0] !== ConsensusWireKind.proposal)
      return undefined;
    const uint = (field: Uint8Array | undefined) =>
      field instanceof Uint8Array && field.length <= UINT_BYTES_MAX && (field.length === 0 || field[0] !== 0)
        ? Number(bytesToBigint(field))
        : undefined;
    const h = uint(height);
    const r = uint(round);
    if (h === undefined || r === undefined || !(signature instanceof Uint8Array)) return undefined;
    return { height: h, round: r, signature };
  } catch {
    return undefined;
  }
}

export interface DecodeConsensusMessageOptions {
  readonly suite: CryptoSuite;
  readonly chainId: bigint;
  readonly blockLimits?: BlockLimits;
}

/** Decodes an untrusted consensus message; throws `ConsensusError("malformed-message")` naming what is wrong. */
export function decodeConsensusMessage(
  bytes: Uint8Array,
  options: DecodeConsensusMessageOptions,
): ConsensusMessage<Block> {
  const malformed = (why: string, cause?: unknown) =>
    new ConsensusError(
      "malformed-message",
      `malformed consensus message: ${why}`,
      cause === undefined ? undefined : { cause },
    );
  let fields: Uint8Array[];
  try {
    const item = decodeRlp(bytes, { depthMax: 1, label: "consensus message" });
    if (!Array.isArray(item) || item.some((f) => Array.isArray(f))) throw malformed("expected a flat list");
    fields = item as Uint8Array[];
  } catch (error) {
    if (error instanceof ConsensusError) throw error;
    throw malformed((error as Error).message, error);
  }
  const uint = (field: Uint8Array | undefined, name: string): number => {
    if (field === undefined) throw malformed(`${name} is missing`);
    if (field.length > UINT_BYTES_MAX) throw malformed(`${name} is too large`);
    if (field.length > 0 && field[0] === 0) throw malformed(`${name} has leading zeros`);
    return Number(bytesToBigint(field));
  };
  const fixed = (field: Uint8Array | undefined, name: string, length: number): Uint8Array => {
    if (field === undefined || field.length !== length) throw malformed(`${name} must be ${length} bytes`);
    return field;
  };
  const signature = (field: Uint8Array | undefined): Uint8Array => {
    if (field === undefined || field.length === 0 || field.length > SIGNATURE_BYTES_MAX)
      throw malformed("bad signature length");
    return field;
  };
  const block = (field: Uint8Array | undefined): Block => {
    if (field === undefined) throw malformed("block is missing");
    try {
      return decodeBlock(field, {
        suite: options.suite,
        chainId: options.chainId,
        ...(options.blockLimits ? { limits: options.blockLimits } : {}),
      });
    } catch (error) {
      throw malformed(`bad block: ${(error as Error).message}`, error);
    }
  };
  const kind = uint(fields[0], "kind");
  switch (kind) {
    case ConsensusWireKind.proposal: {
      if (fields.length !== 8) throw malformed(`a proposal has 8 fields, got ${fields.length}`);
      return {
        kind: "proposal",
        height: uint(fields[1], "height"),
        round: uint(fields[2], "round"),
        validRound: uint(fields[3], "validRound") - 1,
        value: block(fields[4]),
        blockHash: fixed(fields[5], "blockHash", HASH_BYTES),
        proposer: fixed(fields[6], "proposer", ADDRESS_BYTES),
        signature: signature(fields[7]),
      };
    }
    case ConsensusWireKind.vote: {
      if (fields.length !== 7) throw malformed(`a vote has 7 fields, got ${fields.length}`);
      const type = uint(fields[1], "vote type");
      if (type !== VoteType.prevote && type !== VoteType.precommit)
        throw malformed(`unknown vote type ${type}`);
      const hash = fields[4]!;
      if (hash.length !== 0 && hash.length !== HASH_BYTES)
        throw malformed("blockHash must be empty (nil) or 32 bytes");
      return {
        kind: "vote",
        type,
        height: uint(fields[2], "height"),
        round: uint(fields[3], "round"),
        blockHash: hash.length === 0 ? null : hash,
        validator: fixed(fields[5], "validator", ADDRESS_BYTES),
        signature: signature(fields[6]),
      };
    }
    case ConsensusWireKind.commit: {
      if (fields.length !== 3) throw malformed(`a commit has 3 fields, got ${fields.length}`);
      let certificate: ReturnType<typeof decodeCommitCertificate>;
      try {
        certificate = decodeCommitCertificate(fields[2]!);
      } catch (error) {
        throw malformed(`bad certificate: ${(error as Error).message}`, error);
      }
      return { kind: "commit", value: block(fields[1]), certificate };
    }
    default:
      throw malformed(`unknown kind ${kind}`);
  }
}
