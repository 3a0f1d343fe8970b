import type { VerifiedTx } from "@charter/types";
import { assert, bytesKey, bytesToHex } from "@charter/utils";
import { MempoolError } from "./errors.js";
import { Heap } from "./heap.js";
import { type PoolEntry, SenderQueue } from "./senderQueue.js";

/** The largest nonce the pool accepts is one below this: a sender at 2^64-1 could never send again (EIP-2681). */
export const NONCE_MAX = 2n ** 64n - 1n;

/**
 * Every transaction pays at least the 21,000 gas base cost (the node checks intrinsic gas before `add`), so a
 * block whose remaining gas is below it cannot take another transaction and selection stops there.
 */
export const TX_GAS_MIN = 21_000n;

/** Default limits. Each is a `MempoolOptions` field; see docs/spec/mempool.md for why these values. */
export const MEMPOOL_LIMITS_DEFAULT = {
  /** Transactions in the pool, executable and queued together. */
  txCountMax: 20_000,
  /** Sum of the transactions' encoded sizes (`raw.length`). */
  bytesMax: 64 * 1024 * 1024,
  /** Transactions of one sender. */
  perSenderMax: 1_000,
  /** How far past the sender's next executable nonce a queued transaction may be. */
  nonceGapMax: 64n,
  /** The largest gas limit of one transaction: the block gas limit. */
  txGasMax: 30_000_000n,
  /** A replacement must raise both the fee cap and the tip by at least this percentage (and strictly). */
  priceBumpPercent: 10n,
} as const;

export interface MempoolOptions {
  readonly txCountMax?: number;
  readonly bytesMax?: number;
  readonly perSenderMax?: number;
  readonly nonceGapMax?: bigint;
  /** Set it to the chain's block gas limit: a transaction above it could never be included. */
  readonly txGasMax?: bigint;
  readonly priceBumpPercent?: bigint;
}

export interface MempoolLimits {
  readonly txCountMax: number;
  readonly bytesMax: number;
  readonly perSenderMax: number;
  readonly nonceGapMax: bigint;
  readonly txGasMax: bigint;
  readonly priceBumpPercent: bigint;
}

/** The sender's committed state, read by the caller from the state at the latest committed block. */
export interface SenderAccount {
  readonly nonce: bigint;
  readonly balance: bigint;
}

/** What `add` did, so the node can tell subscribers and peers. Refusals are thrown as `MempoolError`. */
export type AddResult = {
  readonly hash: Uint8Array;
  /** True if the transaction is in its sender's executable run (what `eth_subscribe("newPendingTransactions")` reports). */
  readonly executable: boolean;
  /** Queued transactions of the same sender that the new one made executable by filling a nonce gap. */
  readonly promoted: readonly VerifiedTx[];
  /** Queued transactions (of any sender) removed to make room; their senders must resend them. */
  readonly evicted: readonly VerifiedTx[];
} & ({ readonly kind: "added" } | { readonly kind: "replaced"; readonly replaced: Uint8Array });

/** Budgets for one block proposal. */
export interface SelectLimits {
  readonly gasMax: bigint;
  readonly bytesMax: number;
  readonly countMax: number;
}

/** What committing a block did to the pool. */
export interface CommitResult {
  /** Transactions removed: the block's own, and every other one whose nonce is now below its sender's nonce. */
  readonly removed: readonly VerifiedTx[];
  /** Queued transactions that became executable because the committed nonce reached them. */
  readonly promoted: readonly VerifiedTx[];
}

export interface SenderContent {
  readonly pending: readonly VerifiedTx[];
  readonly queued: readonly VerifiedTx[];
}

/**
 * Creates an empty transaction pool. The pool is pure: no clock, timers or I/O. The caller passes the sender's
 * committed state to `add` and tells the pool about each committed block with `onBlockCommitted`.
 *
 * @example
 * const pool = createMempool({ txGasMax: 30_000_000n });
 * const result = pool.add(tx, { nonce: 0n, balance: 0n }); // throws MempoolError when refused
 * const txs = pool.select({ gasMax: 30_000_000n, bytesMax: 4 * 1024 * 1024, countMax: 5_000 });
 * pool.onBlockCommitted(txs, (sender) => state.nonceOf(sender));
 */
export function createMempool(options: MempoolOptions = {}): Mempool {
  return new Mempool(options);
}

