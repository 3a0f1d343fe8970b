import { type Input, RLP } from "@ethereumjs/rlp";
import type { Log, Receipt } from "./block.js";
import { CodecError } from "./errors.js";
import {
  ADDRESS_BYTES,
  HASH_BYTES,
  LOG_TOPICS_MAX,
  RECEIPT_LIMITS_DEFAULT,
  type ReceiptLimits,
} from "./limits.js";
import { decodeRlp, type RlpItem } from "./rlp.js";
import {
  readBytes,
  readFixedBytes,
  readList,
  readOptionalFixedBytes,
  readUint,
  writeBytes,
  writeFixedBytes,
  writeUint,
} from "./rlpFields.js";

const RECEIPT_FIELD_COUNT = 5;
const LOG_FIELD_COUNT = 3;
const UINT64_BYTES = 8;
/** Receipt, its log list, one log, that log's topics. */
const RECEIPT_RLP_DEPTH = 4;

export interface DecodeReceiptOptions {
  readonly limits?: ReceiptLimits;
}

/**
 * Encodes a receipt as `[status, gasUsed, cumulativeGasUsed, contractAddress or empty, [[address, [topics…],
 * data]…]]` with canonical RLP integers. The bloom is not stored: it is a function of the logs. Throws
 * `CodecError("invalid-value")` for a field that does not fit.
 */
export function encodeReceipt(receipt: Receipt): Uint8Array {
  if (receipt.status !== 0 && receipt.status !== 1) {
    throw new CodecError(
      "invalid-value",
      `Cannot encode receipt status: ${String(receipt.status)} is not 0 or 1.`,
    );
  }
  const fields: Input[] = [
    writeUint(receipt.status, "receipt status", 1),
    writeUint(receipt.gasUsed, "receipt gasUsed", UINT64_BYTES),
    writeUint(receipt.cumulativeGasUsed, "receipt cumulativeGasUsed", UINT64_BYTES),
    receipt.contractAddress === null
      ? new Uint8Array(0)
      : writeFixedBytes(receipt.contractAddress, "receipt contractAddress", ADDRESS_BYTES),
    receipt.logs.map(logFields),
  ];
  return RLP.encode(fields);
}

function logFields(log: Log): Input[] {
  if (log.topics.length > LOG_TOPICS_MAX) {
    throw new CodecError(
      "invalid-value",
      `Cannot encode a log with ${log.topics.length} topics; at most 4 exist.`,
    );
  }
  return [
    writeFixedBytes(log.address, "log address", ADDRESS_BYTES),
    log.topics.map((topic) => writeFixedBytes(topic, "log topic", HASH_BYTES)),
    writeBytes(log.data, "log data"),
  ];
}

/** Decodes an encoded receipt, checking its size first and then every field; throws `CodecError`. */
export function decodeReceipt(bytes: Uint8Array, options: DecodeReceiptOptions = {}): Receipt {
  const limits = options.limits ?? RECEIPT_LIMITS_DEFAULT;
  if (bytes.length > limits.receiptBytesMax) {
    throw new CodecError(
      "oversized",
      `The receipt is ${bytes.length} bytes, over the limit of ${limits.receiptBytesMax} bytes.`,
    );
  }
  const fields = readList(
    decodeRlp(bytes, { depthMax: RECEIPT_RLP_DEPTH, label: "receipt" }),
    "receipt",
    RECEIPT_FIELD_COUNT,
  );
  const [status, gasUsed, cumulativeGasUsed, contractAddress, logs] = fields as [
    RlpItem,
    RlpItem,
    RlpItem,
    RlpItem,
    RlpItem,
  ];
  const statusValue = readUint(status, "receipt status", 1);
  if (statusValue > 1n)
    throw new CodecError("malformed", `Malformed receipt status: ${statusValue} is not 0 or 1.`);
  const logItems = readList(logs, "receipt logs");
  if (logItems.length > limits.logsMax) {
    throw new CodecError(
      "malformed",
      `Malformed receipt: ${logItems.length} logs exceed the limit of ${limits.logsMax}.`,
    );
  }
  return {
    status: statusValue === 1n ? 1 : 0,
    gasUsed: readUint(gasUsed, "receipt gasUsed", UINT64_BYTES),
    cumulativeGasUsed: readUint(cumulativeGasUsed, "receipt cumulativeGasUsed", UINT64_BYTES),
    logs: logItems.map(logFromFields),
    contractAddress: readOptionalFixedBytes(contractAddress, "receipt contractAddress", ADDRESS_BYTES),
  };
}

function logFromFields(item: RlpItem): Log {
  const [address, topics, data] = readList(item, "log", LOG_FIELD_COUNT) as [RlpItem, RlpItem, RlpItem];
  const topicItems = readList(topics, "log topics");
  if (topicItems.length > LOG_TOPICS_MAX) {
    throw new CodecError(
      "malformed",
      `Malformed log: ${topicItems.length} topics; at most ${LOG_TOPICS_MAX} exist.`,
    );
  }
  return {
    address: readFixedBytes(address, "log address", ADDRESS_BYTES),
    topics: topicItems.map((topic) => readFixedBytes(topic, "log topic", HASH_BYTES)),
    data: readBytes(data, "log data"),
  };
}
