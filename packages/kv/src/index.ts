export * from "./encrypted.js";
export * from "./encryptionKeyFile.js";
export * from "./errors.js";
export * from "./level.js";
export * from "./lmdb.js";
export * from "./memory.js";
export * from "./open.js";
export * from "./store.js";
