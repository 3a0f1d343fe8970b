import type { VerifiedTx } from "@charter/types";
import { bytesToHex } from "@charter/utils";
import { describe, expect, it } from "vitest";
import { isMempoolError, type MempoolError, type MempoolErrorCode } from "./errors.js";
import { createMempool, MEMPOOL_LIMITS_DEFAULT, type Mempool, NONCE_MAX } from "./mempool.js";
import { testAddress, testTx } from "./testTx.js";

const FREE = { nonce: 0n, balance: 0n } as const;
const BIG_BLOCK = { gasMax: 1_000_000_000n, bytesMax: 1 << 30, countMax: 100_000 } as const;

function refusal(fn: () => unknown): MempoolError {
  try {
    fn();
  } catch (error) {
    if (isMempoolError(error)) return error;
    throw error;
  }
  throw new Error("expected a MempoolError, the call succeeded");
}

function expectRefused(fn: () => unknown, code: MempoolErrorCode, message: string): void {
  const error = refusal(fn);
  expect(error.code).toBe(code);
  expect(error.detail.code).toBe(code);
  expect(error.message).toBe(message);
}

function nonces(txs: readonly VerifiedTx[]): bigint[] {
  return txs.map((tx) => tx.nonce);
}

function label(txs: readonly VerifiedTx[]): string[] {
  return txs.map((tx) => `${new DataView(tx.sender.buffer).getUint32(16)}:${tx.nonce}`);
}

function fill(pool: Mempool, sender: number, from: bigint, to: bigint, account = FREE): VerifiedTx[] {
  const out: VerifiedTx[] = [];
  for (let n = from; n < to; n++) {
    const tx = testTx({ sender, nonce: n });
    pool.add(tx, account);
    out.push(tx);
  }
  return out;
}

