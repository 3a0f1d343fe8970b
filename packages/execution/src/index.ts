export * from "./errors.js";
export * from "./executor.js";
export * from "./genesisState.js";
export * from "./params.js";
export * from "./predeploys.js";
export * from "./processTransaction.js";
export * from "./stateOverlay.js";
export * from "./stateReader.js";
