import type { CryptoSuite } from "@charter/crypto";
import type { Executor, GenesisAccount } from "@charter/execution";
import {
  bootstrapSystemContracts,
  defaultGovernanceGenesis,
  GovernanceError,
  type GovernanceGenesis,
  isSystemAddress,
  NODE_REGISTRY_ADDRESS,
} from "@charter/governance";
import { bytesToHex, equalBytes, hexToBytes } from "@charter/utils";
import { ChainError } from "./errors.js";
import {
  type ChainValidator,
  createChainValidatorSet,
  decodeValidatorRegistry,
} from "./validatorRegistry.js";

/** The block interval `ChainParams` starts with when the genesis does not say (the genesis schema's default). */
export const DEFAULT_BLOCK_INTERVAL_MS = 1000;

/** What the system contracts of a genesis are created from (the fields of `ChainGenesis` they use). */
export interface SystemContractsInput {
  readonly alloc: ReadonlyMap<string, GenesisAccount>;
  readonly validators: readonly ChainValidator[];
  /** `undefined`: the default derived from the validators (`defaultGovernanceGenesis`). */
  readonly governance?: GovernanceGenesis;
  readonly timestampMs: number;
  readonly gasLimit: bigint;
  readonly blockIntervalMs?: number;
}

/** The governance a genesis creates its system contracts with: the given one, or the validators' default. */
export function resolveGovernance(input: {
  readonly governance?: GovernanceGenesis | null;
  readonly validators: readonly ChainValidator[];
}): GovernanceGenesis | null {
  if (input.governance === null) return null;
  return input.governance ?? defaultGovernanceGenesis(input.validators);
}

/**
 * The genesis allocations with the system contracts added (docs/spec/governance.md section 2): each created by
 * running its constructor through the EVM and placed at its fixed address. The NodeRegistry at the validator
 * registry's address holds the genesis validators in the layout consensus reads, which is checked here. The
 * range `0x…1000`–`0x…10ff` belongs to the system contracts, so an allocation there is refused. Throws
 * `ChainError("invalid-genesis")`.
 */
export async function genesisAllocWithSystemContracts(
  executor: Executor,
  suite: CryptoSuite,
  input: SystemContractsInput,
): Promise<Map<string, GenesisAccount>> {
  const out = new Map<string, GenesisAccount>();
  for (const [address, account] of input.alloc) {
    if (isSystemAddress(hexToBytes(address)))
      throw new ChainError(
        "invalid-genesis",
        `the genesis allocates ${address}, which is reserved for system contracts (0x…1000 to 0x…10ff); the genesis creates them from its governance section`,
      );
    out.set(address, account);
  }
  const governance = input.governance ?? defaultGovernanceGenesis(input.validators);
  let system: Map<string, GenesisAccount>;
  try {
    system = await bootstrapSystemContracts(executor, {
      governance,
      validators: input.validators,
      timestampMs: input.timestampMs,
      blockIntervalMs: input.blockIntervalMs ?? DEFAULT_BLOCK_INTERVAL_MS,
      gasLimit: input.gasLimit,
      keccakAddresses: suite.name === "ecdsa",
    });
  } catch (error) {
    if (error instanceof GovernanceError)
      throw new ChainError("invalid-genesis", error.message, { cause: error });
    throw error;
  }
  const registry = system.get(bytesToHex(NODE_REGISTRY_ADDRESS));
  const storage = registry?.storage ?? new Map<string, Uint8Array>();
  // The NodeRegistry wrote the validators itself; they must read back as the genesis set, in its order.
  let readBack: string | undefined;
  try {
    const written = decodeValidatorRegistry(
      (slot) => storage.get(bytesToHex(slot)) ?? new Uint8Array(32),
      suite,
    );
    if (!equalBytes(written.hash, createChainValidatorSet(input.validators, suite).hash))
      readBack = "they differ from the genesis validators";
  } catch (error) {
    readBack = (error as Error).message;
  }
  if (readBack !== undefined)
    throw new ChainError("invalid-genesis", `the NodeRegistry's validators do not read back: ${readBack}`);
  for (const [address, account] of system) out.set(address, account);
  return out;
}
