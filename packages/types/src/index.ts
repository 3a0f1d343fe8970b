export * from "./block.js";
export * from "./transaction.js";
