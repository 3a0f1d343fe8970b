import type { CryptoSuite } from "@charter/crypto";
import type { KvOp, KvStore } from "@charter/kv";
import {
  type Block,
  type CommitCertificate,
  decodeBlock,
  decodeCommitCertificate,
  decodeReceipt,
  decodeRlp,
  encodeBlock,
  encodeCommitCertificate,
  encodeReceipt,
  hashHeader,
  type Receipt,
} from "@charter/types";
import { BoundedCache, bytesToHex, concatBytes, equalBytes } from "@charter/utils";
import { RLP } from "@ethereumjs/rlp";
import { ChainError } from "./errors.js";

/**
 * Key prefixes of the chain's records. The state package owns the other prefixes of the same store
 * (docs/spec/storage.md lists them all).
 */
const PREFIX = {
  canonicalHash: 0xc0,
  block: 0xc1,
  receipts: 0xc2,
  senders: 0xc3,
  txLocation: 0xc4,
  head: 0xc5,
  meta: 0xc6,
  headCertificate: 0xc7,
} as const;

/** A committed block with what RPC and sync read alongside it. */
export interface StoredBlock {
  readonly block: Block;
  readonly hash: Uint8Array;
  readonly senders: readonly Uint8Array[];
  readonly size: number;
}

export interface ChainMeta {
  readonly genesisHash: Uint8Array;
  /** Digest of every genesis input (see `genesisDigest`), so a different allocation is noticed too. */
  readonly genesisDigest: Uint8Array;
  readonly chainId: bigint;
  readonly suite: string;
}

export interface HeadPointer {
  readonly height: number;
  readonly hash: Uint8Array;
}

/** Most recent blocks kept decoded in memory, for RPC reads of the head and for BLOCKHASH. */
const RECENT_BLOCKS_MAX = 512;
/** Older blocks (and their receipts) kept decoded after a read, so lookups of several transactions in one
 * block decode it once rather than once per lookup. */
const READ_CACHE_BLOCKS_MAX = 256;

/**
 * Persists blocks, receipts, recovered senders and the transaction index. `commitOps` returns the operations of
 * one block so the caller can put them in the same atomic batch as the block's state changes and the new head.
 */
export class ChainStore {
  readonly #kv: KvStore;
  readonly #suite: CryptoSuite;
  readonly #chainId: bigint;
  readonly #recent = new Map<number, StoredBlock>();
  readonly #receipts = new Map<number, readonly Receipt[]>();
  readonly #readBlocks = new BoundedCache<StoredBlock>(READ_CACHE_BLOCKS_MAX);
  readonly #readReceipts = new BoundedCache<readonly Receipt[]>(READ_CACHE_BLOCKS_MAX);

  constructor(options: { kv: KvStore; suite: CryptoSuite; chainId: bigint }) {
    this.#kv = options.kv;
    this.#suite = options.suite;
    this.#chainId = options.chainId;
  }

  async readMeta(): Promise<ChainMeta | undefined> {
    const raw = await this.#kv.get(Uint8Array.of(PREFIX.meta));
    if (raw === undefined) return undefined;
    const [genesisHash, chainId, suite, genesisDigest] = RLP.decode(raw) as Uint8Array[];
    if (!genesisHash || !chainId || !suite || !genesisDigest)
      throw new ChainError("corrupt", "chain metadata record is malformed");
    return {
      genesisHash,
      genesisDigest,
      chainId: chainId.length ? BigInt(bytesToHex(chainId)) : 0n,
      suite: new TextDecoder().decode(suite),
    };
  }

  metaOps(meta: ChainMeta): KvOp[] {
    const value = RLP.encode([
      meta.genesisHash,
      meta.chainId,
      new TextEncoder().encode(meta.suite),
      meta.genesisDigest,
    ]);
    return [{ type: "put", key: Uint8Array.of(PREFIX.meta), value }];
  }

  /**
   * The operation that records the certificate that committed the head, in the head's own commit batch: the
   * certificate of block h is otherwise stored only inside block h+1, which the next proposer must build from it.
   * A chain without consensus certificates deletes the record, so a stale one is never mistaken for the head's.
   */
  headCertificateOps(certificate: CommitCertificate | null): KvOp[] {
    const key = Uint8Array.of(PREFIX.headCertificate);
    return certificate === null
      ? [{ type: "del", key }]
      : [{ type: "put", key, value: encodeCommitCertificate(certificate) }];
  }

  async readHeadCertificate(): Promise<CommitCertificate | null> {
    const raw = await this.#kv.get(Uint8Array.of(PREFIX.headCertificate));
    if (raw === undefined) return null;
    try {
      return decodeCommitCertificate(raw);
    } catch (error) {
      throw new ChainError("corrupt", "the stored certificate of the head block does not decode", {
        cause: error,
      });
    }
  }

  async readHead(): Promise<HeadPointer | undefined> {
    const raw = await this.#kv.get(Uint8Array.of(PREFIX.head));
    if (raw === undefined) return undefined;
    if (raw.length !== 40) throw new ChainError("corrupt", "head pointer record is malformed");
    return { height: Number(new DataView(raw.buffer, raw.byteOffset).getBigUint64(0)), hash: raw.slice(8) };
  }

