import type { VerifiedTx } from "@charter/types";
import { assert } from "@charter/utils";

/** One pooled transaction and the bookkeeping the pool keeps for it. */
export interface PoolEntry {
  readonly tx: VerifiedTx;
  /** The key of `tx.hash` in the pool's hash index. */
  readonly hashKey: string;
  readonly sender: SenderQueue;
  /** Admission order across the whole pool; the proposer takes executable transactions in this order. */
  readonly seq: number;
  /** `tx.raw.length`, what the pool's byte limit counts. */
  readonly bytes: number;
}

/**
 * The transactions of one sender, sorted by nonce. The first `pendingCount` of them have the nonces
 * `committedNonce, committedNonce + 1, …` and are executable; the rest wait behind a nonce gap ("queued").
 *
 * A sorted array rather than a tree: a sender holds at most `perSenderMax` transactions (1,000 by default), so
 * an insertion moves at most that many pointers, and the array gives the executable run as a prefix and the
 * eviction candidate (the highest nonce) as the last element for free.
 */
export class SenderQueue {
  readonly sender: Uint8Array;
  readonly senderKey: string;
  /** The pool's view of the sender's committed nonce; it only moves forward. */
  committedNonce: bigint;
  readonly entries: PoolEntry[] = [];
  pendingCount = 0;
  /** Sum of `bytes` over the executable run, so that the pool knows how much eviction could free. */
  pendingBytes = 0;
  /** Position in the pool's eviction heap, or -1 when the sender has no queued transaction. */
  evictionIndex = -1;

  constructor(sender: Uint8Array, senderKey: string, committedNonce: bigint) {
    this.sender = sender;
    this.senderKey = senderKey;
    this.committedNonce = committedNonce;
  }

  get size(): number {
    return this.entries.length;
  }

  get queuedCount(): number {
    return this.entries.length - this.pendingCount;
  }

  /** The nonce after the executable run. */
  get pendingNonce(): bigint {
    return this.committedNonce + BigInt(this.pendingCount);
  }

  /** The last entry, which has the highest nonce; undefined when empty. */
  get last(): PoolEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  /** Index of the first entry whose nonce is at least `nonce` (the entry count if none). */
  lowerBound(nonce: bigint): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid]!.tx.nonce < nonce) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(nonce: bigint): PoolEntry | undefined {
    const entry = this.entries[this.lowerBound(nonce)];
    return entry !== undefined && entry.tx.nonce === nonce ? entry : undefined;
  }

  indexOf(entry: PoolEntry): number {
    const i = this.lowerBound(entry.tx.nonce);
    return this.entries[i] === entry ? i : -1;
  }

  /**
   * The nonce after the contiguous run that starts at `committedNonce`, which may be ahead of the pool's view
   * when the caller has read a newer state than the last `onBlockCommitted` told the pool about.
   */
  pendingNonceFrom(committedNonce: bigint): bigint {
    if (committedNonce <= this.committedNonce) return this.pendingNonce;
    let i = this.lowerBound(committedNonce);
    let next = committedNonce;
    while (i < this.entries.length && this.entries[i]!.tx.nonce === next) {
      i++;
      next++;
    }
    return next;
  }

  /**
   * Inserts an entry whose nonce is at least the committed nonce and not present, and returns its index. Such a
   * nonce cannot fall inside the run, which is contiguous; if it lands right after it, the run grows.
   */
  insert(entry: PoolEntry): number {
    const i = this.lowerBound(entry.tx.nonce);
    assert(i >= this.pendingCount, "mempool: inserted nonce falls inside the executable run");
    this.entries.splice(i, 0, entry);
    if (i === this.pendingCount) this.#extendRun();
    return i;
  }

  /** Puts `entry` in the place of the entry at `index`, which has the same nonce. */
  replaceAt(index: number, entry: PoolEntry): void {
    if (index < this.pendingCount) this.pendingBytes += entry.bytes - this.entries[index]!.bytes;
    this.entries[index] = entry;
  }

  /** Removes the entry at `index`; every later entry of an executable run becomes queued. */
  removeAt(index: number): PoolEntry {
    for (let i = index; i < this.pendingCount; i++) this.pendingBytes -= this.entries[i]!.bytes;
    if (index < this.pendingCount) this.pendingCount = index;
    const [entry] = this.entries.splice(index, 1);
    return entry!;
  }

  /**
   * Moves the committed nonce forward to `committedNonce`, removes and returns the entries below it (included
   * in a block, or made stale by another transaction with the same nonce), and extends the run.
   */
  advance(committedNonce: bigint): PoolEntry[] {
    if (committedNonce <= this.committedNonce) return [];
    const removed = this.entries.splice(0, this.lowerBound(committedNonce));
    if (this.pendingNonce >= committedNonce) {
      // The run reached the new committed nonce, so every removed entry was in it and the survivors of the run
      // are still contiguous from the new committed nonce.
      this.pendingCount -= removed.length;
      for (const entry of removed) this.pendingBytes -= entry.bytes;
    } else {
      this.pendingCount = 0;
      this.pendingBytes = 0;
    }
    this.committedNonce = committedNonce;
    this.#extendRun();
    return removed;
  }

  /** Grows the run over the entries that continue it. */
  #extendRun(): void {
    let i = this.pendingCount;
    let next = this.committedNonce + BigInt(i);
    let bytes = this.pendingBytes;
    while (i < this.entries.length && this.entries[i]!.tx.nonce === next) {
      bytes += this.entries[i]!.bytes;
      i++;
      next++;
    }
    this.pendingCount = i;
    this.pendingBytes = bytes;
  }
}
