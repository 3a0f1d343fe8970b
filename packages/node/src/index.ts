export * from "./devSigner.js";
export * from "./errors.js";
export * from "./logger.js";
export * from "./metrics.js";
export * from "./node.js";
export * from "./rpcBackend.js";
export * from "./validatorSet.js";
