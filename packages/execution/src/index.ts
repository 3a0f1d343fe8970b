export * from "./errors.js";
export * from "./executor.js";
export * from "./params.js";
export * from "./processTransaction.js";
export * from "./stateOverlay.js";
export * from "./stateReader.js";
export * from "./genesisState.js";
export * from "./predeploys.js";
