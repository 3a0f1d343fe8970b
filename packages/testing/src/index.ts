export * from "./nodeProcess.js";
export * from "./solc.js";
