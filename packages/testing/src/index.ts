export * from "./devKeys.js";
export * from "./faultProxy.js";
export * from "./fixedPorts.js";
export * from "./jsonRpc.js";
export * from "./nodeProcess.js";
export * from "./solc.js";
