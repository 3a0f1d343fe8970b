export * from "./chain.js";
export * from "./chainApplication.js";
export * from "./chainStore.js";
export * from "./errors.js";
export * from "./systemContracts.js";
export * from "./validatorRegistry.js";
export * from "./worldState.js";