describe("admission refusals (messages are what ethers and viem match)", () => {
  it("refuses a transaction already in the pool with exactly 'already known'", () => {
    const pool = createMempool();
    const tx = testTx({ sender: 1, nonce: 0n });
    pool.add(tx, FREE);
    expectRefused(() => pool.add(tx, FREE), "already-known", "already known");
    expect(pool.size).toBe(1);
  });

  it("refuses a nonce below the committed nonce with geth's 'nonce too low' text", () => {
    const pool = createMempool();
    expectRefused(
      () => pool.add(testTx({ sender: 1, nonce: 4n }), { nonce: 5n, balance: 0n }),
      "nonce-too-low",
      "nonce too low: next nonce 5, tx nonce 4",
    );
    const message = refusal(() =>
      pool.add(testTx({ sender: 1, nonce: 0n }), { nonce: 1n, balance: 0n }),
    ).message;
    // ethers' NONCE_EXPIRED test.
    expect(/nonce/.test(message) && /too low/.test(message)).toBe(true);
  });

  it("judges 'nonce too low' by the newer of the pool's and the caller's committed nonce", () => {
    const pool = createMempool();
    fill(pool, 1, 0n, 2n);
    pool.onBlockCommitted([{ sender: testAddress(1), nonce: 0n }], () => 1n);
    // The caller read a state from before that block.
    expectRefused(
      () => pool.add(testTx({ sender: 1, nonce: 0n }), FREE),
      "nonce-too-low",
      "nonce too low: next nonce 1, tx nonce 0",
    );
  });

  it("refuses a nonce more than nonceGapMax past the next executable nonce", () => {
    const pool = createMempool({ nonceGapMax: 64n });
    fill(pool, 1, 0n, 3n);
    // Next executable nonce is 3, so 3 + 64 = 67 is the last one accepted.
    pool.add(testTx({ sender: 1, nonce: 67n }), FREE);
    expectRefused(
      () => pool.add(testTx({ sender: 1, nonce: 68n }), FREE),
      "nonce-too-high",
      "nonce too high: next nonce 3, tx nonce 68; the pool keeps at most 64 nonces ahead of the next one, so " +
        "send the missing transactions first",
    );
    // A brand-new sender counts from its committed nonce.
    expectRefused(
      () => pool.add(testTx({ sender: 2, nonce: 75n }), { nonce: 10n, balance: 0n }),
      "nonce-too-high",
      "nonce too high: next nonce 10, tx nonce 75; the pool keeps at most 64 nonces ahead of the next one, so " +
        "send the missing transactions first",
    );
  });

  it("refuses nonce 2^64-1 with 'nonce has max value'", () => {
    const pool = createMempool();
    expectRefused(
      () => pool.add(testTx({ sender: 1, nonce: NONCE_MAX }), { nonce: NONCE_MAX, balance: 0n }),
      "nonce-max",
      `nonce has max value: tx nonce ${NONCE_MAX}`,
    );
    pool.add(testTx({ sender: 1, nonce: NONCE_MAX - 1n }), { nonce: NONCE_MAX - 1n, balance: 0n });
    expect(pool.size).toBe(1);
  });

  it("refuses a sender who cannot pay gasLimit * fee cap + value, with geth's numbers", () => {
    const pool = createMempool();
    const tx = testTx({ sender: 1, nonce: 0n, gasLimit: 21_000n, fee: 2n, value: 1_000n });
    // Cost = 21,000 * 2 + 1,000 = 43,000.
    expectRefused(
      () => pool.add(tx, { nonce: 0n, balance: 42_999n }),
      "insufficient-funds",
      "insufficient funds for gas * price + value: balance 42999, tx cost 43000, overshot 1",
    );
    expect(pool.add(tx, { nonce: 0n, balance: 43_000n }).kind).toBe("added");
  });

  it("lets an unfunded account send zero-fee, zero-value transactions", () => {
    const pool = createMempool();
    expect(pool.add(testTx({ sender: 1, nonce: 0n, gasLimit: 10_000_000n }), FREE).executable).toBe(true);
  });

  it("refuses a gas limit above txGasMax with 'exceeds block gas limit'", () => {
    const pool = createMempool({ txGasMax: 1_000_000n });
    pool.add(testTx({ sender: 1, nonce: 0n, gasLimit: 1_000_000n }), FREE);
    expectRefused(
      () => pool.add(testTx({ sender: 1, nonce: 1n, gasLimit: 1_000_001n }), FREE),
      "gas-limit-exceeded",
      "exceeds block gas limit: tx gas 1000001, block gas limit 1000000",
    );
  });

  it("refuses a sender's transaction past perSenderMax with a 'txpool is full' message that names the sender", () => {
    const pool = createMempool({ perSenderMax: 3 });
    fill(pool, 7, 0n, 3n);
    const error = refusal(() => pool.add(testTx({ sender: 7, nonce: 3n }), FREE));
    expect(error.code).toBe("sender-full");
    expect(error.message).toBe(
      `txpool is full: sender ${bytesToHex(testAddress(7))} already has 3 transactions in the pool, the most ` +
        "allowed per sender; wait until some are included",
    );
    // Other senders are unaffected, and a replacement does not count as another transaction.
    pool.add(testTx({ sender: 8, nonce: 0n }), FREE);
    expect(pool.add(testTx({ sender: 7, nonce: 2n, fee: 1n }), { nonce: 0n, balance: 10n ** 18n }).kind).toBe(
      "replaced",
    );
  });

  it("refuses with exactly 'txpool is full' when nothing can be evicted", () => {
    const pool = createMempool({ txCountMax: 2 });
    fill(pool, 1, 0n, 2n);
    expectRefused(() => pool.add(testTx({ sender: 2, nonce: 0n }), FREE), "pool-full", "txpool is full");
    expect(pool.size).toBe(2);
  });

  it("checks the gas limit before the nonce, and the nonce before funds (geth's order)", () => {
    const pool = createMempool({ txGasMax: 100_000n });
    const tx = testTx({ sender: 1, nonce: 0n, gasLimit: 200_000n, fee: 1n });
    expect(refusal(() => pool.add(tx, { nonce: 5n, balance: 0n })).code).toBe("gas-limit-exceeded");
    const low = testTx({ sender: 1, nonce: 0n, fee: 1n });
    expect(refusal(() => pool.add(low, { nonce: 5n, balance: 0n })).code).toBe("nonce-too-low");
  });
});

