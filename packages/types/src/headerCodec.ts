import type { CryptoSuite } from "@charter/crypto";
import { type Input, RLP } from "@ethereumjs/rlp";
import type { CommitCertificate, Header } from "./block.js";
import { CodecError } from "./errors.js";
import {
  ADDRESS_BYTES,
  BLOOM_BYTES,
  EXTRA_DATA_BYTES_MAX,
  HASH_BYTES,
  HEADER_LIMITS_DEFAULT,
  type HeaderLimits,
} from "./limits.js";
import { decodeRlp, type RlpItem } from "./rlp.js";
import {
  readBytesUpTo,
  readFixedBytes,
  readList,
  readSafeInteger,
  readUint,
  writeBytes,
  writeBytesUpTo,
  writeFixedBytes,
  writeUint,
} from "./rlpFields.js";

const HEADER_FIELD_COUNT = 14;
const COMMIT_FIELD_COUNT = 4;
const UINT64_BYTES = 8;
const UINT256_BYTES = 32;
/** Header, lastCommit, its signature list, one signature pair. */
export const HEADER_RLP_DEPTH = 4;

export interface DecodeHeaderOptions {
  readonly limits?: HeaderLimits;
}

/**
 * Encodes a header as the RLP list of its fields in declaration order:
 * `[parentHash, height, timestampMs, proposer, transactionsRoot, receiptsRoot, stateRoot, logsBloom, gasUsed,
 * gasLimit, baseFeePerGas, validatorsHash, lastCommit, extraData]`, where `lastCommit` is `[]` when null, else
 * `[height, round, blockHash, [[validator, signature]…]]`. Checks every field first and throws
 * `CodecError("invalid-value")`, so a bad header is never persisted or hashed.
 */
export function encodeHeader(header: Header): Uint8Array {
  return RLP.encode(headerFields(header));
}

/**
 * Decodes an untrusted encoded header, checking the exact field count, every field length and the limits; throws
 * `CodecError("oversized" | "malformed")`.
 */
export function decodeHeader(bytes: Uint8Array, options: DecodeHeaderOptions = {}): Header {
  const limits = options.limits ?? HEADER_LIMITS_DEFAULT;
  if (bytes.length > limits.headerBytesMax) {
    throw new CodecError(
      "oversized",
      `The header is ${bytes.length} bytes, over the limit of ${limits.headerBytesMax} bytes.`,
    );
  }
  return headerFromFields(decodeRlp(bytes, { depthMax: HEADER_RLP_DEPTH, label: "header" }), limits);
}

/**
 * The block hash: `suite.hash(encodeHeader(header))`. The header commits to the transactions, receipts and state
 * through their roots, so this one hash identifies the whole block.
 */
export function hashHeader(header: Header, suite: CryptoSuite): Uint8Array {
  return suite.hash(encodeHeader(header));
}

/** The header's RLP fields in wire order, checked; `encodeBlock` nests them in the block. */
export function headerFields(header: Header): Input[] {
  const { lastCommit } = header;
  return [
    writeFixedBytes(header.parentHash, "header parentHash", HASH_BYTES),
    writeUint(header.height, "header height", UINT64_BYTES),
    writeUint(header.timestampMs, "header timestampMs", UINT64_BYTES),
    writeFixedBytes(header.proposer, "header proposer", ADDRESS_BYTES),
    writeFixedBytes(header.transactionsRoot, "header transactionsRoot", HASH_BYTES),
    writeFixedBytes(header.receiptsRoot, "header receiptsRoot", HASH_BYTES),
    writeFixedBytes(header.stateRoot, "header stateRoot", HASH_BYTES),
    writeFixedBytes(header.logsBloom, "header logsBloom", BLOOM_BYTES),
    writeUint(header.gasUsed, "header gasUsed", UINT64_BYTES),
    writeUint(header.gasLimit, "header gasLimit", UINT64_BYTES),
    writeUint(header.baseFeePerGas, "header baseFeePerGas", UINT256_BYTES),
    writeFixedBytes(header.validatorsHash, "header validatorsHash", HASH_BYTES),
    lastCommit === null ? [] : commitFields(lastCommit),
    writeBytesUpTo(header.extraData, "header extraData", EXTRA_DATA_BYTES_MAX),
  ];
}

/**
 * A commit certificate on its own, encoded exactly as inside a header's `lastCommit`: consensus catch-up
 * messages carry one beside the block it decided.
 */
