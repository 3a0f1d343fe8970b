export * from "./devAccounts.js";
export * from "./errors.js";
export * from "./genesis.js";
export * from "./nodeConfig.js";