describe("replacement", () => {
  const RICH = { nonce: 0n, balance: 10n ** 24n } as const;

  it("refuses 0 -> 0: a replacement must raise both prices strictly", () => {
    const pool = createMempool();
    pool.add(testTx({ sender: 1, nonce: 0n }), RICH);
    expectRefused(
      () => pool.add(testTx({ sender: 1, nonce: 0n }), RICH),
      "replacement-underpriced",
      "replacement transaction underpriced",
    );
  });

  it("requires both fee cap and tip at least 110% of the old ones", () => {
    const pool = createMempool();
    const old = testTx({ sender: 1, nonce: 0n, fee: 100n, tip: 50n });
    pool.add(old, RICH);
    for (const [fee, tip] of [
      [109n, 100n],
      [200n, 54n],
      [110n, 54n],
      [100n, 55n],
    ] as const) {
      expect(refusal(() => pool.add(testTx({ sender: 1, nonce: 0n, fee, tip }), RICH)).code).toBe(
        "replacement-underpriced",
      );
    }
    const next = testTx({ sender: 1, nonce: 0n, fee: 110n, tip: 55n });
    const result = pool.add(next, RICH);
    expect(result).toMatchObject({ kind: "replaced", executable: true, promoted: [], evicted: [] });
    expect(result.kind === "replaced" && bytesToHex(result.replaced)).toBe(bytesToHex(old.hash));
    expect(pool.has(old.hash)).toBe(false);
    expect(pool.get(next.hash)).toBe(next);
    expect(pool.size).toBe(1);
  });

  it("replaces 0 -> 1 (the smallest raise from a free transaction) and keeps the slot's executability", () => {
    const pool = createMempool();
    pool.add(testTx({ sender: 1, nonce: 0n }), RICH);
    pool.add(testTx({ sender: 1, nonce: 5n }), RICH);
    expect(pool.add(testTx({ sender: 1, nonce: 0n, fee: 1n }), RICH)).toMatchObject({ executable: true });
    expect(pool.add(testTx({ sender: 1, nonce: 5n, fee: 1n }), RICH)).toMatchObject({ executable: false });
    expect(pool.status()).toEqual({ pending: 1, queued: 1 });
  });

  it("applies the balance check to the replacement", () => {
    const pool = createMempool();
    pool.add(testTx({ sender: 1, nonce: 0n }), FREE);
    expect(refusal(() => pool.add(testTx({ sender: 1, nonce: 0n, fee: 1n }), FREE)).code).toBe(
      "insufficient-funds",
    );
  });

  it("accounts bytes of the new transaction instead of the old", () => {
    const pool = createMempool();
    pool.add(testTx({ sender: 1, nonce: 0n, bytes: 100 }), RICH);
    pool.add(testTx({ sender: 1, nonce: 0n, bytes: 250, fee: 1n }), RICH);
    expect(pool.bytes).toBe(250);
    pool.assertInvariants();
  });

  it("moves a replaced transaction to the back of the line (arrival is the replacement's)", () => {
    const pool = createMempool();
    pool.add(testTx({ sender: 1, nonce: 0n }), RICH);
    pool.add(testTx({ sender: 2, nonce: 0n }), RICH);
    pool.add(testTx({ sender: 1, nonce: 0n, fee: 1n }), RICH);
    expect(label(pool.select(BIG_BLOCK))).toEqual(["2:0", "1:0"]);
  });

  it("honours a configured priceBumpPercent", () => {
    const pool = createMempool({ priceBumpPercent: 100n });
    pool.add(testTx({ sender: 1, nonce: 0n, fee: 10n }), RICH);
    expect(refusal(() => pool.add(testTx({ sender: 1, nonce: 0n, fee: 19n }), RICH)).code).toBe(
      "replacement-underpriced",
    );
    expect(pool.add(testTx({ sender: 1, nonce: 0n, fee: 20n }), RICH).kind).toBe("replaced");
  });
});