/** A sender's executable run before a change, to update the pool's totals after it. */
interface RunSnapshot {
  readonly count: number;
  readonly bytes: number;
}

function runOf(sq: SenderQueue): RunSnapshot {
  return { count: sq.pendingCount, bytes: sq.pendingBytes };
}

/** A sender's place in a `SelectCursor`: the index and admission order of its next executable entry. */
interface SenderCursor {
  readonly sq: SenderQueue;
  index: number;
  seq: number;
}

/**
 * Pending transactions of every sender, each sender's in nonce order, senders interleaved by the admission order of
 * their next transaction: a k-way merge over the senders' executable runs with a heap keyed by that order.
 */
class SelectCursor {
  readonly #heap: Heap<SenderCursor>;

  constructor(senders: Iterable<SenderQueue>) {
    const ready: SenderCursor[] = [];
    for (const sq of senders) {
      if (sq.pendingCount > 0) ready.push({ sq, index: 0, seq: sq.entries[0]!.seq });
    }
    this.#heap = new Heap<SenderCursor>((a, b) => a.seq < b.seq, { items: ready });
  }

  /** The next entry in select order, without taking it. */
  peek(): PoolEntry | undefined {
    const top = this.#heap.peek();
    return top === undefined ? undefined : top.sq.entries[top.index];
  }

  /** Takes the entry `peek` returned and moves its sender on to its next executable entry. */
  take(): void {
    const top = this.#heap.peek()!;
    top.index++;
    if (top.index < top.sq.pendingCount) {
      top.seq = top.sq.entries[top.index]!.seq;
      this.#heap.update(0);
    } else {
      this.#heap.pop();
    }
  }

  /** Drops the sender of the entry `peek` returned: its later nonces cannot be included without this one. */
  skipSender(): void {
    this.#heap.pop();
  }
}

