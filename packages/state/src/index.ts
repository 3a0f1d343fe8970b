export * from "./account.js";
export * from "./errors.js";
export * from "./keys.js";
export * from "./nodeCache.js";
export * from "./stateDB.js";
export * from "./trie.js";
