import type { VerifiedTx } from "@charter/types";
import { bytesToHex } from "@charter/utils";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isMempoolError, type MempoolErrorCode } from "./errors.js";
import { createMempool, type Mempool, type MempoolLimits, type SelectLimits, TX_GAS_MIN } from "./mempool.js";
import { testAddress, testTx } from "./testTx.js";

/**
 * Model-based tests: random sequences of add / resend / select / commit / remove run against the pool and
 * against a plain model (a list of transactions with their arrival order and each sender's chain nonce). After
 * every step the pool's answers must match what the model derives from first principles.
 */

const SENDERS: readonly number[] = [1, 2, 3, 4, 5];
const TX_GAS_MAX = 150_000n;

type Command =
  | {
      readonly kind: "add";
      readonly sender: number;
      readonly nonceOffset: number;
      readonly fee: bigint;
      readonly tip: bigint;
      readonly value: bigint;
      readonly gasLimit: bigint;
      readonly bytes: number;
      readonly funded: boolean;
    }
  | { readonly kind: "resend"; readonly pick: number }
  | { readonly kind: "replace"; readonly pick: number; readonly bump: bigint; readonly bytes: number }
  | { readonly kind: "select"; readonly limits: SelectLimits }
  | {
      readonly kind: "commit";
      readonly limits: SelectLimits;
      readonly keep: number;
      readonly foreignSender: number;
      readonly foreignCount: number;
    }
  | { readonly kind: "remove"; readonly pick: number };