describe("executable and queued transactions", () => {
  it("queues a transaction behind a gap and promotes the run when the gap fills", () => {
    const pool = createMempool();
    const a0 = testTx({ sender: 1, nonce: 0n });
    const a2 = testTx({ sender: 1, nonce: 2n });
    const a3 = testTx({ sender: 1, nonce: 3n });
    expect(pool.add(a2, FREE)).toMatchObject({ kind: "added", executable: false, promoted: [] });
    expect(pool.add(a3, FREE)).toMatchObject({ executable: false });
    expect(pool.add(a0, FREE)).toMatchObject({ executable: true, promoted: [] });
    expect(pool.pendingNonce(testAddress(1), 0n)).toBe(1n);
    expect(pool.status()).toEqual({ pending: 1, queued: 2 });
    expect(pool.queuedTxs()).toEqual([a2, a3]);
    expect(pool.select(BIG_BLOCK)).toEqual([a0]);

    const a1 = testTx({ sender: 1, nonce: 1n });
    const result = pool.add(a1, FREE);
    expect(result).toMatchObject({ executable: true, promoted: [a2, a3] });
    expect(pool.pendingNonce(testAddress(1), 0n)).toBe(4n);
    expect(pool.select(BIG_BLOCK)).toEqual([a0, a1, a2, a3]);
    expect(pool.queuedTxs()).toEqual([]);
    pool.assertInvariants();
  });

  it("reports the committed nonce as the pending nonce of an unknown sender", () => {
    const pool = createMempool();
    expect(pool.pendingNonce(testAddress(9), 42n)).toBe(42n);
  });

  it("does not count queued transactions in the pending nonce", () => {
    const pool = createMempool();
    fill(pool, 1, 0n, 3n);
    fill(pool, 1, 10n, 12n);
    expect(pool.pendingNonce(testAddress(1), 0n)).toBe(3n);
  });

  it("answers the pending nonce from a committed nonce newer than the pool's view", () => {
    const pool = createMempool();
    fill(pool, 1, 0n, 5n);
    fill(pool, 1, 6n, 8n);
    // The caller's state already has nonce 6 (another node's block used nonce 5), the pool was not told yet.
    expect(pool.pendingNonce(testAddress(1), 6n)).toBe(8n);
    expect(pool.pendingNonce(testAddress(1), 2n)).toBe(5n);
  });

  it("demotes the later transactions of a sender when one in the middle is removed", () => {
    const pool = createMempool();
    const txs = fill(pool, 1, 0n, 4n);
    expect(pool.remove(txs[1]!.hash)).toBe(txs[1]);
    expect(pool.remove(txs[1]!.hash)).toBeUndefined();
    expect(pool.pendingNonce(testAddress(1), 0n)).toBe(1n);
    expect(pool.status()).toEqual({ pending: 1, queued: 2 });
    expect(pool.isExecutable(txs[0]!.hash)).toBe(true);
    expect(pool.isExecutable(txs[2]!.hash)).toBe(false);
    expect(pool.senderContent(testAddress(1))).toEqual({ pending: [txs[0]], queued: [txs[2], txs[3]] });
    pool.assertInvariants();
  });
});

