export * from "./assert.js";
export * from "./bytes.js";
export * from "./errors.js";
export * from "./quantity.js";
