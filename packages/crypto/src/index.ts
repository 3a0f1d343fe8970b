export * from "./checksumAddress.js";
export * from "./ecdsa.js";
export * from "./ecrecover.js";
export * from "./errors.js";
export * from "./keccak.js";
export * from "./secp256k1Native.js";
export * from "./suite.js";