describe("onBlockCommitted", () => {
  it("removes included and stale transactions and promotes the ones whose gap closed", () => {
    const pool = createMempool();
    const a = fill(pool, 1, 0n, 3n);
    const a5 = testTx({ sender: 1, nonce: 5n });
    pool.add(a5, FREE);
    const b = fill(pool, 2, 0n, 2n);
    // The block holds a0, a1 from this pool, and a2', a3', a4' that another node had: a2 is now stale and a5
    // executable.
    const block = [a[0]!, a[1]!, testTx({ sender: 1, nonce: 2n }), testTx({ sender: 1, nonce: 3n })];
    block.push(testTx({ sender: 1, nonce: 4n }));
    const result = pool.onBlockCommitted(block, (sender) =>
      bytesToHex(sender) === bytesToHex(testAddress(1)) ? 5n : 0n,
    );
    expect(result.removed).toEqual([a[0], a[1], a[2]]);
    expect(result.promoted).toEqual([a5]);
    // a5 arrived before b0 and b1.
    expect(pool.select(BIG_BLOCK)).toEqual([a5, ...b]);
    expect(pool.size).toBe(3);
    expect(pool.bytes).toBe(300);
    pool.assertInvariants();
  });

  it("reports nothing promoted when the run simply shrinks from below", () => {
    const pool = createMempool();
    const a = fill(pool, 1, 0n, 4n);
    const result = pool.onBlockCommitted([a[0]!, a[1]!], () => 2n);
    expect(result).toEqual({ removed: [a[0], a[1]], promoted: [] });
    expect(pool.pendingNonce(testAddress(1), 2n)).toBe(4n);
  });

  it("forgets a sender whose transactions were all included", () => {
    const pool = createMempool();
    const a = fill(pool, 1, 0n, 2n);
    pool.onBlockCommitted(a, () => 2n);
    expect(pool.size).toBe(0);
    expect(pool.bytes).toBe(0);
    expect(pool.senderContent(testAddress(1))).toEqual({ pending: [], queued: [] });
    pool.assertInvariants();
  });

  it("stops on a post-block state that has not used the committed nonce", () => {
    const pool = createMempool();
    const a = fill(pool, 1, 0n, 2n);
    expect(() => pool.onBlockCommitted(a, () => 1n)).toThrow(/after committing 1/);
  });
});

