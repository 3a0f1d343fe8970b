import { bytesToHex } from "@charter/utils";
import { describe, expect, it } from "vitest";
import { blockKey, verifyCommitCertificate } from "../../src/index.js";
import { CHAIN_ID, EngineCluster, RECIPIENT, type Sent, suite, validatorSet } from "./cluster.js";

const minHeight = (c: EngineCluster, nodes: readonly number[]) =>
  Math.min(...nodes.map((i) => c.heights()[i]!));

/** Every node holds the same block and state root at every height it has, and every block certifies its parent. */
async function expectOneChain(c: EngineCluster, nodes: readonly number[]): Promise<number> {
  const top = Math.max(...nodes.map((i) => c.heights()[i]!));
  let txs = 0;
  for (let h = 1; h <= top; h++) {
    const blocks = [];
    for (const i of nodes) {
      const stored = await c.chain(i).store.blockByHeight(h);
      if (stored !== undefined) blocks.push(stored);
    }
    expect(blocks.length).toBeGreaterThan(0);
    expect(new Set(blocks.map((b) => bytesToHex(b.hash))).size).toBe(1);
    expect(new Set(blocks.map((b) => bytesToHex(b.block.header.stateRoot))).size).toBe(1);
    const header = blocks[0]!.block.header;
    txs += blocks[0]!.block.transactions.length;
    if (h === 1) {
      expect(header.lastCommit).toBeNull();
    } else {
      const parent = await c.chain(nodes[0]!).store.blockByHeight(h - 1);
      expect(header.lastCommit).not.toBeNull();
      verifyCommitCertificate(header.lastCommit!, {
        validatorSet,
        chainId: CHAIN_ID,
        blockHash: parent!.hash,
        height: h - 1,
        crypto: suite,
      });
    }
  }
  return txs;
}

/** No validator ever sent two different signed messages for one (height, round, type). */
function expectNoDoubleSign(sent: readonly Sent[]): number {
  const bySlot = new Map<string, Set<string>>();
  for (const { message: m } of sent) {
    if (m.kind === "commit") continue;
    const signer = bytesToHex(m.kind === "proposal" ? m.proposer : m.validator);
    const type = m.kind === "proposal" ? 1 : m.type;
    const slot = `${signer}/${m.height}/${m.round}/${type}`;
    const what = `${blockKey(m.blockHash)}/${m.kind === "proposal" ? m.validRound : ""}/${bytesToHex(m.signature)}`;
    const seen = bySlot.get(slot) ?? new Set<string>();
    seen.add(what);
    bySlot.set(slot, seen);
  }
  for (const [slot, seen] of bySlot) expect(seen.size, `double sign at ${slot}`).toBe(1);
  return bySlot.size;
}

