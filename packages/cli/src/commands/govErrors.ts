import { type CharterRevert, charterRevertOf, enumName, isCharterSDKError } from "@charter/sdk";

/**
 * Turns what can go wrong talking to a node into one clear sentence for `charter gov`: a system contract's revert
 * by its custom error (`AlreadyVoted(3, 0x…)`) with what it means, an unreachable node, a node without the
 * `charter_*` methods, a transaction refused at admission, a receipt that never came.
 */

/** What a revert means for the operator, by error name. */
const MEANINGS: Readonly<Record<string, (revert: CharterRevert) => string>> = {
  NotMember: (r) =>
    `${String(r.args[0]).toLowerCase()} is not a committee member; sign with a member's key (--key-file; on an sm chain also --crypto sm)`,
  AlreadyVoted: (r) => `this member has already voted on proposal ${r.args[0]}`,
  ProposalClosed: (r) =>
    `proposal ${r.args[0]} is already ${enumName("enum Committee.State", Number(r.args[1])) ?? "closed"}`,
  ProposalExpired: (r) => `voting on proposal ${r.args[0]} ended with block ${r.args[1]}`,
  ProposalOutdated: (r) => `the committee changed after proposal ${r.args[0]} was made; propose it again`,
  UnknownProposal: (r) => `there is no proposal ${r.args[0]}`,
  ExecutionFailed: (r) =>
    `proposal ${r.args[0]} would pass, but its call fails${r.cause ? ` with ${r.cause.message}` : ""}; the vote was not recorded and the proposal stays open until it expires`,
  TargetNotContract: (r) => `${r.args[0]} has no code`,
  InvalidVotingPeriod: (r) => `--voting-blocks must be from 1 to ${r.args[1]}`,
  DescriptionTooLong: (r) => `the description must be at most ${r.args[1]} bytes`,
  CallDataTooLong: (r) => `the call must be at most ${r.args[1]} bytes`,
};

const NETWORK_ERRORS = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ECONNRESET", "ETIMEDOUT"]);

/** The errors of an error's `cause` chain, outermost first. */
function chain(error: unknown): Error[] {
  const errors: Error[] = [];
  for (let e: unknown = error; e instanceof Error && errors.length < 8; e = e.cause) errors.push(e);
  return errors;
}

function nodeUnreachable(error: unknown): string | undefined {
  const errors = chain(error);
  const code = errors.map((e) => (e as { code?: unknown }).code).find((c) => NETWORK_ERRORS.has(String(c)));
  if (code !== undefined) return String(code);
  return errors.some((e) => e.name === "HttpRequestError" && /fetch failed/i.test(e.message))
    ? "fetch failed"
    : undefined;
}

/** The JSON-RPC error code and message a node answered with, if the error carries one. */
function rpcError(error: unknown): { code: number; message: string } | undefined {
  for (const e of chain(error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "number" && code !== 3) {
      const details = (e as { details?: unknown }).details;
      return { code, message: typeof details === "string" && details !== "" ? details : e.message };
    }
  }
  return undefined;
}

/**
 * The message for an error of `charter gov <what>` against the node at `rpc`. Errors of the CLI itself (a bad
 * flag) keep their message.
 */
export function govErrorMessage(error: unknown, what: string, rpc: string): string {
  const revert = charterRevertOf(error);
  if (revert !== undefined) {
    const meaning = MEANINGS[revert.name]?.(revert);
    return `${what} reverted with ${revert.message}${meaning ? `: ${meaning}` : ""}.`;
  }
  if (isCharterSDKError(error)) return error.message;
  const unreachable = nodeUnreachable(error);
  if (unreachable !== undefined)
    return `Cannot reach a node at ${rpc} (${unreachable}); is it running? Point --rpc at its JSON-RPC URL.`;
  const rpcFailure = rpcError(error);
  if (rpcFailure?.code === -32601)
    return `The node at ${rpc} does not serve the charter_* governance methods (${rpcFailure.message}); upgrade it.`;
  if (rpcFailure !== undefined && /accepts only type 0x53/.test(rpcFailure.message))
    return `The node refused the ${what}: the chain runs on the sm suite (SM2 signatures); add --crypto sm.`;
  if (
    rpcFailure !== undefined &&
    /type 0x53 \(SM2\) transactions are for chains on the sm suite/.test(rpcFailure.message)
  )
    return `The node refused the ${what}: the chain runs on the ecdsa suite; leave out --crypto sm.`;
  if (rpcFailure !== undefined) return `The node refused the ${what}: ${rpcFailure.message}`;
  if (error instanceof Error && error.name === "WaitForTransactionReceiptTimeoutError")
    return `${error.message.split("\n")[0]} The transaction may still be included; check with charter gov list.`;
  if (error instanceof Error) {
    const short = (error as { shortMessage?: unknown }).shortMessage;
    return typeof short === "string" ? short : error.message;
  }
  return String(error);
}
