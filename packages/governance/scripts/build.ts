/**
 * `npm run governance:build`: compiles the system contracts and writes `src/artifacts.ts`. Run it after changing
 * any contract; the artifacts test fails until the checked-in file matches the sources.
 */
import { writeFileSync } from "node:fs";
import { ARTIFACTS_FILE, compileSystemContracts, renderArtifacts } from "./compileContracts.js";

const compiled = compileSystemContracts();
writeFileSync(ARTIFACTS_FILE, renderArtifacts(compiled));
for (const [name, contract] of Object.entries(compiled)) {
  const runtimeBytes = (contract.deployedBytecode.length - 2) / 2;
  process.stderr.write(`${name}: ${runtimeBytes} bytes of runtime code\n`);
}
process.stdout.write(`wrote ${ARTIFACTS_FILE}\n`);
