import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** `charter pki` as a user runs it: a real process, files on disk, exit codes and the two output streams. */

const BIN = fileURLToPath(new URL("../../bin/charter.js", import.meta.url));
let work: string;

function charter(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: work, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const result = await charter(...args);
  if (result.code !== 0) throw new Error(`charter ${args.join(" ")} failed:\n${result.stderr}`);
  return result.stdout;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "charter-pki-cli-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("charter pki", () => {
  it("walks through root, org, node and admin, then shows and verifies them", async () => {
    const [root, key] = await Promise.all([
      ok("pki", "init-root", "--out", "root", "--name", "Acme consortium root CA", "--json").then(JSON.parse),
      ok("keys", "generate", "--out", "node.key", "--json").then(JSON.parse),
    ]);
    expect(root).toMatchObject({ subject: "CN=Acme consortium root CA", role: "root" });
    expect(statSync(join(work, "root/root.key")).mode & 0o777).toBe(0o600);
    const org = JSON.parse(
      await ok(
        "pki",
        "add-org",
        "--root",
        "root",
        "--org",
        "acme",
        "--out",
        "acme",
        "--days",
        "400",
        "--json",
      ),
    );
    expect(org).toMatchObject({ subject: "CN=acme CA, O=acme", role: "org", org: "acme" });
    expect((Date.parse(org.notAfter) - Date.now()) / 86_400_000).toBeCloseTo(400, 0);

    const [node, admin, clamped] = await Promise.all([
      ok(
        "pki",
        "issue-node",
        "--org-ca",
        "acme",
        "--key",
        "node.key",
        "--name",
        "node0",
        "--out",
        "node0",
        "--json",
      ).then(JSON.parse),
      ok(
        "pki",
        "issue-admin",
        "--org-ca",
        "acme",
        "--address",
        `0x${"Ab".repeat(20)}`,
        "--name",
        "alice",
        "--out",
        "alice",
        "--json",
      ).then(JSON.parse),
      charter(
        "pki",
        "issue-node",
        "--org-ca",
        "acme",
        "--key",
        "node.key",
        "--name",
        "n2",
        "--out",
        "n2",
        "--days",
        "500",
      ),
    ]);
    expect(node).toMatchObject({ role: "node", org: "acme", address: key.address.toLowerCase() });
    expect(admin).toMatchObject({ role: "admin", address: `0x${"ab".repeat(20)}` });
    // A certificate may not outlive its org CA: it is cut to the CA's end, with a note.
    expect(clamped.code).toBe(0);
    expect(clamped.stderr).toMatch(/note: the certificate ends on .* when its org CA does/);

    const [shown, text, verified, human] = await Promise.all([
      ok("pki", "show", "node0/chain.pem", "--json").then(JSON.parse),
      charter("pki", "show", "node0/cert.pem"),
      ok("pki", "verify", "node0/chain.pem", "--root", "root/root.pem", "--role", "node", "--json").then(
        JSON.parse,
      ),
      charter("pki", "verify", "alice/cert.pem", "--root", "alice/root.pem", "--org-ca", "acme/ca.pem"),
    ]);
    expect(shown.certificates.map((c: { role: string }) => c.role)).toEqual(["node", "org"]);
    expect(shown.certificates[0]).toMatchObject({
      subject: "CN=node0, O=acme",
      issuer: "CN=acme CA, O=acme",
      org: "acme",
      address: node.address,
      serial: node.serial,
    });
    expect(shown.certificates[1].daysLeft).toBeGreaterThanOrEqual(399);
    expect(text.stdout).toMatch(/role: +node\naddress: +0x[0-9a-f]{40}\norg: +acme/);
    expect(text.stdout).toMatch(/\(36[45] days left\)/);
    expect(verified).toMatchObject({ valid: true, role: "node", org: "acme", address: node.address });
    expect(human.stdout).toMatch(/^valid: admin certificate "alice" of organization acme/);
  });

  it("fails with the rule that broke, a non-zero exit and nothing overwritten", async () => {
    await ok("pki", "init-root", "--out", "other", "--name", "Acme consortium root CA");
    const [wrongRoot, late, role, alone, overwrite, missing, badOrg, both, days] = await Promise.all([
      charter("pki", "verify", "node0/chain.pem", "--root", "other/root.pem"),
      charter(
        "pki",
        "verify",
        "node0/chain.pem",
        "--root",
        "root/root.pem",
        "--at",
        "2100-01-01T00:00:00Z",
        "--json",
      ),
      charter("pki", "verify", "alice/chain.pem", "--root", "root/root.pem", "--role", "node"),
      charter("pki", "verify", "node0/cert.pem", "--root", "root/root.pem"),
      charter("pki", "init-root", "--out", "root", "--name", "Again"),
      charter("pki", "add-org", "--root", "nowhere", "--org", "x", "--out", "x"),
      charter("pki", "add-org", "--root", "root", "--org", "a b", "--out", "ab"),
      charter("pki", "issue-admin", "--org-ca", "acme", "--name", "x", "--out", "x"),
      charter("pki", "init-root", "--out", "d", "--name", "D", "--days", "0"),
    ]);
    expect(wrongRoot.stderr).toMatch(/^error: node0\/chain\.pem is not valid \(bad-signature\): /);
    expect(JSON.parse(late.stdout)).toMatchObject({ valid: false, code: "expired" });
    expect(role.stderr).toMatch(/\(identity\).*an admin certificate; a node certificate is required/);
    expect(alone.stderr).toMatch(/give its org CA with --org-ca/);
    expect(overwrite.stderr).toMatch(/root\.key already exists/);
    expect(missing.stderr).toMatch(/Cannot read the root CA certificate .*nowhere\/root\.pem: no such file/);
    expect(badOrg.stderr).toMatch(/Organization id "a b" is not valid/);
    expect(both.stderr).toMatch(/exactly one of --key <file> and --address <address>/);
    expect(days.stderr).toMatch(/must be an integer from 1/);
    for (const result of [wrongRoot, late, role, alone, overwrite, missing, badOrg, both, days]) {
      expect(result.code).not.toBe(0);
    }
    expect(readFileSync(join(work, "root/root.pem"), "utf8")).toContain("BEGIN CERTIFICATE");
  });
});
