export * from "./abiEncode.js";
export * from "./addresses.js";
export * from "./artifacts.js";
export * from "./constants.js";
export * from "./errors.js";
export * from "./genesis.js";
export * from "./slots.js";
export * from "./systemContracts.js";
