import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

export interface CompiledContract {
  readonly abi: readonly unknown[];
  /** Creation bytecode, 0x-prefixed. */
  readonly bytecode: `0x${string}`;
  readonly deployedBytecode: `0x${string}`;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<
    string,
    Record<
      string,
      { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }
    >
  >;
}

/**
 * Compiles Solidity with the `solc` npm package (solc-js), the standard compiler output any user gets. Results are
 * cached on disk by the hash of the input, because loading and running the compiler takes seconds.
 */
export function compileSolidity(
  sources: Record<string, string>,
  options: { evmVersion?: "cancun" | "prague"; optimizer?: boolean } = {},
): Record<string, CompiledContract> {
  const input = {
    language: "Solidity",
    sources: Object.fromEntries(Object.entries(sources).map(([name, content]) => [name, { content }])),
    settings: {
      optimizer: { enabled: options.optimizer ?? true, runs: 200 },
      ...(options.evmVersion ? { evmVersion: options.evmVersion } : {}),
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const solc = require("solc") as { version(): string; compile(input: string, callbacks?: unknown): string };
  const text = JSON.stringify(input);
  const cacheDir = join(tmpdir(), "charter-solc-cache");
  const cacheFile = join(
    cacheDir,
    `${createHash("sha256").update(solcVersion()).update(text).digest("hex")}.json`,
  );
  let output: SolcOutput;
  try {
    output = JSON.parse(readFileSync(cacheFile, "utf8")) as SolcOutput;
  } catch {
    const findImports = (path: string) => {
      try {
        return { contents: readFileSync(require.resolve(path), "utf8") };
      } catch {
        return { error: `file not found: ${path}` };
      }
    };
    output = JSON.parse(solc.compile(text, { import: findImports })) as SolcOutput;
    const errors = (output.errors ?? []).filter((e) => e.severity === "error");
    if (errors.length > 0)
      throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(cacheFile, JSON.stringify(output));
  }
  const result: Record<string, CompiledContract> = {};
  for (const file of Object.values(output.contracts)) {
    for (const [name, contract] of Object.entries(file)) {
      result[name] = {
        abi: contract.abi,
        bytecode: `0x${contract.evm.bytecode.object}`,
        deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
      };
    }
  }
  return result;
}

function solcVersion(): string {
  return (require("solc/package.json") as { version: string }).version;
}

/** The test ERC-20 (`contracts/TestToken.sol`), compiled for the given EVM version. */
export function compileTestToken(evmVersion: "cancun" | "prague" = "prague"): CompiledContract {
  const source = readFileSync(fileURLToPath(new URL("./contracts/TestToken.sol", import.meta.url)), "utf8");
  const contract = compileSolidity({ "TestToken.sol": source }, { evmVersion }).TestToken;
  if (!contract) throw new Error("TestToken did not compile");
  return contract;
}
