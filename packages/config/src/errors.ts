import { CharterError } from "@charter/utils";

export type ConfigErrorCode = "not-found" | "parse" | "invalid" | "io";

/** A configuration or genesis problem, with a message that names the file, the field and what to do. */
export class ConfigError extends CharterError<ConfigErrorCode> {
  override name = "ConfigError";
}
