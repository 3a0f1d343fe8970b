import { CharterError } from "@charter/utils";

export type NodeErrorCode = "config" | "unsupported" | "sync";

export class NodeError extends CharterError<NodeErrorCode> {
  override name = "NodeError";
}
