import { CharterError } from "@charter/utils";

/** `certificate`: the node's own consortium certificates cannot be used (expired, invalid, not its key's). */
export type NodeErrorCode = "config" | "unsupported" | "sync" | "certificate";

export class NodeError extends CharterError<NodeErrorCode> {
  override name = "NodeError";
}