export function encodeCommitCertificate(commit: CommitCertificate): Uint8Array {
  return RLP.encode(commitFields(commit));
}

/** Decodes an untrusted commit certificate (see `encodeCommitCertificate`); an empty list is refused. */
export function decodeCommitCertificate(
  bytes: Uint8Array,
  options: DecodeHeaderOptions = {},
): CommitCertificate {
  const limits = options.limits ?? HEADER_LIMITS_DEFAULT;
  if (bytes.length > limits.headerBytesMax) {
    throw new CodecError(
      "oversized",
      `The commit certificate is ${bytes.length} bytes, over the limit of ${limits.headerBytesMax} bytes.`,
    );
  }
  const certificate = commitFromFields(
    decodeRlp(bytes, { depthMax: HEADER_RLP_DEPTH - 1, label: "commit certificate" }),
    limits,
  );
  if (certificate === null) throw new CodecError("malformed", "The commit certificate is empty.");
  return certificate;
}

function commitFields(commit: CommitCertificate): Input[] {
  return [
    writeUint(commit.height, "lastCommit height", UINT64_BYTES),
    writeUint(commit.round, "lastCommit round", UINT64_BYTES),
    writeFixedBytes(commit.blockHash, "lastCommit blockHash", HASH_BYTES),
    commit.signatures.map((signature) => [
      writeFixedBytes(signature.validator, "lastCommit validator", ADDRESS_BYTES),
      writeBytes(signature.signature, "lastCommit signature"),
    ]),
  ];
}

/** Reads a header from its decoded RLP list; `decodeBlock` calls this on the nested header. */
export function headerFromFields(item: RlpItem, limits: HeaderLimits): Header {
  const fields = readList(item, "header", HEADER_FIELD_COUNT);
  let i = 0;
  const next = (): RlpItem => fields[i++]!;
  return {
    parentHash: readFixedBytes(next(), "header parentHash", HASH_BYTES),
    height: readSafeInteger(next(), "header height"),
    timestampMs: readSafeInteger(next(), "header timestampMs"),
    proposer: readFixedBytes(next(), "header proposer", ADDRESS_BYTES),
    transactionsRoot: readFixedBytes(next(), "header transactionsRoot", HASH_BYTES),
    receiptsRoot: readFixedBytes(next(), "header receiptsRoot", HASH_BYTES),
    stateRoot: readFixedBytes(next(), "header stateRoot", HASH_BYTES),
    logsBloom: readFixedBytes(next(), "header logsBloom", BLOOM_BYTES),
    gasUsed: readUint(next(), "header gasUsed", UINT64_BYTES),
    gasLimit: readUint(next(), "header gasLimit", UINT64_BYTES),
    baseFeePerGas: readUint(next(), "header baseFeePerGas", UINT256_BYTES),
    validatorsHash: readFixedBytes(next(), "header validatorsHash", HASH_BYTES),
    lastCommit: commitFromFields(next(), limits),
    extraData: readBytesUpTo(next(), "header extraData", EXTRA_DATA_BYTES_MAX),
  };
}

function commitFromFields(item: RlpItem, limits: HeaderLimits): CommitCertificate | null {
  const fields = readList(item, "header lastCommit");
  if (fields.length === 0) return null;
  if (fields.length !== COMMIT_FIELD_COUNT) {
    throw new CodecError(
      "malformed",
      `Malformed header lastCommit: expected an empty list or ${COMMIT_FIELD_COUNT} items, got ${fields.length}.`,
    );
  }
  const [height, round, blockHash, signatures] = fields as [RlpItem, RlpItem, RlpItem, RlpItem];
  const signatureItems = readList(signatures, "lastCommit signatures");
  if (signatureItems.length > limits.commitSignaturesMax) {
    throw new CodecError(
      "malformed",
      `Malformed header lastCommit: ${signatureItems.length} signatures exceed the limit of ${limits.commitSignaturesMax}.`,
    );
  }
  return {
    height: readSafeInteger(height, "lastCommit height"),
    round: readSafeInteger(round, "lastCommit round"),
    blockHash: readFixedBytes(blockHash, "lastCommit blockHash", HASH_BYTES),
    signatures: signatureItems.map((pair) => {
      const [validator, signature] = readList(pair, "lastCommit signature", 2) as [RlpItem, RlpItem];
      return {
        validator: readFixedBytes(validator, "lastCommit validator", ADDRESS_BYTES),
        signature: readBytesUpTo(signature, "lastCommit signature", limits.commitSignatureBytesMax),
      };
    }),
  };
}