describe("ConsensusEngine: four validators on real chains", () => {
  it("commits identical blocks with transactions and certificates over a reliable network", async () => {
    const c = await EngineCluster.create({ seed: 1 });
    c.start();
    expect(await c.runUntil(() => minHeight(c, [0, 1, 2, 3]) >= 6, 60_000)).toBe(true);
    const txs = await expectOneChain(c, [0, 1, 2, 3]);
    expect(txs).toBeGreaterThanOrEqual(6);
    for (let i = 0; i < 4; i++)
      expect(c.chain(i).worldState.latest().getAccount(RECIPIENT)?.balance).toBe(
        c.chain(0).worldState.latest().getAccount(RECIPIENT)?.balance,
      );
    expect(expectNoDoubleSign(c.sent)).toBeGreaterThan(0);
    for (let i = 0; i < 4; i++) await c.stop(i);
  });

  it("stays in agreement and live with dropped and delayed messages", async () => {
    for (const seed of [11, 12]) {
      const c = await EngineCluster.create({ seed, faults: { dropProbability: 0.2, delayMsMax: 80 } });
      c.start();
      expect(await c.runUntil(() => minHeight(c, [0, 1, 2, 3]) >= 5, 120_000)).toBe(true);
      await expectOneChain(c, [0, 1, 2, 3]);
      expectNoDoubleSign(c.sent);
      for (let i = 0; i < 4; i++) await c.stop(i);
    }
  });

  it("continues with one validator stopped, and a restarted validator rejoins without signing twice", async () => {
    const c = await EngineCluster.create({ seed: 3, faults: { dropProbability: 0.05, delayMsMax: 20 } });
    c.start();
    expect(await c.runUntil(() => minHeight(c, [0, 1, 2, 3]) >= 2, 60_000)).toBe(true);
    await c.stop(3);
    const stoppedAt = c.heights()[3]!;
    expect(await c.runUntil(() => minHeight(c, [0, 1, 2]) >= stoppedAt + 3, 60_000)).toBe(true);
    expect(c.heights()[3]).toBe(stoppedAt);
    await c.restart(3);
    const target = Math.max(...c.heights()) + 2;
    expect(await c.runUntil(() => minHeight(c, [0, 1, 2, 3]) >= target, 120_000)).toBe(true);
    await expectOneChain(c, [0, 1, 2, 3]);
    expectNoDoubleSign(c.sent);
    for (let i = 0; i < 4; i++) await c.stop(i);
  });

  it("an engine stopped while its chain is moved forward (block sync) resumes at the new head", async () => {
    const c = await EngineCluster.create({ seed: 4 });
    c.start();
    expect(await c.runUntil(() => minHeight(c, [0, 1, 2, 3]) >= 2, 60_000)).toBe(true);
    await c.stop(3);
    expect(await c.runUntil(() => minHeight(c, [0, 1, 2]) >= c.heights()[3]! + 4, 60_000)).toBe(true);
    // What block sync does while the engine is stopped: import the decided blocks with their certificates.
    const behind = c.chain(3);
    while (behind.head.block.header.height < c.chain(0).head.block.header.height - 1) {
      const height = behind.head.block.header.height + 1;
      const stored = (await c.chain(0).store.blockByHeight(height))!;
      const next = (await c.chain(0).store.blockByHeight(height + 1))!;
      await behind.commit(await behind.validate(stored.block), next.block.header.lastCommit);
    }
    const synced = behind.head.block.header.height;
    c.resume(3);
    const target = Math.max(...c.heights()) + 3;
    expect(await c.runUntil(() => minHeight(c, [0, 1, 2, 3]) >= target, 120_000)).toBe(true);
    expect(c.heights()[3]).toBeGreaterThan(synced);
    await expectOneChain(c, [0, 1, 2, 3]);
    expectNoDoubleSign(c.sent);
    for (let i = 0; i < 4; i++) await c.stop(i);
  });

  it("restarts mid-height from the WAL without signing a second message for any slot", async () => {
    // Restart each validator in turn at arbitrary points (right after a message left it), so records of every
    // step are recovered; the recording transport then proves no slot was signed twice.
    const c = await EngineCluster.create({ seed: 5, faults: { dropProbability: 0.1, delayMsMax: 30 } });
    c.start();
    for (let k = 0; k < 8; k++) {
      const node = k % 4;
      const before = c.sent.filter((s) => s.from === node).length;
      await c.runUntil(() => c.sent.filter((s) => s.from === node).length > before + 1, 10_000);
      await c.restart(node);
    }
    const target = Math.max(...c.heights()) + 2;
    expect(await c.runUntil(() => minHeight(c, [0, 1, 2, 3]) >= target, 120_000)).toBe(true);
    await expectOneChain(c, [0, 1, 2, 3]);
    expectNoDoubleSign(c.sent);
    for (let i = 0; i < 4; i++) await c.stop(i);
  });

  it("halts without forking when two of four validators stop", async () => {
    const c = await EngineCluster.create({ seed: 7 });
    c.start();
    expect(await c.runUntil(() => minHeight(c, [0, 1, 2, 3]) >= 2, 60_000)).toBe(true);
    await c.stop(2);
    await c.stop(3);
    // The two survivors may still finish the height in flight, but nothing after it.
    await c.runUntil(() => false, 2_000);
    const halted = c.heights();
    await c.runUntil(() => false, 20_000);
    expect(c.heights()).toEqual(halted);
    await expectOneChain(c, [0, 1, 2, 3]);
    expectNoDoubleSign(c.sent);
    for (let i = 0; i < 2; i++) await c.stop(i);
  });
});
