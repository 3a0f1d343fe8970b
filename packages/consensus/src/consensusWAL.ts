import { equalBytes } from "@charter/utils";
import type { ConsensusCrypto, SignStateRecord } from "./consensusCore.js";
import { ConsensusError } from "./errors.js";
import { type Proposal, SignedType, type Vote, VoteType } from "./messages.js";

/**
 * Where the engine keeps its sign state (spec section 8). `persist` must resolve only once the record is durable
 * (fsync): the engine sends the messages that follow a `persist` output only after it resolves.
 */
export interface ConsensusWAL<Value> {
  /** The last persisted record, `null` on a fresh node; throws `ConsensusError("corrupt-sign-state")` when damaged. */
  load(): SignStateRecord<Value> | null;
  persist(record: SignStateRecord<Value>): Promise<void>;
}

/** How the WAL turns a consensus value (a block) into bytes and back; the node passes the block codec. */
export interface ValueCodec<Value> {
  encode(value: Value): Uint8Array;
  decode(bytes: Uint8Array): Value;
}

/** The two calls of `KvStore` the WAL uses, declared here so consensus does not depend on the kv package. */
export interface SignStateStore {
  getSync(key: Uint8Array): Uint8Array | undefined;
  write(
    ops: readonly { readonly type: "put"; readonly key: Uint8Array; readonly value: Uint8Array }[],
  ): Promise<void>;
}

/** The one key of the sign-state record (docs/spec/storage.md): prefix 0xd0, outside the chain and state ranges. */
export const SIGN_STATE_KEY = Uint8Array.of(0xd0);
const MAGIC = new TextEncoder().encode("CSS1");
const CHECKSUM_BYTES = 32;
/** A record larger than this is refused on both write and read: bounds the allocation of a damaged length. */
export const SIGN_STATE_BYTES_MAX = 256 * 1024 * 1024;

/**
 * The consensus WAL over the node's KV store: one record, overwritten on every `persist` in a durable batch. The
 * record is `"CSS1" ‖ length(4) ‖ payload ‖ hash("CSS1" ‖ length ‖ payload)`; a record that is short, long, or
 * fails the checksum stops the node with `corrupt-sign-state` instead of being read as "never signed".
 *
 * @example
 * const wal = new KvConsensusWAL({}, { store: kv, crypto: suite, codec: { encode: encodeBlock, decode } });
 * const recovered = wal.load();
 */
export class KvConsensusWAL<Value> implements ConsensusWAL<Value> {
  readonly #modules: KvConsensusWALModules<Value>;
  readonly #key: Uint8Array;

  constructor(options: { readonly key?: Uint8Array }, modules: KvConsensusWALModules<Value>) {
    this.#key = options.key ?? SIGN_STATE_KEY;
    this.#modules = modules;
  }

