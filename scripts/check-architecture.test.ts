import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkArchitecture, readRules } from "./check-architecture.js";

describe("architecture check", () => {
  it("finds no violation in this repository", () => {
    expect(checkArchitecture()).toEqual([]);
  });

  it("reports an import that points the wrong way and an undeclared dependency", () => {
    const root = mkdtempSync(join(tmpdir(), "charter-arch-"));
    writeFileSync(
      join(root, "ARCHITECTURE.md"),
      "# x\n\n## Dependency rules\n\n| package | may import |\n|---|---|\n| `utils` | — |\n| `chain` | `utils` |\n",
    );
    for (const name of ["utils", "chain"]) {
      mkdirSync(join(root, "packages", name, "src"), { recursive: true });
      writeFileSync(
        join(root, "packages", name, "package.json"),
        JSON.stringify({ name: `@charter/${name}`, dependencies: {} }),
      );
    }
    writeFileSync(
      join(root, "packages", "utils", "src", "index.ts"),
      'import { Chain } from "@charter/chain";\n',
    );
    writeFileSync(join(root, "packages", "chain", "src", "index.ts"), 'export * from "@charter/utils";\n');
    const messages = checkArchitecture(root).map((v) => v.message);
    expect(messages).toContain('"utils" may not import "@charter/chain" (see ARCHITECTURE.md)');
    expect(messages).toContain(
      'imports "@charter/utils" but packages/chain/package.json does not declare it',
    );
  });

  it("parses the rules table", () => {
    const rules = readRules("## Dependency rules\n| `a` | `b`, `c` |\n| `b` | — |\n");
    expect([...rules.get("a")!]).toEqual(["b", "c"]);
    expect(rules.get("b")!.size).toBe(0);
  });
});
