import { systemClock } from "@charter/consensus";
import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { createPeerNetwork, type PeerNetwork } from "@charter/p2p";
import { bytesToHex } from "@charter/utils";
import { afterEach, describe, expect, it } from "vitest";
import { TxGossip } from "./txGossip.js";

const suite = createEcdsaSuite();

interface Member {
  readonly network: PeerNetwork;
  readonly gossip: TxGossip;
  readonly pool: Set<string>;
}

/** Three real p2p nodes on 127.0.0.1, fully connected, each with a set standing in for its pool. */
async function cluster(): Promise<Member[]> {
  const keys = [1, 2, 3].map((i) => keccak256(new Uint8Array([i, 42])));
  const addresses = new Set(
    keys.map((k) => bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(k)))),
  );
  const members: Member[] = [];
  const ports: number[] = [];
  for (const key of keys) {
    const network = createPeerNetwork(
      { chainId: 7345n, nodeKey: key, port: 0 },
      { isAllowed: (a) => addresses.has(a) },
    );
    ports.push((await network.start()).port);
    const pool = new Set<string>();
    const gossip = new TxGossip(
      { flushIntervalMs: 5 },
      {
        network,
        clock: systemClock,
        admit: (raw) => {
          const key = bytesToHex(raw);
          if (pool.has(key)) return false;
          pool.add(key);
          return true;
        },
      },
    );
    gossip.start();
    members.push({ network, gossip, pool });
  }
  for (const [i, member] of members.entries()) {
    for (const [j, port] of ports.entries()) if (j > i) member.network.connect(undefined, "127.0.0.1", port);
  }
  const deadline = Date.now() + 10_000;
  while (members.some((m) => m.network.peers().length < 2)) {
    if (Date.now() > deadline) throw new Error("the test cluster did not connect");
    await new Promise((r) => setTimeout(r, 20));
  }
  return members;
}

let running: Member[] = [];
afterEach(async () => {
  for (const m of running) {
    m.gossip.stop();
    await m.network.stop();
  }
  running = [];
});

describe("TxGossip", () => {
  it("spreads admitted transactions to every node once, in batches, without echoing them forever", async () => {
    running = await cluster();
    const [a, b, c] = running as [Member, Member, Member];
    const txs = Array.from({ length: 250 }, (_, i) => keccak256(new Uint8Array([i, i >> 8])));
    for (const raw of txs) {
      a.pool.add(bytesToHex(raw));
      a.gossip.announce(raw);
    }
    const deadline = Date.now() + 10_000;
    while ((b.pool.size < txs.length || c.pool.size < txs.length) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(b.pool.size).toBe(txs.length);
    expect(c.pool.size).toBe(txs.length);
    await new Promise((r) => setTimeout(r, 200));
    // B and C forward what was new to them once; A and the other side then see only duplicates and stop there.
    expect(b.gossip.stats().admitted).toBe(txs.length);
    expect(a.gossip.stats().admitted).toBe(0);
    const sent = running.reduce((sum, m) => sum + m.gossip.stats().sent, 0);
    expect(sent).toBe(3 * txs.length);
  });

  it("ignores malformed gossip and keeps working", async () => {
    running = await cluster();
    const [a, b] = running as [Member, Member];
    a.network.broadcast(2, new Uint8Array([0xc3, 0xc1, 0x01, 0x02]));
    a.network.broadcast(2, new Uint8Array([0xff, 0x00]));
    const raw = keccak256(new Uint8Array([9]));
    a.gossip.announce(raw);
    const deadline = Date.now() + 5_000;
    while (!b.pool.has(bytesToHex(raw)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(b.pool.has(bytesToHex(raw))).toBe(true);
    expect(b.gossip.stats().malformed).toBeGreaterThanOrEqual(2);
  });
});
