import type { VerifiedTx } from "@charter/types";
import { bytesToHex } from "@charter/utils";
import { describe, expect, it } from "vitest";
import { createMempool } from "./mempool.js";
import { testTx } from "./testTx.js";

/**
 * Throughput of the operations a node runs per transaction and per block, at the default limits. Speeds are
 * printed, not asserted: a wall-clock threshold would make the suite flaky on a busy machine.
 */

const FREE = { nonce: 0n, balance: 0n } as const;
const POOL_TXS = 20_000;
const BLOCK = { gasMax: 1n << 40n, bytesMax: 1 << 30, countMax: 5_000 } as const;
const SELECT_RUNS = 7;

function time<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: performance.now() - start };
}

function report(label: string, count: number, ms: number): void {
  const rate = Math.round((count / ms) * 1000).toLocaleString("en-US");
  console.log(`mempool ${label}: ${count.toLocaleString("en-US")} in ${ms.toFixed(1)} ms (${rate}/s)`);
}

function makeTxs(senders: number, perSender: number): VerifiedTx[] {
  const txs: VerifiedTx[] = [];
  // Interleaved the way independent clients would submit them.
  for (let n = 0; n < perSender; n++) {
    for (let s = 0; s < senders; s++) txs.push(testTx({ sender: s, nonce: BigInt(n), bytes: 120 }));
  }
  return txs;
}

describe("mempool throughput (printed, not asserted)", () => {
  for (const [senders, perSender] of [
    [20_000, 1],
    [200, 100],
    [20, 1_000],
  ] as const) {
    it(`adds ${POOL_TXS} txs from ${senders} senders, selects ${BLOCK.countMax}, commits them`, () => {
      const pool = createMempool();
      const txs = makeTxs(senders, perSender);
      const added = time(() => {
        for (const tx of txs) pool.add(tx, FREE);
      });
      report(`add (${senders} senders)`, txs.length, added.ms);
      expect(pool.size).toBe(POOL_TXS);

      // The median of a few runs: the first ones include JIT compilation, which a running node has paid long ago.
      const runs = Array.from({ length: SELECT_RUNS }, () => time(() => pool.select(BLOCK)));
      const selected = runs.sort((a, b) => a.ms - b.ms)[SELECT_RUNS >> 1]!;
      report(
        `select ${BLOCK.countMax} of ${POOL_TXS} (${senders} senders)`,
        selected.result.length,
        selected.ms,
      );
      expect(selected.result.length).toBe(BLOCK.countMax);

      const nonceOf = new Map<string, bigint>();
      for (const tx of selected.result) nonceOf.set(bytesToHex(tx.sender), tx.nonce + 1n);
      const committed = time(() =>
        pool.onBlockCommitted(selected.result, (s) => nonceOf.get(bytesToHex(s))!),
      );
      report(`commit ${BLOCK.countMax} (${senders} senders)`, committed.result.removed.length, committed.ms);
      expect(pool.size).toBe(POOL_TXS - BLOCK.countMax);
      pool.assertInvariants();
    });
  }

  it("admits executable txs into a pool full of queued ones by evicting", () => {
    const pool = createMempool();
    // 2,000 senders with 10 queued transactions each (nonces 1..10, nonce 0 missing).
    for (let n = 1; n <= 10; n++) {
      for (let s = 0; s < 2_000; s++) pool.add(testTx({ sender: s, nonce: BigInt(n) }), FREE);
    }
    expect(pool.size).toBe(POOL_TXS);
    const fresh = Array.from({ length: 10_000 }, (_, i) => testTx({ sender: 100_000 + i, nonce: 0n }));
    const added = time(() => {
      for (const tx of fresh) pool.add(tx, FREE);
    });
    report("add with eviction (pool full)", fresh.length, added.ms);
    expect(pool.size).toBe(POOL_TXS);
    expect(pool.status().pending).toBe(fresh.length);
    pool.assertInvariants();
  });
});
