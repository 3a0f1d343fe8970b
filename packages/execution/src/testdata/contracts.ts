import { readFileSync } from "node:fs";
import { hexToBytes } from "@charter/utils";
import type { Abi } from "viem";

/** The builds in `contracts.json` (see `compileContracts.ts`): contract name and solc `evmVersion`. */
export type ContractName =
  | "Token.cancun"
  | "Token.prague"
  | "Probe.cancun"
  | "Doomed.prague"
  | "Factory.prague";

export interface Artifact {
  readonly abi: Abi;
  /** Init code, without constructor arguments. */
  readonly bytecode: Uint8Array;
  readonly deployedBytecode: Uint8Array;
}

interface Fixture {
  readonly solc: string;
  readonly contracts: Record<string, { abi: Abi; bytecode: string; deployedBytecode: string }>;
}

let fixture: Fixture | undefined;

/** A contract compiled by solc, read from the fixture once per process. */
export function artifact(name: ContractName): Artifact {
  fixture ??= JSON.parse(readFileSync(new URL("./contracts.json", import.meta.url), "utf8")) as Fixture;
  const entry = fixture.contracts[name];
  if (entry === undefined) throw new Error(`contracts.json has no ${name}: run compileContracts.ts`);
  return {
    abi: entry.abi,
    bytecode: hexToBytes(entry.bytecode),
    deployedBytecode: hexToBytes(entry.deployedBytecode),
  };
}
