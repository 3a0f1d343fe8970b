import { CharterError } from "@charter/utils";

export type NodeErrorCode = "config" | "unsupported";

export class NodeError extends CharterError<NodeErrorCode> {
  override name = "NodeError";
}