  /** Every operation that stores a block and makes it the head. */
  commitOps(stored: StoredBlock, receipts: readonly Receipt[]): KvOp[] {
    const { block, hash, senders } = stored;
    const height = block.header.height;
    const ops: KvOp[] = [
      { type: "put", key: heightKey(PREFIX.canonicalHash, height), value: hash },
      { type: "put", key: hashKey(PREFIX.block, hash), value: encodeBlock(block) },
      { type: "put", key: hashKey(PREFIX.receipts, hash), value: RLP.encode(receipts.map(encodeReceipt)) },
      { type: "put", key: hashKey(PREFIX.senders, hash), value: concatBytes(...senders) },
      { type: "put", key: Uint8Array.of(PREFIX.head), value: concatBytes(u64(height), hash) },
    ];
    block.transactions.forEach((tx, index) => {
      ops.push({
        type: "put",
        key: hashKey(PREFIX.txLocation, tx.hash),
        value: concatBytes(u64(height), u32(index)),
      });
    });
    return ops;
  }

  /** Records a block as committed in the in-memory caches, after its batch is durable. */
  remember(stored: StoredBlock, receipts: readonly Receipt[]): void {
    const height = stored.block.header.height;
    this.#recent.set(height, stored);
    this.#receipts.set(height, receipts);
    const evict = height - RECENT_BLOCKS_MAX;
    this.#recent.delete(evict);
    this.#receipts.delete(evict);
  }

  /** A block among the most recent ones kept in memory (the last 512 committed, and those `remember`ed). */
  recentByHeight(height: number): StoredBlock | undefined {
    return this.#recent.get(height);
  }

  async hashAt(height: number): Promise<Uint8Array | undefined> {
    const cached = this.#recent.get(height);
    if (cached) return cached.hash;
    return this.#kv.get(heightKey(PREFIX.canonicalHash, height));
  }

  async blockByHeight(height: number): Promise<StoredBlock | undefined> {
    const cached = this.#recent.get(height);
    if (cached) return cached;
    const hash = await this.#kv.get(heightKey(PREFIX.canonicalHash, height));
    return hash ? this.blockByHash(hash) : undefined;
  }

  async blockByHash(hash: Uint8Array): Promise<StoredBlock | undefined> {
    const key = bytesToHex(hash);
    const cached = this.#readBlocks.get(key);
    if (cached) return cached;
    const raw = await this.#kv.get(hashKey(PREFIX.block, hash));
    if (raw === undefined) return undefined;
    const block = decodeBlock(raw, { suite: this.#suite, chainId: this.#chainId });
    // Read-back check: a block record must hash to its key, or the store is corrupt.
    if (!equalBytes(hashHeader(block.header, this.#suite), hash)) {
      throw new ChainError("corrupt", `stored block ${bytesToHex(hash)} does not match its hash`);
    }
    const sendersRaw = (await this.#kv.get(hashKey(PREFIX.senders, hash))) ?? new Uint8Array(0);
    if (sendersRaw.length !== block.transactions.length * 20) {
      throw new ChainError("corrupt", `stored senders of block ${bytesToHex(hash)} are malformed`);
    }
    const senders: Uint8Array[] = [];
    for (let i = 0; i < block.transactions.length; i++) senders.push(sendersRaw.slice(i * 20, i * 20 + 20));
    const stored = { block, hash, senders, size: raw.length };
    this.#readBlocks.set(key, stored);
    return stored;
  }

  async receiptsByHeight(height: number): Promise<readonly Receipt[] | undefined> {
    const cached = this.#receipts.get(height);
    if (cached) return cached;
    const hash = await this.hashAt(height);
    if (!hash) return undefined;
    const key = bytesToHex(hash);
    const read = this.#readReceipts.get(key);
    if (read) return read;
    const raw = await this.#kv.get(hashKey(PREFIX.receipts, hash));
    if (raw === undefined) return undefined;
    const items = decodeRlp(raw, { depthMax: 1, label: "stored receipt list" });
    if (!Array.isArray(items) || items.some((item) => Array.isArray(item))) {
      throw new ChainError("corrupt", `stored receipts of block ${height} are malformed`);
    }
    const receipts = (items as Uint8Array[]).map((item) => decodeReceipt(item));
    this.#readReceipts.set(key, receipts);
    return receipts;
  }

  async txLocation(txHash: Uint8Array): Promise<{ height: number; index: number } | undefined> {
    const raw = await this.#kv.get(hashKey(PREFIX.txLocation, txHash));
    if (raw === undefined) return undefined;
    if (raw.length !== 12) throw new ChainError("corrupt", "transaction index record is malformed");
    const view = new DataView(raw.buffer, raw.byteOffset);
    return { height: Number(view.getBigUint64(0)), index: view.getUint32(8) };
  }
}

function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

function heightKey(prefix: number, height: number): Uint8Array {
  return concatBytes(Uint8Array.of(prefix), u64(height));
}

function hashKey(prefix: number, hash: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(prefix), hash);
}