const selectLimitsArb: fc.Arbitrary<SelectLimits> = fc.record({
  gasMax: fc.bigInt({ min: 0n, max: 400_000n }),
  bytesMax: fc.integer({ min: 0, max: 3_000 }),
  countMax: fc.integer({ min: 0, max: 12 }),
});

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("add" as const),
      sender: fc.constantFrom(...SENDERS),
      // Mostly the next few nonces, sometimes far enough to pass the gap limit.
      nonceOffset: fc.oneof(
        { weight: 5, arbitrary: fc.integer({ min: -1, max: 3 }) },
        fc.integer({ min: -1, max: 12 }),
      ),
      fee: fc.constantFrom(0n, 0n, 1n, 5n),
      tip: fc.constantFrom(0n, 0n, 1n, 5n),
      value: fc.constantFrom(0n, 0n, 1n),
      gasLimit: fc.constantFrom(21_000n, 21_000n, 50_000n, 100_000n, 21_000n, 50_000n, 160_000n),
      bytes: fc.integer({ min: 50, max: 400 }),
      funded: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("resend" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("replace" as const),
      pick: fc.nat(),
      bump: fc.constantFrom(0n, 1n, 2n, 100n),
      bytes: fc.integer({ min: 50, max: 600 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("select" as const), limits: selectLimitsArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("commit" as const),
      limits: selectLimitsArb,
      keep: fc.double({ min: 0, max: 1, noNaN: true }),
      foreignSender: fc.constantFrom(...SENDERS),
      foreignCount: fc.constantFrom(0, 0, 1, 3),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
);

const limitsArb = fc.record({
  txCountMax: fc.integer({ min: 3, max: 15 }),
  bytesMax: fc.integer({ min: 600, max: 3_000 }),
  perSenderMax: fc.integer({ min: 1, max: 12 }),
  nonceGapMax: fc.bigInt({ min: 0n, max: 6n }),
  txGasMax: fc.constant(TX_GAS_MAX),
  priceBumpPercent: fc.constantFrom(0n, 10n, 50n),
});

interface ModelTx {
  readonly tx: VerifiedTx;
  readonly arrival: number;
}

const RICH = 10n ** 30n;

/** How often each outcome happened, to check that the generators reach every path. */
const reached = new Map<string, number>();
function count(outcome: string): void {
  reached.set(outcome, (reached.get(outcome) ?? 0) + 1);
}

class Model {
  readonly txs = new Map<string, ModelTx>();
  readonly chainNonce = new Map<number, bigint>(SENDERS.map((s) => [s, 0n]));
  arrivals = 0;

  constructor(readonly limits: MempoolLimits) {}

  nonceOf(sender: number): bigint {
    return this.chainNonce.get(sender)!;
  }

  senderTxs(sender: number): ModelTx[] {
    const key = bytesToHex(testAddress(sender));
    return [...this.txs.values()]
      .filter((m) => bytesToHex(m.tx.sender) === key)
      .sort((a, b) => (a.tx.nonce < b.tx.nonce ? -1 : 1));
  }

  /** The sender's executable run: contiguous nonces from the chain nonce. */
  pending(sender: number): ModelTx[] {
    const out: ModelTx[] = [];
    let next = this.nonceOf(sender);
    for (const m of this.senderTxs(sender)) {
      if (m.tx.nonce !== next) break;
      out.push(m);
      next++;
    }
    return out;
  }

  pendingHashes(): Set<string> {
    return new Set(SENDERS.flatMap((s) => this.pending(s).map((m) => bytesToHex(m.tx.hash))));
  }

  get bytes(): number {
    let sum = 0;
    for (const m of this.txs.values()) sum += m.tx.raw.length;
    return sum;
  }

  /** The select rule written naively: O(n^2), but obviously the rule. */
  select(limits: SelectLimits): VerifiedTx[] {
    const out: VerifiedTx[] = [];
    if (limits.countMax <= 0) return out;
    const runs = new Map(SENDERS.map((s) => [s, this.pending(s)]));
    const skipped = new Set<number>();
    let gas = limits.gasMax;
    let bytes = limits.bytesMax;
    for (;;) {
      let best: { sender: number; head: ModelTx } | undefined;
      for (const [sender, run] of runs) {
        const head = run[0];
        if (head === undefined || skipped.has(sender)) continue;
        if (best === undefined || head.arrival < best.head.arrival) best = { sender, head };
      }
      if (best === undefined) return out;
      const { tx } = best.head;
      if (tx.gasLimit > gas || tx.raw.length > bytes) {
        skipped.add(best.sender);
        continue;
      }
      runs.get(best.sender)!.shift();
      out.push(tx);
      gas -= tx.gasLimit;
      bytes -= tx.raw.length;
      if (out.length >= limits.countMax || gas < TX_GAS_MIN) return out;
    }
  }

  /** The refusal the rules demand when the pool is not full, or undefined if the transaction must be admitted. */
  expectedRefusal(tx: VerifiedTx, balance: bigint, sender: number): MempoolErrorCode | undefined {
    if (this.txs.has(bytesToHex(tx.hash))) return "already-known";
    if (tx.gasLimit > this.limits.txGasMax) return "gas-limit-exceeded";
    const committed = this.nonceOf(sender);
    if (tx.nonce < committed) return "nonce-too-low";
    const own = this.senderTxs(sender);
    const existing = own.find((m) => m.tx.nonce === tx.nonce);
    if (existing === undefined) {
      const run = this.pending(sender);
      if (tx.nonce > committed + BigInt(run.length) + this.limits.nonceGapMax) return "nonce-too-high";
    }
    if (balance < tx.gasLimit * tx.maxFeePerGas + tx.value) return "insufficient-funds";
    if (existing !== undefined) {
      const p = 100n + this.limits.priceBumpPercent;
      const old = existing.tx;
      const ok =
        tx.maxFeePerGas > old.maxFeePerGas &&
        tx.maxPriorityFeePerGas > old.maxPriorityFeePerGas &&
        tx.maxFeePerGas * 100n >= old.maxFeePerGas * p &&
        tx.maxPriorityFeePerGas * 100n >= old.maxPriorityFeePerGas * p;
      if (!ok) return "replacement-underpriced";
    } else if (own.length >= this.limits.perSenderMax) {
      return "sender-full";
    }
    return undefined;
  }
}

function addressNumber(address: Uint8Array): number {
  return new DataView(address.buffer, address.byteOffset).getUint32(16);
}

function senderNumber(tx: VerifiedTx): number {
  return addressNumber(tx.sender);
}

function hashes(txs: readonly VerifiedTx[]): string[] {
  return txs.map((tx) => bytesToHex(tx.hash)).sort();
}

function snapshot(pool: Mempool): { size: number; bytes: number; content: string[]; pending: string[] } {
  return {
    size: pool.size,
    bytes: pool.bytes,
    content: hashes([...pool.pendingTxs(), ...pool.queuedTxs()]),
    pending: pool.pendingTxs().map((tx) => bytesToHex(tx.hash)),
  };
}

function checkAgainstModel(pool: Mempool, model: Model): void {
  pool.assertInvariants();
  const pending = pool.pendingTxs();
  const queued = pool.queuedTxs();
  expect(pool.size).toBe(model.txs.size);
  expect(pool.bytes).toBe(model.bytes);
  expect(pool.size).toBeLessThanOrEqual(model.limits.txCountMax);
  expect(pool.bytes).toBeLessThanOrEqual(model.limits.bytesMax);
  expect(hashes([...pending, ...queued])).toEqual([...model.txs.keys()].sort());
  expect(hashes(pending)).toEqual([...model.pendingHashes()].sort());
  expect(pool.status()).toEqual({ pending: pending.length, queued: queued.length });
  const slots = new Set<string>();
  for (const tx of [...pending, ...queued]) {
    const slot = `${senderNumber(tx)}:${tx.nonce}`;
    expect(slots.has(slot)).toBe(false);
    slots.add(slot);
  }
  for (const s of SENDERS) {
    const committed = model.nonceOf(s);
    const run = model.pending(s);
    expect(pool.pendingNonce(testAddress(s), committed)).toBe(committed + BigInt(run.length));
    expect(model.senderTxs(s).length).toBeLessThanOrEqual(model.limits.perSenderMax);
  }
  expect(pending.map((tx) => bytesToHex(tx.hash))).toEqual(
    model
      .select({ gasMax: 1n << 60n, bytesMax: 1 << 30, countMax: 1 << 30 })
      .map((tx) => bytesToHex(tx.hash)),
  );
}

function checkSelect(pool: Mempool, model: Model, limits: SelectLimits): VerifiedTx[] {
  const chosen = pool.select(limits);
  expect(chosen.map((tx) => bytesToHex(tx.hash))).toEqual(
    model.select(limits).map((tx) => bytesToHex(tx.hash)),
  );
  expect(chosen.length).toBeLessThanOrEqual(Math.max(0, limits.countMax));
  expect(chosen.reduce((sum, tx) => sum + tx.gasLimit, 0n)).toBeLessThanOrEqual(limits.gasMax);
  expect(chosen.reduce((sum, tx) => sum + tx.raw.length, 0)).toBeLessThanOrEqual(limits.bytesMax);
  // What the pool proposes must be a valid block: each sender's nonces contiguous from its chain nonce.
  const next = new Map<number, bigint>();
  for (const tx of chosen) {
    const s = senderNumber(tx);
    expect(tx.nonce).toBe(next.get(s) ?? model.nonceOf(s));
    next.set(s, tx.nonce + 1n);
  }
  return chosen;
}

function runAdd(pool: Mempool, model: Model, tx: VerifiedTx, balance: bigint): void {
  const sender = senderNumber(tx);
  const expected = model.expectedRefusal(tx, balance, sender);
  const existing = model.senderTxs(sender).find((m) => m.tx.nonce === tx.nonce);
  const countAfter = model.txs.size + (existing === undefined ? 1 : 0);
  const bytesAfter = model.bytes + tx.raw.length - (existing?.tx.raw.length ?? 0);
  const full = countAfter > model.limits.txCountMax || bytesAfter > model.limits.bytesMax;
  const pendingBefore = model.pendingHashes();
  const before = snapshot(pool);
  let result: ReturnType<Mempool["add"]>;
  try {
    result = pool.add(tx, { nonce: model.nonceOf(sender), balance });
  } catch (error) {
    if (!isMempoolError(error)) throw error;
    // A refusal leaves the pool exactly as it was.
    expect(snapshot(pool)).toEqual(before);
    count(error.code);
    if (expected !== undefined) {
      expect(error.code).toBe(expected);
      return;
    }
    expect(error.code).toBe("pool-full");
    expect(full).toBe(true);
    const newcomerRun = model.nonceOf(sender) + BigInt(model.pending(sender).length);
    const executable =
      existing !== undefined ? pendingBefore.has(bytesToHex(existing.tx.hash)) : tx.nonce === newcomerRun;
    if (executable) {
      // An executable newcomer may evict every queued transaction; refusing is right only if even that is short.
      const queued = [...model.txs.values()].filter((m) => !pendingBefore.has(bytesToHex(m.tx.hash)));
      const queuedBytes = queued.reduce((sum, m) => sum + m.tx.raw.length, 0);
      const enough =
        countAfter - queued.length <= model.limits.txCountMax &&
        bytesAfter - queuedBytes <= model.limits.bytesMax;
      expect(enough).toBe(false);
    }
    return;
  }
  expect(expected).toBeUndefined();
  count(result.kind);
  if (result.evicted.length > 0) count(result.executable ? "evicted-for-executable" : "evicted-for-queued");
  if (result.promoted.length > 0) count("promoted-by-add");
  expect(result.kind).toBe(existing === undefined ? "added" : "replaced");
  if (result.kind === "replaced") expect(bytesToHex(result.replaced)).toBe(bytesToHex(existing!.tx.hash));
  if (!full) expect(result.evicted).toEqual([]);
  for (const victim of result.evicted) {
    const key = bytesToHex(victim.hash);
    expect(model.txs.has(key)).toBe(true);
    expect(pendingBefore.has(key)).toBe(false);
    if (!result.executable) expect(senderNumber(victim)).not.toBe(sender);
    model.txs.delete(key);
  }
  if (existing !== undefined) model.txs.delete(bytesToHex(existing.tx.hash));
  model.txs.set(bytesToHex(tx.hash), { tx, arrival: model.arrivals++ });
  const pendingAfter = model.pendingHashes();
  expect(result.executable).toBe(pendingAfter.has(bytesToHex(tx.hash)));
  const newlyPending = [...pendingAfter].filter((h) => !pendingBefore.has(h) && h !== bytesToHex(tx.hash));
  expect(hashes(result.promoted)).toEqual(newlyPending.sort());
}

function runCommit(pool: Mempool, model: Model, command: Extract<Command, { kind: "commit" }>): void {
  const chosen = checkSelect(pool, model, command.limits);
  const block: VerifiedTx[] = chosen.slice(0, Math.floor(chosen.length * command.keep));
  const nextNonce = new Map<number, bigint>();
  for (const tx of block) nextNonce.set(senderNumber(tx), tx.nonce + 1n);
  // Transactions this pool never saw (another validator's block) use the sender's next nonces.
  const s = command.foreignSender;
  for (let i = 0; i < command.foreignCount; i++) {
    const nonce = nextNonce.get(s) ?? model.nonceOf(s);
    block.push(testTx({ sender: s, nonce }));
    nextNonce.set(s, nonce + 1n);
  }
  const pendingBefore = model.pendingHashes();
  for (const [sender, nonce] of nextNonce) model.chainNonce.set(sender, nonce);
  const stale = [...model.txs.values()].filter((m) => m.tx.nonce < model.nonceOf(senderNumber(m.tx)));
  for (const m of stale) model.txs.delete(bytesToHex(m.tx.hash));
  const result = pool.onBlockCommitted(block, (address) => model.nonceOf(addressNumber(address)));
  expect(hashes(result.removed)).toEqual(hashes(stale.map((m) => m.tx)));
  const promoted = [...model.pendingHashes()].filter((h) => !pendingBefore.has(h));
  expect(hashes(result.promoted)).toEqual(promoted.sort());
  if (result.promoted.length > 0) count("promoted-by-commit");
  if (stale.some((m) => !block.some((tx) => tx.hash === m.tx.hash))) count("stale-removed");
}

function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

function run(limits: MempoolLimits, commands: readonly Command[]): void {
  const pool = createMempool(limits);
  const model = new Model(pool.limits);
  for (const command of commands) {
    switch (command.kind) {
      case "add": {
        const nonce = model.nonceOf(command.sender) + BigInt(command.nonceOffset);
        if (nonce < 0n) break;
        const tx = testTx({ ...command, nonce });
        runAdd(pool, model, tx, command.funded ? RICH : 0n);
        break;
      }
      case "resend": {
        const m = pick([...model.txs.values()], command.pick);
        if (m !== undefined) runAdd(pool, model, m.tx, RICH);
        break;
      }
      case "replace": {
        const m = pick([...model.txs.values()], command.pick);
        if (m === undefined) break;
        const { tx } = m;
        const fee = tx.maxFeePerGas + command.bump;
        const tip = tx.maxPriorityFeePerGas + command.bump;
        const next = testTx({ sender: senderNumber(tx), nonce: tx.nonce, fee, tip, bytes: command.bytes });
        runAdd(pool, model, next, RICH);
        break;
      }
      case "select":
        checkSelect(pool, model, command.limits);
        break;
      case "commit":
        runCommit(pool, model, command);
        break;
      case "remove": {
        const m = pick([...model.txs.values()], command.pick);
        if (m === undefined) break;
        expect(pool.remove(m.tx.hash)).toBe(m.tx);
        model.txs.delete(bytesToHex(m.tx.hash));
        break;
      }
    }
    checkAgainstModel(pool, model);
  }
}

describe("mempool against a model", () => {
  it("agrees with the model on every step of random add/resend/replace/select/commit/remove sequences", () => {
    fc.assert(
      fc.property(
        limitsArb,
        fc.array(commandArb, { minLength: 1, maxLength: 60, size: "max" }),
        (limits, commands) => {
          run(limits, commands);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("agrees with the model when the pool is roomy (rules only, no eviction)", () => {
    const roomy = limitsArb.map((l) => ({
      ...l,
      txCountMax: 10_000,
      bytesMax: 1 << 24,
      perSenderMax: 1_000,
    }));
    fc.assert(
      fc.property(
        roomy,
        fc.array(commandArb, { minLength: 1, maxLength: 80, size: "max" }),
        (limits, commands) => {
          run(limits, commands);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("reached every outcome in the runs above", () => {
    const outcomes = [
      "added",
      "replaced",
      "already-known",
      "gas-limit-exceeded",
      "nonce-too-low",
      "nonce-too-high",
      "insufficient-funds",
      "replacement-underpriced",
      "sender-full",
      "pool-full",
      "evicted-for-executable",
      "evicted-for-queued",
      "promoted-by-add",
      "promoted-by-commit",
      "stale-removed",
    ];
    expect(outcomes.filter((o) => !reached.has(o))).toEqual([]);
  });
});
