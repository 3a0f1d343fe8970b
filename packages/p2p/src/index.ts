export * from "./certificate.js";
export * from "./der.js";
export * from "./errors.js";
export * from "./frame.js";
export * from "./hello.js";
export * from "./peerCertificates.js";
export * from "./peerNetwork.js";