describe("eviction when the pool is full", () => {
  it("evicts the highest nonce of the sender with the most transactions to admit an executable one", () => {
    const pool = createMempool({ txCountMax: 6 });
    fill(pool, 1, 0n, 1n);
    const queuedA = [testTx({ sender: 1, nonce: 5n }), testTx({ sender: 1, nonce: 6n })];
    for (const tx of queuedA) pool.add(tx, FREE);
    const queuedB = testTx({ sender: 2, nonce: 3n });
    pool.add(queuedB, FREE);
    fill(pool, 3, 0n, 2n);
    expect(pool.size).toBe(6);

    const newcomer = testTx({ sender: 4, nonce: 0n });
    const result = pool.add(newcomer, FREE);
    expect(result).toMatchObject({ kind: "added", executable: true, evicted: [queuedA[1]] });
    expect(pool.has(queuedA[1]!.hash)).toBe(false);
    // Sender 1 (2 left) now ties with sender 3 (2, none queued) and leads sender 2; its 5 goes next.
    expect(pool.add(testTx({ sender: 5, nonce: 0n }), FREE).evicted).toEqual([queuedA[0]]);
    // Sender 1 and 2 both hold one transaction; only sender 2 has a queued one.
    expect(pool.add(testTx({ sender: 6, nonce: 0n }), FREE).evicted).toEqual([queuedB]);
    expectRefused(() => pool.add(testTx({ sender: 7, nonce: 0n }), FREE), "pool-full", "txpool is full");
    pool.assertInvariants();
  });

  it("breaks ties between equally large senders by evicting the newest transaction", () => {
    const pool = createMempool({ txCountMax: 4 });
    const a = testTx({ sender: 1, nonce: 3n });
    const b = testTx({ sender: 2, nonce: 3n });
    const c = testTx({ sender: 3, nonce: 3n });
    pool.add(a, FREE);
    pool.add(b, FREE);
    pool.add(c, FREE);
    pool.add(testTx({ sender: 4, nonce: 0n }), FREE);
    expect(pool.add(testTx({ sender: 5, nonce: 0n }), FREE).evicted).toEqual([c]);
    expect(pool.add(testTx({ sender: 6, nonce: 0n }), FREE).evicted).toEqual([b]);
  });

  it("lets a queued newcomer displace only a sender that would still hold more transactions", () => {
    const pool = createMempool({ txCountMax: 4 });
    const flood = [
      testTx({ sender: 1, nonce: 10n }),
      testTx({ sender: 1, nonce: 11n }),
      testTx({ sender: 1, nonce: 12n }),
    ];
    for (const tx of flood) pool.add(tx, FREE);
    pool.add(testTx({ sender: 2, nonce: 5n }), FREE);
    // Sender 3 (1 after admission) may displace the flooder (3 before eviction).
    expect(pool.add(testTx({ sender: 3, nonce: 5n }), FREE).evicted).toEqual([flood[2]]);
    // The flooder may not displace others with more future nonces: it would hold 3, the largest other holds 1.
    expectRefused(() => pool.add(testTx({ sender: 1, nonce: 13n }), FREE), "pool-full", "txpool is full");
    // Sender 2 would hold 2, the flooder holds 2: not more, so refused.
    expectRefused(() => pool.add(testTx({ sender: 2, nonce: 6n }), FREE), "pool-full", "txpool is full");
    pool.assertInvariants();
  });

  it("evicts as many transactions as the bytes limit needs, or none at all", () => {
    const pool = createMempool({ bytesMax: 1_000 });
    const queued = [0, 1, 2, 3].map((i) => testTx({ sender: 10 + i, nonce: 1n, bytes: 200 }));
    for (const tx of queued) pool.add(tx, FREE);
    pool.add(testTx({ sender: 1, nonce: 0n, bytes: 150 }), FREE);
    expect(pool.bytes).toBe(950);

    const snapshot = { size: pool.size, bytes: pool.bytes, queued: pool.queuedTxs() };
    // Needs 950 + 900 - 1000 = 850 bytes: all 800 queued bytes are not enough, so nothing is evicted.
    expectRefused(
      () => pool.add(testTx({ sender: 2, nonce: 0n, bytes: 900 }), FREE),
      "pool-full",
      "txpool is full",
    );
    expect({ size: pool.size, bytes: pool.bytes, queued: pool.queuedTxs() }).toEqual(snapshot);
    pool.assertInvariants();

    // Needs 950 + 400 - 1000 = 350 bytes: two 200-byte transactions, newest first.
    const result = pool.add(testTx({ sender: 2, nonce: 0n, bytes: 400 }), FREE);
    expect(result.evicted).toEqual([queued[3], queued[2]]);
    expect(pool.bytes).toBe(950 - 400 + 400);
    pool.assertInvariants();
  });

  it("keeps the newcomer's sender queue and its view of the committed nonce when eviction empties it", () => {
    const pool = createMempool({ txCountMax: 2 });
    const first = testTx({ sender: 1, nonce: 0n });
    pool.add(first, FREE);
    pool.add(testTx({ sender: 1, nonce: 3n }), FREE);
    pool.onBlockCommitted([first], () => 1n);
    pool.add(testTx({ sender: 2, nonce: 0n }), FREE);
    // The caller passes a stale account (nonce 0); the pool knows sender 1 is at nonce 1.
    const result = pool.add(testTx({ sender: 1, nonce: 1n }), FREE);
    expect(result).toMatchObject({ executable: true });
    expect(result.evicted.map((tx) => tx.nonce)).toEqual([3n]);
    pool.assertInvariants();
  });

  it("makes room for a larger replacement of an executable transaction", () => {
    const pool = createMempool({ bytesMax: 500 });
    const queued = testTx({ sender: 2, nonce: 4n, bytes: 200 });
    pool.add(testTx({ sender: 1, nonce: 0n, bytes: 200 }), FREE);
    pool.add(queued, FREE);
    const result = pool.add(testTx({ sender: 1, nonce: 0n, bytes: 400, fee: 1n }), {
      nonce: 0n,
      balance: 10n ** 9n,
    });
    expect(result).toMatchObject({ kind: "replaced", evicted: [queued] });
    expect(pool.bytes).toBe(400);
  });
});

