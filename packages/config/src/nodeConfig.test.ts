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
