import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadNodeConfig, nodeConfigJSONSchema, nodeConfigToYAML } from "./nodeConfig.js";

const work = mkdtempSync(join(tmpdir(), "charter-config-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const base = {
  dataDir: "./data",
  genesis: "../genesis.json",
  nodeKeyFile: "./node.key",
  rpcPort: 8545,
  metricsPort: 9545,
  p2pPort: 30300,
  peers: [{ host: "127.0.0.1", port: 30301 }],
  devAccounts: false,
};

describe("node config: the pki section", () => {
  it("is optional, and absent from a config written without it", () => {
    const file = join(work, "plain.yaml");
    writeFileSync(file, nodeConfigToYAML(base));
    const config = loadNodeConfig({ file });
    expect(config.pki).toBeUndefined();
    expect(config.p2p.peers).toEqual([{ host: "127.0.0.1", port: 30301 }]);
  });

  it("round-trips through the YAML charter init writes, with paths made absolute", () => {
    mkdirSync(join(work, "node0"));
    const file = join(work, "node0", "node.yaml");
    writeFileSync(
      file,
      nodeConfigToYAML({
        ...base,
        pki: {
          rootCert: "../pki/root/root.pem",
          certChain: "../pki/org0/node0/chain.pem",
          key: "/abs/cert.key",
        },
      }),
    );
    const config = loadNodeConfig({ file });
    expect(config.pki).toEqual({
      rootCert: join(work, "pki/root/root.pem"),
      certChain: join(work, "pki/org0/node0/chain.pem"),
      key: "/abs/cert.key",
    });
  });

  it("names a missing or unknown pki field", () => {
    const file = join(work, "bad.yaml");
    writeFileSync(
      file,
      "dataDir: d\ngenesis: g\nnodeKeyFile: k\npki:\n  rootCert: r.pem\n  certChain: c.pem\n",
    );
    expect(() => loadNodeConfig({ file })).toThrow(/pki\.key/);
    writeFileSync(
      file,
      "dataDir: d\ngenesis: g\nnodeKeyFile: k\npki:\n  rootCert: r\n  certChain: c\n  key: k\n  crl: x\n",
    );
    expect(() => loadNodeConfig({ file })).toThrow(/crl/);
    const schema = nodeConfigJSONSchema() as { properties: Record<string, { properties?: object }> };
    expect(Object.keys(schema.properties.pki!.properties!)).toEqual(["rootCert", "certChain", "key"]);
  });
});

describe("node config: storage encryption", () => {
  const minimal = "dataDir: d\ngenesis: g\nnodeKeyFile: k\n";

  it("has no setting by default, so the chain's suite decides", () => {
    const file = join(work, "enc-default.yaml");
    writeFileSync(file, minimal);
    expect(loadNodeConfig({ file }).storage).toEqual({ engine: "level", encryption: {} });
  });

  it("round-trips a key file through the YAML charter init writes, made absolute, or an explicit off", () => {
    mkdirSync(join(work, "node-enc"));
    const file = join(work, "node-enc", "node.yaml");
    writeFileSync(file, nodeConfigToYAML({ ...base, storageEncryption: { keyFile: "./storage.key" } }));
    expect(loadNodeConfig({ file }).storage.encryption).toEqual({
      keyFile: join(work, "node-enc", "storage.key"),
    });
    writeFileSync(file, nodeConfigToYAML({ ...base, storageEncryption: { enabled: false } }));
    expect(loadNodeConfig({ file }).storage.encryption).toEqual({ enabled: false });
  });

  it("takes each field from the environment and from flags, flags last", () => {
    const file = join(work, "enc-layers.yaml");
    writeFileSync(file, `${minimal}storage:\n  encryption:\n    keyFile: ./from-file.key\n`);
    const env = {
      CHARTER_STORAGE_ENCRYPTION_KEY_FILE: "/env/storage.key",
      CHARTER_STORAGE_ENCRYPTION: "true",
    };
    expect(loadNodeConfig({ file, env }).storage.encryption).toEqual({
      enabled: true,
      keyFile: "/env/storage.key",
    });
    expect(
      loadNodeConfig({ file, env, flags: { storageEncryptionKeyFile: "/flag/storage.key" } }).storage
        .encryption,
    ).toEqual({ enabled: true, keyFile: "/flag/storage.key" });
    writeFileSync(file, minimal);
    expect(
      loadNodeConfig({
        file,
        env: { CHARTER_STORAGE_ENCRYPTION_KEY_COMMAND: "vault read -field=key charter/node0" },
      }).storage.encryption,
    ).toEqual({ keyCommand: "vault read -field=key charter/node0" });
    expect(loadNodeConfig({ file, flags: { storageEncryption: false } }).storage.encryption).toEqual({
      enabled: false,
    });
    expect(() => loadNodeConfig({ file, env: { CHARTER_STORAGE_ENCRYPTION: "maybe" } })).toThrow(
      /CHARTER_STORAGE_ENCRYPTION must be true or false/,
    );
  });

  it("refuses two key sources, and a key source with enabled: false", () => {
    const file = join(work, "enc-both.yaml");
    writeFileSync(file, `${minimal}storage:\n  encryption:\n    keyFile: a.key\n    keyCommand: cat b.key\n`);
    expect(() => loadNodeConfig({ file })).toThrow(
      /storage\.encryption: give keyFile or keyCommand, not both/,
    );
    writeFileSync(file, `${minimal}storage:\n  encryption:\n    keyFile: a.key\n`);
    expect(() => loadNodeConfig({ file, flags: { storageEncryptionKeyCommand: "cat b.key" } })).toThrow(
      /not both/,
    );
    expect(() => loadNodeConfig({ file, flags: { storageEncryption: false } })).toThrow(
      /storage\.encryption\.enabled: is false but a key source/,
    );
    writeFileSync(file, `${minimal}storage:\n  encryption:\n    key: 00\n`);
    expect(() => loadNodeConfig({ file })).toThrow(/storage\.encryption/);
  });
});
