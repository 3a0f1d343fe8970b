import { rmSync } from "node:fs";
import { loadNodeConfig } from "@charter/config";
import { describe, expect, it } from "vitest";
import { createTestNetwork, setNodePeers } from "./nodeProcess.js";

describe("setNodePeers", () => {
  it("rewrites only the peer list of a config createTestNetwork wrote", async () => {
    const { layout } = await createTestNetwork({ validators: 3 });
    try {
      const file = layout.nodes[0]!.configFile;
      const before = loadNodeConfig({ file });
      expect(before.p2p.peers.map((p) => p.port)).toEqual([
        layout.nodes[1]!.p2pPort,
        layout.nodes[2]!.p2pPort,
      ]);

      setNodePeers(file, [{ host: "127.0.0.1", port: 40_001 }]);
      const proxied = loadNodeConfig({ file });
      expect(proxied.p2p.peers).toEqual([{ host: "127.0.0.1", port: 40_001 }]);
      expect({ ...proxied, p2p: { ...proxied.p2p, peers: before.p2p.peers } }).toEqual(before);

      setNodePeers(file, []);
      expect(loadNodeConfig({ file }).p2p.peers).toEqual([]);
      setNodePeers(file, before.p2p.peers);
      expect(loadNodeConfig({ file })).toEqual(before);
    } finally {
      rmSync(layout.dir, { recursive: true, force: true });
    }
  });
});
