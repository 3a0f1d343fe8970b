import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadNodeConfig } from "@charter/config";
import { createEcdsaSuite, createSmSuite } from "@charter/crypto";
import { NodeRole, orgIdToBytes32 } from "@charter/governance";
import { parseCertificate, readNodePKIFiles, verifyCertificateChain } from "@charter/pki";
import { bytesToHex, hexToBytes } from "@charter/utils";
import { afterAll, describe, expect, it } from "vitest";
import { initNetwork } from "./network.js";
import { addNode } from "./nodeAdd.js";

const work = mkdtempSync(join(tmpdir(), "charter-node-add-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("addNode (charter node add)", () => {
  it("writes a node of an existing organization: key, certificate bound to it, config with every peer", async () => {
    const dir = join(work, "net");
    const { layout } = await initNetwork({
      dir,
      chainId: 99,
      validators: 2,
      blockIntervalMs: 500,
      devAccounts: true,
    });
    const added = await addNode({ dir, org: "org1", role: "observer" });
    expect(added.name).toBe("node2");
    expect(added.orgCreated).toBe(false);

    const config = loadNodeConfig({ file: added.configFile, env: {} });
    expect(config.p2p.port).toBe(layout.nodes[1]!.p2pPort + 1);
    expect(config.p2p.peers).toEqual(layout.nodes.map((n) => ({ host: "127.0.0.1", port: n.p2pPort })));
    expect(config.genesis).toBe(layout.genesisFile);
    expect(config.devnet.devAccounts).toBe(true);

    const suite = createEcdsaSuite();
    const key = hexToBytes(readFileSync(config.nodeKeyFile, "utf8").trim());
    const publicKey = suite.publicKeyFromPrivateKey(key);
    expect(added.address).toBe(bytesToHex(suite.addressFromPublicKey(publicKey)));
    const material = readNodePKIFiles(config.pki!);
    const identity = verifyCertificateChain({
      leaf: material.chain[0],
      orgCA: material.chain[1],
      root: material.root,
      now: Date.now(),
      role: "node",
    });
    expect(identity).toMatchObject({ address: added.address, org: "org1", name: "node2" });
    expect(identity.fingerprint).toBe(added.certificateFingerprint);
    expect(identity.orgCA.fingerprint).toBe(added.orgCAFingerprint);
    // The argument of NodeRegistry.addNode, as the committee must vote for it.
    expect(added.registryEntry).toEqual({
      account: added.address,
      org: bytesToHex(orgIdToBytes32("org1")),
      role: NodeRole.observer,
      weight: 1,
      publicKeyX: bytesToHex(publicKey.subarray(1, 33)),
      publicKeyY: bytesToHex(publicKey.subarray(33)),
    });
  });

  it("on an sm network writes an SM2 node key and a storage key, and no certificate", async () => {
    const dir = join(work, "sm");
    await initNetwork({
      dir,
      chainId: 98,
      validators: 1,
      blockIntervalMs: 500,
      devAccounts: false,
      crypto: "sm",
    });
    const added = await addNode({ dir, org: "bank", role: "validator", weight: 2 });
    expect(added).toMatchObject({ name: "node1", certificateFingerprint: null, orgCAFingerprint: null });
    expect(existsSync(join(dir, "pki"))).toBe(false);
    const config = loadNodeConfig({ file: added.configFile, env: {} });
    expect(config.pki).toBeUndefined();
    expect(statSync(config.storage.encryption.keyFile!).mode & 0o777).toBe(0o600);
    const suite = createSmSuite();
    const publicKey = suite.publicKeyFromPrivateKey(
      hexToBytes(readFileSync(config.nodeKeyFile, "utf8").trim()),
    );
    expect(added.address).toBe(bytesToHex(suite.addressFromPublicKey(publicKey)));
    expect(added.registryEntry).toMatchObject({
      account: added.address,
      role: NodeRole.validator,
      weight: 2,
      publicKeyX: bytesToHex(publicKey.subarray(1, 33)),
      publicKeyY: bytesToHex(publicKey.subarray(33)),
    });
  });

  it("creates a missing organization's CA under the network's root, and the next node gets the next folder", async () => {
    const dir = join(work, "net2");
    await initNetwork({ dir, chainId: 99, validators: 1, blockIntervalMs: 500, devAccounts: false });
    const first = await addNode({ dir, org: "newco" });
    const second = await addNode({ dir, org: "newco" });
    expect([first.name, second.name]).toEqual(["node1", "node2"]);
    expect([first.orgCreated, second.orgCreated]).toEqual([true, false]);
    expect(first.registryEntry.role).toBe(NodeRole.validator);
    const orgCA = parseCertificate(
      readNodePKIFiles(loadNodeConfig({ file: second.configFile, env: {} }).pki!).chain[1],
    );
    expect(orgCA.organization).toBe("newco");
    expect(orgCA.fingerprint).toBe(first.orgCAFingerprint);
    await expect(addNode({ dir: join(work, "nowhere"), org: "org0" })).rejects.toThrow(
      /not a network folder/,
    );
  });
});
