/**
 * Compiles the Solidity sources under `contracts/` with the solc-js in node_modules and writes `contracts.json`,
 * the fixture the execution tests deploy from (compiling in every test run would cost seconds per file).
 *
 * Run from the repository root after changing a source or upgrading solc:
 *   node --import tsx packages/execution/src/testdata/compileContracts.ts
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

interface Solc {
  version(): string;
  compile(
    input: string,
    options: { import: (path: string) => { contents: string } | { error: string } },
  ): string;
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

/** Which contract is built for which EVM version; the key in `contracts.json` is `Name.evmVersion`. */
const BUILDS = [
  { source: "Token.sol", contract: "Token", evmVersions: ["cancun", "prague"] },
  { source: "Probe.sol", contract: "Probe", evmVersions: ["cancun"] },
  { source: "Doomed.sol", contract: "Doomed", evmVersions: ["prague"] },
  { source: "Doomed.sol", contract: "Factory", evmVersions: ["prague"] },
] as const;

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const solc = require("solc") as Solc;

function findImport(path: string): { contents: string } | { error: string } {
  try {
    return { contents: readFileSync(require.resolve(path), "utf8") };
  } catch {
    return { error: `cannot find ${path}` };
  }
}

function compile(evmVersion: string, sources: readonly string[]): SolcOutput {
  const input = {
    language: "Solidity",
    sources: Object.fromEntries(
      sources.map((name) => [name, { content: readFileSync(join(here, "contracts", name), "utf8") }]),
    ),
    settings: {
      evmVersion,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  return output;
}

const contracts: Record<string, { abi: unknown[]; bytecode: string; deployedBytecode: string }> = {};
for (const evmVersion of ["cancun", "prague"]) {
  const builds = BUILDS.filter((b) => (b.evmVersions as readonly string[]).includes(evmVersion));
  const output = compile(evmVersion, [...new Set(builds.map((b) => b.source))]);
  for (const build of builds) {
    const artifact = output.contracts[build.source]?.[build.contract];
    if (artifact === undefined) throw new Error(`solc produced no ${build.contract} in ${build.source}`);
    contracts[`${build.contract}.${evmVersion}`] = {
      abi: artifact.abi,
      bytecode: `0x${artifact.evm.bytecode.object}`,
      deployedBytecode: `0x${artifact.evm.deployedBytecode.object}`,
    };
  }
}
writeFileSync(
  join(here, "contracts.json"),
  `${JSON.stringify({ solc: solc.version(), contracts }, null, 2)}\n`,
);
console.log(`wrote ${Object.keys(contracts).length} contracts compiled with solc ${solc.version()}`);
