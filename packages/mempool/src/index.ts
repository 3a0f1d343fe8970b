export * from "./errors.js";
export * from "./mempool.js";