export class Mempool {
  readonly limits: MempoolLimits;
  readonly #byHash = new Map<string, PoolEntry>();
  /** In order of first admission; empty queues are deleted so that the map is bounded by `txCountMax`. */
  readonly #senders = new Map<string, SenderQueue>();
  /**
   * Senders with at least one queued transaction, the first being the one whose highest-nonce transaction is
   * evicted first: most transactions in the pool, ties to the newest such transaction.
   */
  readonly #eviction = new Heap<SenderQueue>(
    (a, b) => a.size > b.size || (a.size === b.size && a.last!.seq > b.last!.seq),
    {
      moved: (sq, index) => {
        sq.evictionIndex = index;
      },
    },
  );
  #bytes = 0;
  #pendingCount = 0;
  #pendingBytes = 0;
  #seq = 0;

  constructor(options: MempoolOptions = {}) {
    const limits: MempoolLimits = { ...MEMPOOL_LIMITS_DEFAULT, ...options };
    for (const name of ["txCountMax", "bytesMax", "perSenderMax"] as const) {
      const value = limits[name];
      assert(
        Number.isSafeInteger(value) && value > 0,
        `mempool ${name} must be a positive integer, got ${value}`,
      );
    }
    assert(limits.nonceGapMax >= 0n, `mempool nonceGapMax must not be negative, got ${limits.nonceGapMax}`);
    assert(limits.txGasMax > 0n, `mempool txGasMax must be positive, got ${limits.txGasMax}`);
    assert(limits.priceBumpPercent >= 0n, `mempool priceBumpPercent must not be negative`);
    this.limits = limits;
  }

  /** Transactions in the pool. */
  get size(): number {
    return this.#byHash.size;
  }

  /** Sum of `raw.length` over the pool. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Counts for `txpool_status`. */
  status(): { readonly pending: number; readonly queued: number } {
    return { pending: this.#pendingCount, queued: this.#byHash.size - this.#pendingCount };
  }

  has(hash: Uint8Array): boolean {
    return this.#byHash.has(bytesKey(hash));
  }

  get(hash: Uint8Array): VerifiedTx | undefined {
    return this.#byHash.get(bytesKey(hash))?.tx;
  }

  /** True if the transaction is in the pool and executable. */
  isExecutable(hash: Uint8Array): boolean {
    const entry = this.#byHash.get(bytesKey(hash));
    return entry !== undefined && entry.sender.indexOf(entry) < entry.sender.pendingCount;
  }

  /**
   * The nonce after the sender's contiguous run of pool transactions starting at its committed nonce: what
   * `eth_getTransactionCount(address, "pending")` answers. Queued transactions beyond a gap do not count.
   */
  pendingNonce(sender: Uint8Array, committedNonce: bigint): bigint {
    const sq = this.#senders.get(bytesKey(sender));
    return sq === undefined ? committedNonce : sq.pendingNonceFrom(committedNonce);
  }

  /**
   * Admits a transaction whose signature, chain id, type, size and intrinsic gas the caller has checked.
   * `account` is the sender's committed state. Throws `MempoolError` when refused; the pool is then unchanged.
   */
  add(tx: VerifiedTx, account: SenderAccount): AddResult {
    const { limits } = this;
    const hashKey = bytesKey(tx.hash);
    if (this.#byHash.has(hashKey)) throw new MempoolError({ code: "already-known", hash: tx.hash });
    if (tx.gasLimit > limits.txGasMax) {
      throw new MempoolError({
        code: "gas-limit-exceeded",
        gasLimit: tx.gasLimit,
        txGasMax: limits.txGasMax,
      });
    }
    if (tx.nonce >= NONCE_MAX) throw new MempoolError({ code: "nonce-max", nonce: tx.nonce });

    const senderKey = bytesKey(tx.sender);
    const sq = this.#senders.get(senderKey);
    // The caller's state may be a block ahead of or behind the last onBlockCommitted; the newer one wins.
    const committedNonce =
      sq !== undefined && sq.committedNonce > account.nonce ? sq.committedNonce : account.nonce;
    if (tx.nonce < committedNonce) {
      throw new MempoolError({ code: "nonce-too-low", nonceNext: committedNonce, nonce: tx.nonce });
    }
    const existing = sq?.get(tx.nonce);
    if (existing === undefined) {
      const nonceNext = sq === undefined ? committedNonce : sq.pendingNonceFrom(committedNonce);
      if (tx.nonce > nonceNext + limits.nonceGapMax) {
        throw new MempoolError({
          code: "nonce-too-high",
          nonceNext,
          nonce: tx.nonce,
          nonceGapMax: limits.nonceGapMax,
        });
      }
    }
    const cost = tx.gasLimit * tx.maxFeePerGas + tx.value;
    if (account.balance < cost) {
      throw new MempoolError({ code: "insufficient-funds", balance: account.balance, cost });
    }
    if (existing !== undefined && !this.#outbids(tx, existing.tx)) {
      throw new MempoolError({
        code: "replacement-underpriced",
        replaced: existing.tx.hash,
        priceBumpPercent: limits.priceBumpPercent,
      });
    }
    if (existing === undefined && sq !== undefined && sq.size >= limits.perSenderMax) {
      throw new MempoolError({ code: "sender-full", sender: tx.sender, perSenderMax: limits.perSenderMax });
    }

    const bytes = tx.raw.length;
    // A replacement keeps its slot and with it its executability; a new transaction is executable exactly
    // when it extends the sender's run (in the pool's view of the committed nonce).
    const executable =
      existing !== undefined
        ? existing.sender.indexOf(existing) < existing.sender.pendingCount
        : tx.nonce === (sq === undefined ? account.nonce : sq.pendingNonce);
    const evicted = this.#makeRoom(
      existing === undefined ? 1 : 0,
      bytes - (existing?.bytes ?? 0),
      executable,
      (sq?.size ?? 0) + (existing === undefined ? 1 : 0),
    );

    // Keep the same queue even if eviction emptied it: its committed nonce is what `executable` was judged by.
    const queue = sq ?? this.#createSender(tx.sender, senderKey, account.nonce);
    const entry: PoolEntry = { tx, hashKey, sender: queue, seq: this.#seq++, bytes };
    if (existing !== undefined) {
      this.#replace(existing, entry);
      return {
        kind: "replaced",
        replaced: existing.tx.hash,
        hash: tx.hash,
        executable,
        promoted: [],
        evicted,
      };
    }
    const pendingBefore = queue.pendingCount;
    this.#insert(entry);
    const promoted: VerifiedTx[] = [];
    for (let i = pendingBefore; i < queue.pendingCount; i++) {
      const e = queue.entries[i]!;
      if (e !== entry) promoted.push(e.tx);
    }
    assert(executable === queue.pendingCount > pendingBefore, "mempool: executability prediction disagrees");
    return { kind: "added", hash: tx.hash, executable, promoted, evicted };
  }

  /** Removes one transaction (for example one the block builder found invalid); later nonces become queued. */
  remove(hash: Uint8Array): VerifiedTx | undefined {
    const entry = this.#byHash.get(bytesKey(hash));
    if (entry === undefined) return undefined;
    this.#remove(entry);
    return entry.tx;
  }

  /**
   * Tells the pool a block was committed. `committed` lists the block's transactions (only sender and nonce are
   * read); `accountNonce` reads a sender's nonce from the state after the block. Removes the included and
   * stale transactions and promotes the queued ones whose gap is now filled.
   */
  onBlockCommitted(
    committed: Iterable<{ readonly sender: Uint8Array; readonly nonce: bigint }>,
    accountNonce: (sender: Uint8Array) => bigint,
  ): CommitResult {
    const removed: VerifiedTx[] = [];
    const promoted: VerifiedTx[] = [];
    const nonces = new Map<string, { readonly sender: Uint8Array; readonly nonceNow: bigint }>();
    for (const { sender, nonce } of committed) {
      const senderKey = bytesKey(sender);
      let known = nonces.get(senderKey);
      if (known === undefined) {
        known = { sender, nonceNow: accountNonce(sender) };
        nonces.set(senderKey, known);
      }
      // A committed transaction has used its nonce; a state that says otherwise is not the post-block state.
      // (Tested before calling `assert` so that the message is only built when it is needed.)
      if (known.nonceNow <= nonce) {
        assert(false, `mempool: ${bytesToHex(sender)} has nonce ${known.nonceNow} after committing ${nonce}`);
      }
    }
    for (const [senderKey, { nonceNow }] of nonces) {
      const sq = this.#senders.get(senderKey);
      if (sq === undefined) continue;
      const before = runOf(sq);
      const runEndBefore = sq.pendingNonce;
      for (const entry of sq.advance(nonceNow)) {
        this.#byHash.delete(entry.hashKey);
        this.#bytes -= entry.bytes;
        removed.push(entry.tx);
      }
      // The run is contiguous from the committed nonce, so the first entry that was not executable before sits
      // at the offset of the old run's end.
      const firstNew = runEndBefore > sq.committedNonce ? Number(runEndBefore - sq.committedNonce) : 0;
      for (let i = firstNew; i < sq.pendingCount; i++) promoted.push(sq.entries[i]!.tx);
      this.#afterChange(sq, before);
    }
    return { removed, promoted };
  }

  /**
   * What a proposer takes for the next block: executable transactions, each sender's in nonce order, senders
   * interleaved by the admission order of their next transaction (first come, first served: gas is free, so
   * there is no fee to order by). A transaction that does not fit the remaining gas or bytes is skipped
   * together with the rest of its sender's, whose nonces would no longer be contiguous; selection stops at
   * `countMax` or when no transaction can fit. The pool is not changed.
   *
   * Cost: O(S + k log S) for S senders with executable transactions and k transactions looked at.
   */
  select(limits: SelectLimits): VerifiedTx[] {
    const out: VerifiedTx[] = [];
    if (limits.countMax <= 0 || limits.gasMax < TX_GAS_MIN) return out;
    let gasLeft = limits.gasMax;
    let bytesLeft = limits.bytesMax;
    const cursor = new SelectCursor(this.#senders.values());
    for (let entry = cursor.peek(); entry !== undefined; entry = cursor.peek()) {
      if (entry.tx.gasLimit > gasLeft || entry.bytes > bytesLeft) {
        cursor.skipSender();
        continue;
      }
      cursor.take();
      out.push(entry.tx);
      gasLeft -= entry.tx.gasLimit;
      bytesLeft -= entry.bytes;
      if (out.length >= limits.countMax || gasLeft < TX_GAS_MIN) break;
    }
    return out;
  }

  /** Executable transactions in select order, lazily. */
  *[Symbol.iterator](): IterableIterator<VerifiedTx> {
    const cursor = new SelectCursor(this.#senders.values());
    for (let entry = cursor.peek(); entry !== undefined; entry = cursor.peek()) {
      cursor.take();
      yield entry.tx;
    }
  }

  /** Executable transactions in select order, at most `countMax`. */
  pendingTxs(countMax = Number.POSITIVE_INFINITY): VerifiedTx[] {
    const out: VerifiedTx[] = [];
    if (countMax <= 0) return out;
    for (const tx of this) {
      out.push(tx);
      if (out.length >= countMax) break;
    }
    return out;
  }

  /** Queued transactions, grouped by sender (in order of the sender's first admission), each group by nonce. */
  queuedTxs(): VerifiedTx[] {
    const out: VerifiedTx[] = [];
    for (const sq of this.#senders.values()) {
      for (let i = sq.pendingCount; i < sq.size; i++) out.push(sq.entries[i]!.tx);
    }
    return out;
  }

  /** One sender's transactions, each list by nonce (for `txpool_contentFrom`). */
  senderContent(sender: Uint8Array): SenderContent {
    const sq = this.#senders.get(bytesKey(sender));
    if (sq === undefined) return { pending: [], queued: [] };
    return {
      pending: sq.entries.slice(0, sq.pendingCount).map((e) => e.tx),
      queued: sq.entries.slice(sq.pendingCount).map((e) => e.tx),
    };
  }

  /**
   * Checks every internal invariant in O(n) and throws `AssertionError` on the first broken one. For tests and
   * the simulator; the node need not call it.
   */
  assertInvariants(): void {
    let count = 0;
    let bytes = 0;
    let pending = 0;
    let pendingBytes = 0;
    for (const [key, sq] of this.#senders) {
      const address = bytesToHex(sq.sender);
      assert(sq.size > 0, `mempool: empty sender queue ${address} kept`);
      assert(sq.senderKey === key, "mempool: sender key mismatch");
      let run = 0;
      while (run < sq.size && sq.entries[run]!.tx.nonce === sq.committedNonce + BigInt(run)) run++;
      assert(
        run === sq.pendingCount,
        `mempool: sender ${address} run is ${run}, recorded ${sq.pendingCount}`,
      );
      for (let i = 0; i < sq.size; i++) {
        const entry = sq.entries[i]!;
        assert(entry.tx.nonce >= sq.committedNonce, `mempool: stale nonce kept for ${address}`);
        const previous = sq.entries[i - 1];
        assert(
          previous === undefined || previous.tx.nonce < entry.tx.nonce,
          "mempool: nonces not increasing",
        );
        assert(this.#byHash.get(entry.hashKey) === entry, "mempool: entry missing from the hash index");
        assert(entry.sender === sq, "mempool: entry points to another sender");
        assert(bytesKey(entry.tx.sender) === key, "mempool: entry under the wrong sender");
        bytes += entry.bytes;
      }
      assert(sq.size <= this.limits.perSenderMax, `mempool: sender ${address} over perSenderMax`);
      const inHeap = sq.evictionIndex >= 0 && this.#eviction.at(sq.evictionIndex) === sq;
      assert(inHeap === sq.queuedCount > 0, `mempool: eviction heap membership wrong for ${address}`);
      let runBytes = 0;
      for (let i = 0; i < sq.pendingCount; i++) runBytes += sq.entries[i]!.bytes;
      assert(runBytes === sq.pendingBytes, `mempool: sender ${address} run bytes wrong`);
      count += sq.size;
      pending += sq.pendingCount;
      pendingBytes += runBytes;
    }
    assert(count === this.#byHash.size, `mempool: ${count} entries in queues, ${this.#byHash.size} indexed`);
    assert(bytes === this.#bytes, `mempool: bytes ${bytes} counted, ${this.#bytes} recorded`);
    assert(
      pending === this.#pendingCount,
      `mempool: pending ${pending} counted, ${this.#pendingCount} recorded`,
    );
    assert(pendingBytes === this.#pendingBytes, "mempool: pending bytes wrong");
    assert(count <= this.limits.txCountMax, "mempool: over txCountMax");
    assert(bytes <= this.limits.bytesMax, "mempool: over bytesMax");
    let heapSize = 0;
    for (const sq of this.#senders.values()) if (sq.queuedCount > 0) heapSize++;
    assert(
      heapSize === this.#eviction.size,
      "mempool: eviction heap holds a sender without queued transactions",
    );
  }

  #outbids(next: VerifiedTx, prev: VerifiedTx): boolean {
    const percent = 100n + this.limits.priceBumpPercent;
    return (
      next.maxFeePerGas > prev.maxFeePerGas &&
      next.maxPriorityFeePerGas > prev.maxPriorityFeePerGas &&
      next.maxFeePerGas * 100n >= prev.maxFeePerGas * percent &&
      next.maxPriorityFeePerGas * 100n >= prev.maxPriorityFeePerGas * percent
    );
  }

  /**
   * Evicts queued transactions until `countAdded` more transactions and `bytesAdded` more bytes fit, and returns
   * them; if that is impossible, puts them back and throws `txpool is full`. A queued newcomer may only displace
   * transactions of a sender that would still hold more transactions than the newcomer's sender, so a sender
   * flooding the pool with future nonces evicts only its own kind and never a smaller sender's.
   */
  #makeRoom(
    countAdded: number,
    bytesAdded: number,
    executable: boolean,
    senderSizeAfter: number,
  ): VerifiedTx[] {
    const { txCountMax, bytesMax } = this.limits;
    const full = (): MempoolError =>
      new MempoolError({
        code: "pool-full",
        txCount: this.#byHash.size,
        txCountMax,
        bytes: this.#bytes,
        bytesMax,
      });
    // Executable transactions are never evicted, so if they alone leave no room, refuse before touching anything.
    // For an executable newcomer every queued transaction is a candidate, so passing this test means the loop
    // below succeeds; a queued newcomer may still run out of candidates and then puts the evicted ones back.
    if (this.#pendingCount + countAdded > txCountMax || this.#pendingBytes + bytesAdded > bytesMax)
      throw full();
    const evicted: PoolEntry[] = [];
    while (this.#byHash.size + countAdded > txCountMax || this.#bytes + bytesAdded > bytesMax) {
      const victimSender = this.#eviction.peek();
      if (victimSender === undefined || (!executable && victimSender.size <= senderSizeAfter)) {
        for (let i = evicted.length - 1; i >= 0; i--) this.#insert(evicted[i]!);
        throw full();
      }
      const victim = victimSender.last!;
      this.#remove(victim);
      evicted.push(victim);
    }
    return evicted.map((e) => e.tx);
  }

  #createSender(sender: Uint8Array, senderKey: string, committedNonce: bigint): SenderQueue {
    const sq = new SenderQueue(sender, senderKey, committedNonce);
    this.#senders.set(senderKey, sq);
    return sq;
  }

  #insert(entry: PoolEntry): void {
    const sq = entry.sender;
    // The queue may have been deleted when eviction emptied it: an evicted entry is being put back, or the
    // newcomer's sender lost all its queued transactions to make room for it.
    if (this.#senders.get(sq.senderKey) !== sq) {
      assert(!this.#senders.has(sq.senderKey), "mempool: two queues for one sender");
      this.#senders.set(sq.senderKey, sq);
    }
    const before = runOf(sq);
    sq.insert(entry);
    this.#byHash.set(entry.hashKey, entry);
    this.#bytes += entry.bytes;
    this.#afterChange(sq, before);
  }

  #replace(existing: PoolEntry, entry: PoolEntry): void {
    const sq = existing.sender;
    const index = sq.indexOf(existing);
    assert(index >= 0 && sq === entry.sender, "mempool: replaced entry not found in its sender's queue");
    const before = runOf(sq);
    sq.replaceAt(index, entry);
    this.#byHash.delete(existing.hashKey);
    this.#byHash.set(entry.hashKey, entry);
    this.#bytes += entry.bytes - existing.bytes;
    this.#afterChange(sq, before);
  }

  #remove(entry: PoolEntry): void {
    const sq = entry.sender;
    const index = sq.indexOf(entry);
    assert(index >= 0, "mempool: entry not found in its sender's queue");
    const before = runOf(sq);
    sq.removeAt(index);
    this.#byHash.delete(entry.hashKey);
    this.#bytes -= entry.bytes;
    this.#afterChange(sq, before);
  }

  /** Brings the totals, the sender map and the eviction heap up to date after a change to one sender's queue. */
  #afterChange(sq: SenderQueue, before: RunSnapshot): void {
    this.#pendingCount += sq.pendingCount - before.count;
    this.#pendingBytes += sq.pendingBytes - before.bytes;
    const inHeap = sq.evictionIndex >= 0;
    if (sq.queuedCount > 0) {
      if (inHeap) this.#eviction.update(sq.evictionIndex);
      else this.#eviction.push(sq);
    } else if (inHeap) {
      this.#eviction.removeAt(sq.evictionIndex);
      sq.evictionIndex = -1;
    }
    if (sq.size === 0) this.#senders.delete(sq.senderKey);
  }
}
