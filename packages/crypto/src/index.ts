export * from "./suite.js";
