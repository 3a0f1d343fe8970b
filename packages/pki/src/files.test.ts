import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  readNodePKIFiles,
  readOrgCA,
  readRootCA,
  writeIssuedCertificate,
  writeOrgCA,
  writeRootCA,
} from "./files.js";
import { createOrgCA, createRootCA, issueNodeCertificate } from "./issue.js";
import { verifyCertificateChain } from "./verify.js";

const work = mkdtempSync(join(tmpdir(), "charter-pki-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("PKI files", () => {
  it("writes and reads back root, org and node folders, keys with mode 0600, never overwriting", async () => {
    const rootDir = join(work, "root");
    const root = await createRootCA({ name: "Root" });
    const rootFiles = writeRootCA(rootDir, root);
    expect(statSync(rootFiles.key).mode & 0o777).toBe(0o600);
    expect(() => writeRootCA(rootDir, root)).toThrow(/already exists/);

    const orgDir = join(work, "org0");
    const org = await createOrgCA({ root: readRootCA(rootDir), org: "org0" });
    writeOrgCA(orgDir, org, root.certificatePem);
    const loaded = readOrgCA(orgDir);
    expect(loaded.rootCertificatePem).toBe(root.certificatePem);

    const nodeDir = join(work, "node0");
    const address = "0x00000000000000000000000000000000000000bb";
    const node = await issueNodeCertificate({ orgCA: loaded, name: "node0", address });
    const files = writeIssuedCertificate(nodeDir, node, loaded.rootCertificatePem);
    expect(statSync(files.key).mode & 0o777).toBe(0o600);
    const material = readNodePKIFiles({ rootCert: files.root!, certChain: files.chain, key: files.key });
    expect(material.keyPem).toBe(node.keyPem);
    const identity = verifyCertificateChain({
      leaf: material.chain[0],
      orgCA: material.chain[1],
      root: material.root,
      now: Date.now(),
      role: "node",
    });
    expect(identity).toMatchObject({ address, org: "org0", name: "node0" });
  });

  it("names the missing or wrong file", () => {
    expect(() => readRootCA(join(work, "nowhere"))).toThrow(/root CA certificate .*nowhere.*no such file/);
    const rootDir = join(work, "root");
    expect(() =>
      readNodePKIFiles({
        rootCert: join(rootDir, "root.pem"),
        certChain: join(rootDir, "root.pem"),
        key: join(rootDir, "root.key"),
      }),
    ).toThrow(/must hold the node certificate then its org CA/);
  });
});
