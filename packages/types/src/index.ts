export * from "./block.js";
export { type DecodeBlockOptions, decodeBlock, encodeBlock } from "./blockCodec.js";
export * from "./bloom.js";
export * from "./createUnsignedTx.js";
export * from "./errors.js";
export {
  type DecodeHeaderOptions,
  decodeCommitCertificate,
  decodeHeader,
  encodeCommitCertificate,
  encodeHeader,
  hashHeader,
} from "./headerCodec.js";
export * from "./limits.js";
export * from "./merkle.js";
export { type DecodeReceiptOptions, decodeReceipt, encodeReceipt } from "./receiptCodec.js";
export { type DecodeRlpOptions, decodeRlp, type RlpItem } from "./rlp.js";
export * from "./roots.js";
export * from "./transaction.js";
export * from "./txCodec.js";
export * from "./txSigner.js";
