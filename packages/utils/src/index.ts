export * from "./assert.js";
export * from "./boundedCache.js";
export * from "./bytes.js";
export * from "./clock.js";
export * from "./errors.js";
export * from "./quantity.js";
