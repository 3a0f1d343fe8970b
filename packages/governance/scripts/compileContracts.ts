/**
 * Compiles the system contracts (`packages/governance/contracts/*.sol`) with the pinned solc and renders
 * `src/artifacts.ts`. Used by `npm run governance:build` (build.ts) and by the test that requires the checked-in
 * artifacts to equal a fresh compilation byte for byte. Not part of the package's runtime: a node never needs solc.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AbiFunction, toFunctionSelector, toFunctionSignature } from "viem";

const require = createRequire(import.meta.url);

/** The compiler every artifact is built with; another version would give other bytecode. */
export const SOLC_VERSION = "0.8.30";
export const EVM_VERSION = "prague";
export const OPTIMIZER_RUNS = 200;

/** The system contracts, in the order the genesis creates them (OrgRegistry first: NodeRegistry checks orgs). */
export const SYSTEM_CONTRACT_NAMES = [
  "OrgRegistry",
  "NodeRegistry",
  "Committee",
  "Permissions",
  "AccountStatus",
  "ChainParams",
] as const;
export type SystemContractName = (typeof SYSTEM_CONTRACT_NAMES)[number];

export const CONTRACTS_DIR = fileURLToPath(new URL("../contracts/", import.meta.url));
export const ARTIFACTS_FILE = fileURLToPath(new URL("../src/artifacts.ts", import.meta.url));

export interface StorageEntry {
  readonly label: string;
  readonly slot: string;
  readonly offset: number;
  readonly type: string;
}

export interface CompiledSystemContract {
  readonly abi: readonly Record<string, unknown>[];
  readonly bytecode: string;
  readonly deployedBytecode: string;
  /** Where the runtime code holds immutables: must be empty, since the code is moved after construction. */
  readonly immutableReferences: Record<string, unknown>;
  readonly storageLayout: {
    readonly storage: readonly StorageEntry[];
    readonly types: Record<string, { label: string; numberOfBytes: string; members?: StorageEntry[] }> | null;
  };
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<
    string,
    Record<
      string,
      {
        abi: Record<string, unknown>[];
        evm: {
          bytecode: { object: string };
          deployedBytecode: { object: string; immutableReferences?: Record<string, unknown> };
        };
        storageLayout: CompiledSystemContract["storageLayout"];
      }
    >
  >;
}

/** The standard-JSON input: every `.sol` file of `contracts/`, by file name, in name order. */
export function compilerInput(): string {
  const files = readdirSync(CONTRACTS_DIR)
    .filter((f) => f.endsWith(".sol"))
    .sort();
  const sources = Object.fromEntries(
    files.map((file) => [file, { content: readFileSync(join(CONTRACTS_DIR, file), "utf8") }]),
  );
  return JSON.stringify({
    language: "Solidity",
    sources,
    settings: {
      optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
      evmVersion: EVM_VERSION,
      outputSelection: {
        "*": {
          "*": [
            "abi",
            "evm.bytecode.object",
            "evm.deployedBytecode.object",
            "evm.deployedBytecode.immutableReferences",
            "storageLayout",
          ],
        },
      },
    },
  });
}

/**
 * Compiles the contracts with solc-js (the root devDependency `solc`, pinned to 0.8.30). The output is cached on
 * disk under the hash of the compiler version and the input, since compiling takes seconds and the same input
 * always gives the same output.
 */
export function compileSystemContracts(): Record<SystemContractName, CompiledSystemContract> {
  const version = (require("solc/package.json") as { version: string }).version;
  if (version !== SOLC_VERSION)
    throw new Error(
      `the system contracts are built with solc ${SOLC_VERSION}, but solc ${version} is installed`,
    );
  const input = compilerInput();
  const cacheDir = join(tmpdir(), "charter-solc-cache");
  const cacheFile = join(
    cacheDir,
    `${createHash("sha256").update(version).update(input).digest("hex")}.json`,
  );
  let output: SolcOutput;
  try {
    output = JSON.parse(readFileSync(cacheFile, "utf8")) as SolcOutput;
  } catch {
    const solc = require("solc") as { compile(input: string): string };
    output = JSON.parse(solc.compile(input)) as SolcOutput;
    const errors = (output.errors ?? []).filter((e) => e.severity === "error");
    if (errors.length > 0)
      throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(cacheFile, JSON.stringify(output));
  }
  const result: Partial<Record<SystemContractName, CompiledSystemContract>> = {};
  for (const name of SYSTEM_CONTRACT_NAMES) {
    const contract = output.contracts[`${name}.sol`]?.[name];
    if (!contract) throw new Error(`solc produced no ${name}`);
    result[name] = {
      abi: contract.abi,
      bytecode: `0x${contract.evm.bytecode.object}`,
      deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
      immutableReferences: contract.evm.deployedBytecode.immutableReferences ?? {},
      storageLayout: contract.storageLayout,
    };
  }
  return result as Record<SystemContractName, CompiledSystemContract>;
}

const lowerFirst = (name: string) => `${name[0]!.toLowerCase()}${name.slice(1)}`;

/** The text of `src/artifacts.ts` for a compilation. */
export function renderArtifacts(compiled: Record<SystemContractName, CompiledSystemContract>): string {
  const lines: string[] = [
    "// GENERATED FILE, do not edit. Regenerate with `npm run governance:build` after changing",
    `// packages/governance/contracts/*.sol (solc ${SOLC_VERSION}, evmVersion ${EVM_VERSION}, optimizer on with ${OPTIMIZER_RUNS} runs).`,
    "// src/artifacts.test.ts recompiles the contracts and fails when this file differs from the output.",
    "",
  ];
  const errors = new Map<string, string>();
  for (const name of SYSTEM_CONTRACT_NAMES) {
    const contract = compiled[name];
    lines.push(
      `/** ${name}: ABI, creation bytecode (constructor arguments are appended) and runtime bytecode. */`,
      `export const ${lowerFirst(name)}Artifact = {`,
      `  contractName: "${name}",`,
      "  abi: [",
      ...contract.abi.map((item) => `    ${JSON.stringify(item)},`),
      "  ],",
      `  bytecode: "${contract.bytecode}",`,
      `  deployedBytecode: "${contract.deployedBytecode}",`,
      "} as const;",
      "",
    );
    for (const item of contract.abi) {
      if (item.type !== "error") continue;
      // An error's selector is computed as a function's: the first four bytes of the hash of its signature.
      const signature = toFunctionSignature(item as unknown as AbiFunction);
      errors.set(toFunctionSelector(signature), signature);
    }
  }
  lines.push(
    "/** Selector → signature of every custom error the system contracts declare, to name a revert. */",
    "export const SYSTEM_CONTRACT_ERRORS: Readonly<Record<string, string>> = {",
    ...[...errors.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([selector, signature]) => `  "${selector}": "${signature}",`),
    "};",
    "",
  );
  return lines.join("\n");
}
