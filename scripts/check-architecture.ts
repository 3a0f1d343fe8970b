/**
 * Fails when a package imports another Charter package that ARCHITECTURE.md does not allow it to import, when
 * a package uses a Charter package missing from its package.json, or when the table and the packages on disk
 * disagree. The table under "## Dependency rules" in ARCHITECTURE.md is the single source of truth.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export interface ArchitectureViolation {
  readonly file: string;
  readonly message: string;
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Parses the `| package | may import |` table of ARCHITECTURE.md. */
export function readRules(markdown: string): Map<string, Set<string>> {
  const section = markdown.split(/^## Dependency rules\s*$/m)[1];
  if (section === undefined) throw new Error('ARCHITECTURE.md has no "## Dependency rules" section');
  const rules = new Map<string, Set<string>>();
  for (const line of section.split("\n")) {
    const match = /^\|\s*`([a-z0-9-]+)`\s*\|\s*([^|]*)\|/.exec(line);
    if (!match) continue;
    const allowed = new Set([...match[2]!.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]!));
    rules.set(match[1]!, allowed);
  }
  if (rules.size === 0) throw new Error("the dependency rules table in ARCHITECTURE.md is empty");
  return rules;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|js|mts)$/.test(entry)) out.push(path);
  }
  return out;
}

const IMPORT_RE = /(?:from\s+|import\s*\(\s*|import\s+)["']@charter\/([a-z0-9-]+)["']/g;

export function checkArchitecture(root = ROOT): ArchitectureViolation[] {
  const rules = readRules(readFileSync(join(root, "ARCHITECTURE.md"), "utf8"));
  const violations: ArchitectureViolation[] = [];
  const packagesDir = join(root, "packages");
  const onDisk = readdirSync(packagesDir).filter((p) => statSync(join(packagesDir, p)).isDirectory());
  for (const name of onDisk) {
    if (!rules.has(name))
      violations.push({
        file: `packages/${name}`,
        message: `package "${name}" is missing from ARCHITECTURE.md`,
      });
  }
  for (const name of rules.keys()) {
    if (!onDisk.includes(name))
      violations.push({ file: "ARCHITECTURE.md", message: `lists package "${name}", which does not exist` });
  }
  for (const name of onDisk) {
    const allowed = rules.get(name);
    if (!allowed) continue;
    const manifest = JSON.parse(readFileSync(join(packagesDir, name, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const declared = new Set(Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }));
    for (const file of sourceFiles(join(packagesDir, name))) {
      if (file.includes("node_modules")) continue;
      const text = readFileSync(file, "utf8");
      const isTest = /\.test\.ts$|[/\\]test[/\\]|[/\\]bench[/\\]/.test(file);
      for (const match of text.matchAll(IMPORT_RE)) {
        const target = match[1]!;
        if (target === name) continue;
        const where = relative(root, file);
        // Tests and benchmarks may use the testing package and anything below them in the graph.
        if (
          !allowed.has(target) &&
          !(
            isTest &&
            (target === "testing" || (rules.get(target) !== undefined && !dependsOn(rules, target, name)))
          )
        ) {
          violations.push({
            file: where,
            message: `"${name}" may not import "@charter/${target}" (see ARCHITECTURE.md)`,
          });
        }
        if (!isTest && !declared.has(`@charter/${target}`)) {
          violations.push({
            file: where,
            message: `imports "@charter/${target}" but packages/${name}/package.json does not declare it`,
          });
        }
      }
    }
  }
  return violations;
}

/** Whether `from` may reach `to` through the allowed edges (used to keep test imports acyclic). */
function dependsOn(
  rules: Map<string, Set<string>>,
  from: string,
  to: string,
  seen = new Set<string>(),
): boolean {
  if (from === to) return true;
  if (seen.has(from)) return false;
  seen.add(from);
  for (const next of rules.get(from) ?? []) if (dependsOn(rules, next, to, seen)) return true;
  return false;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const violations = checkArchitecture();
  for (const v of violations) process.stderr.write(`${v.file}: ${v.message}\n`);
  if (violations.length > 0) process.exit(1);
  process.stdout.write("architecture: every import follows ARCHITECTURE.md\n");
}
