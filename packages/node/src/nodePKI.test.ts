import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createOrgCA,
  createRootCA,
  DAY_MS,
  issueNodeCertificate,
  writeIssuedCertificate,
  writeRootCA,
} from "@charter/pki";
import { afterAll, describe, expect, it } from "vitest";
import { loadNodePKI } from "./nodePKI.js";

const work = mkdtempSync(join(tmpdir(), "charter-node-pki-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ADDRESS = "0x00000000000000000000000000000000000000cc";

async function nodeFolder(
  name: string,
  options: { now?: number; validityDays?: number; address?: string } = {},
) {
  const root = await createRootCA({ name: "Root" });
  const org = await createOrgCA({ root, org: "org0" });
  const node = await issueNodeCertificate({
    orgCA: org,
    name,
    address: options.address ?? ADDRESS,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.validityDays === undefined ? {} : { validityDays: options.validityDays }),
  });
  const files = writeIssuedCertificate(join(work, name), node, root.certificatePem);
  return { rootCert: files.root!, certChain: files.chain, key: files.key, root, node };
}

describe("loadNodePKI", () => {
  it("loads a valid chain bound to the node key, with the three certificates to watch", async () => {
    const files = await nodeFolder("good");
    const pki = loadNodePKI(files, { address: ADDRESS, now: Date.now() });
    expect(pki.identity).toMatchObject({ org: "org0", name: "good", address: ADDRESS });
    expect(pki.certificates.map((c) => c.label)).toEqual(["node", "org", "root"]);
    expect(pki.p2p.certificateChainPem).toBe(files.node.chainPem);
  });

  it("refuses to start with an expired certificate, saying what to do", async () => {
    const files = await nodeFolder("expired", { now: Date.now() - 40 * DAY_MS, validityDays: 30 });
    expect(() => loadNodePKI(files, { address: ADDRESS, now: Date.now() })).toThrow(
      /refusing to start: .*cannot be used .*\(expired\)\. The node certificate "CN=expired, O=org0" expired on .*`charter pki issue-node`/,
    );
  });

  it("refuses a certificate of another node key, another root, or a key that is not the certificate's", async () => {
    const files = await nodeFolder("other", { address: "0x00000000000000000000000000000000000000dd" });
    expect(() => loadNodePKI(files, { address: ADDRESS, now: Date.now() })).toThrow(
      /bound to 0x0+dd, but this node's key .* has the address 0x0+cc/,
    );
    const good = await nodeFolder("good2");
    const strangerRoot = writeRootCA(join(work, "stranger"), await createRootCA({ name: "Root" }));
    expect(() =>
      loadNodePKI({ ...good, rootCert: strangerRoot.certificate }, { address: ADDRESS, now: Date.now() }),
    ).toThrow(/cannot be used with the root .*\(bad-signature\)/);
    const another = await nodeFolder("another");
    expect(() => loadNodePKI({ ...good, key: another.key }, { address: ADDRESS, now: Date.now() })).toThrow(
      /does not belong to the node certificate/,
    );
    expect(() =>
      loadNodePKI({ ...good, key: join(work, "missing.key") }, { address: ADDRESS, now: Date.now() }),
    ).toThrow(/cannot load the node's certificates: .*missing\.key: no such file/);
  });
});