  load(): SignStateRecord<Value> | null {
    const raw = this.#modules.store.getSync(this.#key);
    if (raw === undefined) return null;
    return decodeSignState(raw, this.#modules);
  }

  async persist(record: SignStateRecord<Value>): Promise<void> {
    const bytes = encodeSignState(record, this.#modules);
    // Read back before it replaces the last good record: a codec bug must stop the node here, not at restart.
    decodeSignState(bytes, this.#modules);
    await this.#modules.store.write([{ type: "put", key: this.#key, value: bytes }]);
  }
}

export interface KvConsensusWALModules<Value> {
  readonly store: SignStateStore;
  readonly crypto: Pick<ConsensusCrypto, "hash">;
  readonly codec: ValueCodec<Value>;
}

function corrupt(why: string): ConsensusError {
  return new ConsensusError(
    "corrupt-sign-state",
    `The consensus sign state is damaged (${why}). The node stops rather than risk signing twice; restore the data directory from a backup or, if this validator is certain it signed nothing at its current height, remove the record deliberately.`,
  );
}

export function encodeSignState<Value>(
  record: SignStateRecord<Value>,
  modules: Pick<KvConsensusWALModules<Value>, "crypto" | "codec">,
): Uint8Array {
  const w = new Writer();
  w.u64(record.height);
  w.u32(record.round);
  w.u8(record.signedType);
  w.i32(record.lockedRound);
  w.optionalBytes(record.lockedValue === null ? null : modules.codec.encode(record.lockedValue));
  w.i32(record.validRound);
  w.optionalBytes(record.validValue === null ? null : modules.codec.encode(record.validValue));
  w.u32(record.ownMessages.length);
  for (const m of record.ownMessages) {
    if (m.kind === "proposal") {
      w.u8(SignedType.proposal);
      w.u64(m.height);
      w.u32(m.round);
      w.i32(m.validRound);
      w.bytes(modules.codec.encode(m.value));
      w.bytes(m.blockHash);
      w.bytes(m.proposer);
      w.bytes(m.signature);
    } else {
      w.u8(m.type);
      w.u64(m.height);
      w.u32(m.round);
      w.optionalBytes(m.blockHash);
      w.bytes(m.validator);
      w.bytes(m.signature);
    }
  }
  const payload = w.finish();
  if (payload.length > SIGN_STATE_BYTES_MAX)
    throw new RangeError(`A sign-state record of ${payload.length} bytes exceeds ${SIGN_STATE_BYTES_MAX}.`);
  const out = new Uint8Array(MAGIC.length + 4 + payload.length + CHECKSUM_BYTES);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, payload.length);
  out.set(payload, MAGIC.length + 4);
  out.set(
    modules.crypto.hash(out.subarray(0, MAGIC.length + 4 + payload.length)),
    out.length - CHECKSUM_BYTES,
  );
  return out;
}

export function decodeSignState<Value>(
  bytes: Uint8Array,
  modules: Pick<KvConsensusWALModules<Value>, "crypto" | "codec">,
): SignStateRecord<Value> {
  const headerBytes = MAGIC.length + 4;
  if (bytes.length < headerBytes + CHECKSUM_BYTES) throw corrupt(`only ${bytes.length} bytes`);
  if (!equalBytes(bytes.subarray(0, MAGIC.length), MAGIC)) throw corrupt("unknown format marker");
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length);
  if (length > SIGN_STATE_BYTES_MAX || headerBytes + length + CHECKSUM_BYTES !== bytes.length)
    throw corrupt(`the length field says ${length} payload bytes but the record holds ${bytes.length} bytes`);
  const body = bytes.subarray(0, headerBytes + length);
  if (!equalBytes(modules.crypto.hash(body), bytes.subarray(headerBytes + length)))
    throw corrupt("checksum mismatch");
  try {
    return readRecord(new Reader(bytes.subarray(headerBytes, headerBytes + length)), modules.codec);
  } catch (error) {
    if (error instanceof ConsensusError) throw error;
    throw corrupt(`the payload does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function readRecord<Value>(r: Reader, codec: ValueCodec<Value>): SignStateRecord<Value> {
  const height = r.u64();
  const round = r.u32();
  const signedType = r.u8();
  if (
    signedType !== SignedType.proposal &&
    signedType !== SignedType.prevote &&
    signedType !== SignedType.precommit
  )
    throw corrupt(`unknown signed type ${signedType}`);
  const lockedRound = r.i32();
  const locked = r.optionalBytes();
  const validRound = r.i32();
  const valid = r.optionalBytes();
  const count = r.u32();
  // Each message takes well over 16 bytes, so a count beyond this is damage, caught before any allocation.
  if (count > r.remaining / 16) throw corrupt(`${count} messages cannot fit in ${r.remaining} bytes`);
  const ownMessages: (Proposal<Value> | Vote)[] = [];
  for (let i = 0; i < count; i++) {
    const type = r.u8();
    if (type === SignedType.proposal) {
      ownMessages.push({
        kind: "proposal",
        height: r.u64(),
        round: r.u32(),
        validRound: r.i32(),
        value: codec.decode(r.bytes()),
        blockHash: r.bytes(),
        proposer: r.bytes(),
        signature: r.bytes(),
      });
    } else if (type === VoteType.prevote || type === VoteType.precommit) {
      ownMessages.push({
        kind: "vote",
        type,
        height: r.u64(),
        round: r.u32(),
        blockHash: r.optionalBytes(),
        validator: r.bytes(),
        signature: r.bytes(),
      });
    } else {
      throw corrupt(`message ${i} has unknown type ${type}`);
    }
  }
  if (r.remaining !== 0) throw corrupt(`${r.remaining} trailing bytes`);
  return {
    height,
    round,
    signedType,
    lockedRound,
    lockedValue: locked === null ? null : codec.decode(locked),
    validRound,
    validValue: valid === null ? null : codec.decode(valid),
    ownMessages,
  };
}

/** Appends fixed-width big-endian integers and length-prefixed byte strings. */
class Writer {
  readonly #parts: Uint8Array[] = [];
  #length = 0;

  #push(part: Uint8Array): void {
    this.#parts.push(part);
    this.#length += part.length;
  }
  u8(n: number): void {
    this.#push(Uint8Array.of(n));
  }
  u32(n: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    this.#push(b);
  }
  i32(n: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n);
    this.#push(b);
  }
  u64(n: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n));
    this.#push(b);
  }
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.#push(b);
  }
  optionalBytes(b: Uint8Array | null): void {
    this.u8(b === null ? 0 : 1);
    if (b !== null) this.bytes(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** Reads what `Writer` wrote; every read checks the bytes are there before it allocates. */
class Reader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.#bytes.length - this.#at;
  }
  #need(n: number): number {
    if (n > this.remaining) throw corrupt(`a field of ${n} bytes runs past the end at offset ${this.#at}`);
    const at = this.#at;
    this.#at += n;
    return at;
  }
  u8(): number {
    return this.#view.getUint8(this.#need(1));
  }
  u32(): number {
    return this.#view.getUint32(this.#need(4));
  }
  i32(): number {
    return this.#view.getInt32(this.#need(4));
  }
  u64(): number {
    const n = this.#view.getBigUint64(this.#need(8));
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`height ${n} is out of range`);
    return Number(n);
  }
  bytes(): Uint8Array {
    const length = this.u32();
    const at = this.#need(length);
    return this.#bytes.slice(at, at + length);
  }
  optionalBytes(): Uint8Array | null {
    const flag = this.u8();
    if (flag !== 0 && flag !== 1) throw corrupt(`presence flag ${flag} at offset ${this.#at - 1}`);
    return flag === 0 ? null : this.bytes();
  }
}
