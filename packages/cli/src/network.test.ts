import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deriveDevPrivateKeys, loadNodeConfig } from "@charter/config";
import { createEcdsaSuite, createSmSuite } from "@charter/crypto";
import { parseCertificate, pemToDer, readNodePKIFiles, verifyCertificateChain } from "@charter/pki";
import { bytesToHex, hexToBytes } from "@charter/utils";
import { afterAll, describe, expect, it } from "vitest";
import { initNetwork, networkLayout } from "./network.js";

const work = mkdtempSync(join(tmpdir(), "charter-init-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("initNetwork", () => {
  it("writes a consortium PKI: one org per validator, a node and an admin certificate each", async () => {
    const dir = join(work, "net");
    const { layout, genesis } = await initNetwork({
      dir,
      chainId: 99,
      validators: 3,
      blockIntervalMs: 500,
      devAccounts: false,
    });
    expect(layout).toEqual(networkLayout(dir, 3));
    const suite = createEcdsaSuite();
    const now = Date.now();
    for (const [i, node] of layout.nodes.entries()) {
      const config = loadNodeConfig({ file: node.configFile });
      expect(config.pki).toEqual(node.pki);
      const nodeKey = hexToBytes(readFileSync(config.nodeKeyFile, "utf8").trim());
      const address = bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(nodeKey)));
      expect(genesis.validators[i]!.address.toLowerCase()).toBe(address);
      const material = readNodePKIFiles(config.pki!);
      const identity = verifyCertificateChain({
        leaf: material.chain[0],
        orgCA: material.chain[1],
        root: material.root,
        now,
        role: "node",
      });
      expect(identity).toMatchObject({ org: `org${i}`, name: `node${i}`, address });
      expect(statSync(config.pki!.key).mode & 0o777).toBe(0o600);

      const org = layout.orgs[i]!;
      const adminChain = pemToDer(readFileSync(join(org.adminDir, "chain.pem"), "utf8"));
      const adminKey = hexToBytes(readFileSync(org.adminAccountKeyFile, "utf8").trim());
      const admin = verifyCertificateChain({
        leaf: adminChain[0]!,
        orgCA: adminChain[1]!,
        root: material.root,
        now,
        role: "admin",
      });
      expect(admin.address).toBe(
        bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(adminKey))),
      );
      expect(statSync(org.adminAccountKeyFile).mode & 0o777).toBe(0o600);
    }
    const root = parseCertificate(pemToDer(readFileSync(join(layout.rootCADir, "root.pem"), "utf8"))[0]!);
    expect(root).toMatchObject({ role: "root", subject: "CN=Charter root CA (chain 99)" });
    await expect(
      initNetwork({ dir, chainId: 99, validators: 3, blockIntervalMs: 500, devAccounts: false }),
    ).rejects.toThrow(/already exists/);
  });

  it("writes an sm network: SM2 keys with SM3 addresses, a storage key per node, no certificates", async () => {
    const dir = join(work, "sm");
    const { layout, genesis } = await initNetwork({
      dir,
      chainId: 98,
      validators: 2,
      blockIntervalMs: 500,
      devAccounts: true,
      crypto: "sm",
    });
    expect(genesis.crypto).toBe("sm");
    expect(existsSync(layout.pkiDir)).toBe(false);
    const suite = createSmSuite();
    for (const [i, node] of layout.nodes.entries()) {
      const config = loadNodeConfig({ file: node.configFile });
      expect(config.pki).toBeUndefined();
      const nodeKey = hexToBytes(readFileSync(config.nodeKeyFile, "utf8").trim());
      const validator = genesis.validators[i]!;
      expect(validator.publicKey).toBe(bytesToHex(suite.publicKeyFromPrivateKey(nodeKey)));
      expect(validator.address.toLowerCase()).toBe(
        bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(nodeKey))),
      );
      const keyFile = config.storage.encryption.keyFile!;
      expect(keyFile).toBe(join(node.dir, "storage.key"));
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(keyFile, "utf8").trim()).toMatch(/^(0x)?[0-9a-f]{64}$/);
    }
    const [devKey] = deriveDevPrivateKeys(1);
    const devAddress = bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(devKey!)));
    expect(Object.keys(genesis.alloc).map((a) => a.toLowerCase())).toContain(devAddress);
  });
});