describe("select", () => {
  it("interleaves senders by arrival of their next transaction, each in nonce order", () => {
    const pool = createMempool();
    const add = (sender: number, nonce: bigint) => pool.add(testTx({ sender, nonce }), FREE);
    add(1, 1n); // queued until 1:0 arrives
    add(2, 0n);
    add(1, 0n);
    add(3, 0n);
    add(2, 1n);
    add(1, 2n);
    // 1:0 arrived after 2:0, and 1:1 rides along right behind it because it arrived even earlier.
    expect(label(pool.select(BIG_BLOCK))).toEqual(["2:0", "1:0", "1:1", "3:0", "2:1", "1:2"]);
    expect(label([...pool])).toEqual(label(pool.select(BIG_BLOCK)));
    expect(label(pool.pendingTxs(2))).toEqual(["2:0", "1:0"]);
  });

  it("stops at countMax", () => {
    const pool = createMempool();
    fill(pool, 1, 0n, 10n);
    expect(nonces(pool.select({ ...BIG_BLOCK, countMax: 3 }))).toEqual([0n, 1n, 2n]);
    expect(pool.select({ ...BIG_BLOCK, countMax: 0 })).toEqual([]);
  });

  it("skips a transaction over the gas budget together with its sender's later ones, and goes on with others", () => {
    const pool = createMempool();
    pool.add(testTx({ sender: 1, nonce: 0n, gasLimit: 50_000n }), FREE);
    pool.add(testTx({ sender: 2, nonce: 0n, gasLimit: 80_000n }), FREE);
    pool.add(testTx({ sender: 2, nonce: 1n, gasLimit: 21_000n }), FREE);
    pool.add(testTx({ sender: 3, nonce: 0n, gasLimit: 30_000n }), FREE);
    pool.add(testTx({ sender: 1, nonce: 1n, gasLimit: 21_000n }), FREE);
    const chosen = pool.select({ ...BIG_BLOCK, gasMax: 110_000n });
    expect(label(chosen)).toEqual(["1:0", "3:0", "1:1"]);
    expect(chosen.reduce((sum, tx) => sum + tx.gasLimit, 0n)).toBeLessThanOrEqual(110_000n);
  });

  it("skips a transaction over the bytes budget together with its sender's later ones", () => {
    const pool = createMempool();
    pool.add(testTx({ sender: 1, nonce: 0n, bytes: 300 }), FREE);
    pool.add(testTx({ sender: 2, nonce: 0n, bytes: 800 }), FREE);
    pool.add(testTx({ sender: 2, nonce: 1n, bytes: 10 }), FREE);
    pool.add(testTx({ sender: 3, nonce: 0n, bytes: 500 }), FREE);
    pool.add(testTx({ sender: 1, nonce: 1n, bytes: 100 }), FREE);
    // 2:1 would fit the 200 bytes left after 3:0, but not without 2:0.
    expect(label(pool.select({ ...BIG_BLOCK, bytesMax: 1_000 }))).toEqual(["1:0", "3:0", "1:1"]);
  });

  it("does not change the pool", () => {
    const pool = createMempool();
    fill(pool, 1, 0n, 5n);
    pool.select(BIG_BLOCK);
    expect(pool.size).toBe(5);
    expect(nonces(pool.select(BIG_BLOCK))).toEqual([0n, 1n, 2n, 3n, 4n]);
  });

  it("never takes queued transactions", () => {
    const pool = createMempool();
    fill(pool, 1, 1n, 5n);
    expect(pool.select(BIG_BLOCK)).toEqual([]);
    expect([...pool]).toEqual([]);
  });
});

describe("options", () => {
  it("uses the documented defaults", () => {
    expect(createMempool().limits).toEqual(MEMPOOL_LIMITS_DEFAULT);
    expect(MEMPOOL_LIMITS_DEFAULT).toMatchObject({
      txCountMax: 20_000,
      bytesMax: 64 * 1024 * 1024,
      perSenderMax: 1_000,
      nonceGapMax: 64n,
    });
  });

  it("refuses nonsensical limits at construction", () => {
    expect(() => createMempool({ txCountMax: 0 })).toThrow(/txCountMax/);
    expect(() => createMempool({ bytesMax: 1.5 })).toThrow(/bytesMax/);
    expect(() => createMempool({ txGasMax: 0n })).toThrow(/txGasMax/);
  });
});
