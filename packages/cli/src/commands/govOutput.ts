import {
  describeGovernanceCall,
  type GovernanceEvent,
  orgIdFromHex,
  type Proposal,
  SYSTEM_CONTRACT_ABIS,
  SYSTEM_CONTRACT_ADDRESSES,
  systemContractAt,
} from "@charter/sdk";
import type { Abi, AbiParameter } from "viem";

/**
 * What `charter gov` prints: aligned tables and one-line sentences for people, plain JSON (integers as numbers
 * where they fit, else decimal strings) for scripts. Pure functions of the SDK's values, so they are tested
 * without a node.
 */

/** `JSON.stringify` that writes bigints as numbers when they are safe integers, else as decimal strings. */
export function toJSON(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "bigint" ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v,
  );
}

/** Aligns rows under a header; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** A proposal's call in words: `freeze account 0x…`. */
export function proposalSummary(proposal: Pick<Proposal, "target" | "data">): string {
  return describeGovernanceCall({ target: proposal.target, data: proposal.data }).summary;
}

export function proposalsTable(proposals: readonly Proposal[]): string {
  if (proposals.length === 0) return "no proposals";
  return table(
    ["ID", "STATE", "YES", "NO", "DEADLINE", "PROPOSER", "WHAT"],
    proposals.map((p) => [
      String(p.id),
      p.state,
      String(p.yes),
      String(p.no),
      String(p.deadline),
      p.proposer,
      proposalSummary(p),
    ]),
  );
}

function targetName(target: string): string {
  const name = systemContractAt(target);
  return name === undefined ? target : `${name} (${SYSTEM_CONTRACT_ADDRESSES[name]})`;
}

export function proposalText(p: Proposal): string {
  const lines = [
    `proposal ${p.id}: ${p.state}`,
    `  what:         ${proposalSummary(p)}`,
    `  description:  ${p.description === "" ? "(none)" : p.description}`,
    `  proposer:     ${p.proposer} (block ${p.createdAt.blockNumber}, tx ${p.createdAt.transactionHash})`,
    `  target:       ${targetName(p.target)}`,
    `  call data:    ${p.data}`,
    `  votes until:  block ${p.deadline}`,
    `  weight voted: yes ${p.yes}, no ${p.no} (committee version ${p.committeeVersion})`,
  ];
  if (p.votes.length === 0) return [...lines, "no votes yet"].join("\n");
  return [
    ...lines,
    "",
    table(
      ["BLOCK", "VOTER", "VOTE", "WEIGHT", "TX"],
      p.votes.map((v) => [
        String(v.blockNumber),
        v.voter,
        v.approve ? "yes" : "no",
        String(v.weight),
        v.transactionHash,
      ]),
    ),
  ].join("\n");
}

/** The ABI parameters of a system contract's event, to read its JSON arguments by type. */
function eventInputs(contract: string, event: string): readonly AbiParameter[] {
  const abi = (SYSTEM_CONTRACT_ABIS as Record<string, Abi | undefined>)[contract];
  const item = abi?.find((entry) => entry.type === "event" && entry.name === event);
  return item?.type === "event" ? item.inputs : [];
}

/**
 * An event argument as the node sends it (integers as hex quantities, enums by name, addresses and bytes as hex),
 * made readable by its ABI type: integers in decimal, organization ids as text.
 */
function arg(parameter: AbiParameter | undefined, value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => arg(undefined, v)).join(", ")}]`;
  if (typeof value !== "string") return JSON.stringify(value);
  const type = parameter?.type ?? "";
  if (/^u?int\d*$/.test(type) && /^0x[0-9a-fA-F]+$/.test(value)) return BigInt(value).toString();
  if (type === "bytes32" && (parameter?.name === "id" || parameter?.name === "org")) {
    const id = orgIdFromHex(value as `0x${string}`);
    if (id !== undefined) return JSON.stringify(id);
  }
  return type === "string" ? JSON.stringify(value) : value;
}

/** A quantity argument (`id`, `weight`, `deadline`) in decimal. */
function quantity(value: unknown): string {
  return typeof value === "string" && /^0x[0-9a-fA-F]+$/.test(value)
    ? BigInt(value).toString()
    : String(value);
}

/**
 * What one event says. The table puts the transaction's sender (the proposer, the voter; for what a deciding vote
 * caused, that voter) before it, so the proposer and voter are not repeated here.
 */
export function historyDetail(e: GovernanceEvent): string {
  const a = e.args;
  if (e.contract === "Committee") {
    switch (e.event) {
      case "ProposalCreated": {
        const what =
          typeof a.target === "string" && typeof a.data === "string"
            ? describeGovernanceCall({ target: a.target, data: a.data as `0x${string}` }).summary
            : "?";
        const description =
          typeof a.description === "string" && a.description !== ""
            ? ` (${JSON.stringify(a.description)})`
            : "";
        return `proposed #${quantity(a.id)}: ${what}${description}, votes until block ${quantity(a.deadline)}`;
      }
      case "Voted":
        return `voted ${a.approve === true ? "yes" : "no"} on #${quantity(a.id)} (weight ${quantity(a.weight)})`;
      case "ProposalPassed":
        return `#${quantity(a.id)} passed (yes ${quantity(a.yes)}, no ${quantity(a.no)})`;
      case "ProposalExecuted":
        return `#${quantity(a.id)} executed`;
      case "ProposalRejected":
        return `#${quantity(a.id)} rejected (yes ${quantity(a.yes)}, no ${quantity(a.no)})`;
    }
  }
  const inputs = eventInputs(e.contract, e.event);
  const args = Object.entries(a)
    .map(
      ([k, v]) =>
        `${k}=${arg(
          inputs.find((input) => input.name === k),
          v,
        )}`,
    )
    .join(" ");
  return `${e.contract}.${e.event}${args === "" ? "" : ` ${args}`}`;
}

export function historyTable(events: readonly GovernanceEvent[]): string {
  if (events.length === 0) return "no governance events in the range";
  return table(
    ["BLOCK", "SENDER", "WHAT"],
    events.map((e) => [String(e.blockNumber), e.sender, historyDetail(e)]),
  );
}
