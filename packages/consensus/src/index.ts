export * from "./application.js";
export * from "./clock.js";
export * from "./soloProducer.js";
