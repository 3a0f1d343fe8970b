import { timingSafeEqual } from "node:crypto";
import { hmacSm3, sm4Ctr } from "@charter/crypto";
import { P2PError } from "./errors.js";

/**
 * The record layer of the SM channel (docs/spec/p2p.md section 9.4): every chunk a side writes travels as
 *
 * ```
 * record     = length (u32, big-endian) ‖ ciphertext ‖ tag (16 bytes)
 * ciphertext = SM4-CTR(key, counter block = (iv XOR (0^4 ‖ seq u64)) ‖ 0^4, plaintext)
 * tag        = HMAC-SM3(macKey, seq (u64, big-endian) ‖ length ‖ ciphertext)[0..16]
 * ```
 *
 * with one key set and one sequence number (from 0, +1 per record) per direction. Encrypt-then-MAC: a receiver
 * checks the tag before it decrypts anything. The sequence number is never sent; both ends count, so a record
 * dropped, replayed or moved fails its tag. The counter block keeps TLS 1.3's 96-bit per-record nonce and puts a
 * 32-bit block counter (from 0) below it, so the keystreams of two records never overlap.
 */
export const RECORD_HEADER_BYTES = 4;
export const RECORD_TAG_BYTES = 16;
/** The largest ciphertext (= plaintext) of one record; a longer write is cut into several records. */
export const RECORD_PLAINTEXT_MAX = 64 * 1024;
/**
 * Records per direction of one link. With at most 2^12 SM4 blocks per record this keeps one key below 2^44
 * blocks, far inside SM4's 2^64 birthday bound; the link then closes and is redialled with fresh keys. Sequence
 * numbers are 64-bit on the wire, so the limit can grow without a format change.
 */
export const RECORDS_MAX = 2 ** 32;
export const RECORD_KEY_BYTES = 16;
export const RECORD_IV_BYTES = 12;
export const RECORD_MAC_KEY_BYTES = 32;

const SEQUENCE_BYTES = 8;
const BLOCK_COUNTER_BYTES = 4;

/** The keys of one direction of a link. */
export interface RecordKeys {
  /** SM4 key, 16 bytes. */
  readonly key: Uint8Array;
  /** Per-record nonce base, 12 bytes. */
  readonly iv: Uint8Array;
  /** HMAC-SM3 key, 32 bytes. */
  readonly macKey: Uint8Array;
}

export interface RecordSealer {
  /**
   * One record carrying `plaintext` (1..`RECORD_PLAINTEXT_MAX` bytes). Throws `P2PError("record-limit")` once
   * `recordsMax` records were sealed.
   */
  seal(plaintext: Uint8Array): Uint8Array;
  /** Records that can still be sealed. */
  readonly recordsLeft: number;
}

/**
 * Seals the records of one direction.
 *
 * @example
 * const sealer = createRecordSealer(keys.dialer);
 * socket.write(sealer.seal(frame));
 */
export function createRecordSealer(keys: RecordKeys, recordsMax: number = RECORDS_MAX): RecordSealer {
  let sequence = 0;
  return {
    seal(plaintext) {
      if (plaintext.length === 0 || plaintext.length > RECORD_PLAINTEXT_MAX) {
        throw new P2PError(
          "invalid-message",
          `A record carries 1..${RECORD_PLAINTEXT_MAX} bytes; this one would carry ${plaintext.length}.`,
        );
      }
      if (sequence >= recordsMax) throw recordLimitError(recordsMax);
      const length = plaintext.length;
      // One buffer holds the MAC input (seq ‖ length ‖ ciphertext) followed by the tag; the record is its tail.
      const buffer = new Uint8Array(SEQUENCE_BYTES + RECORD_HEADER_BYTES + length + RECORD_TAG_BYTES);
      const view = new DataView(buffer.buffer);
      setUint64(view, 0, sequence);
      view.setUint32(SEQUENCE_BYTES, length);
      const bodyStart = SEQUENCE_BYTES + RECORD_HEADER_BYTES;
      buffer.set(sm4Ctr(keys.key, counterBlock(keys.iv, sequence), plaintext), bodyStart);
      const macInput = buffer.subarray(0, bodyStart + length);
      buffer.set(hmacSm3(keys.macKey, macInput).subarray(0, RECORD_TAG_BYTES), bodyStart + length);
      sequence++;
      return buffer.subarray(SEQUENCE_BYTES);
    },
    get recordsLeft() {
      return recordsMax - sequence;
    },
  };
}

export interface RecordOpener {
  push(chunk: Uint8Array): void;
  /**
   * The plaintext of the next complete record, or `null` if more bytes are needed. Throws `P2PError`
   * (`record-malformed`, `record-bad-tag`, `record-limit`); the opener is then unusable and the link must close.
   */
  next(): Uint8Array | null;
  /** Bytes received and not yet opened. */
  readonly bufferedBytes: number;
}

/**
 * Opens the records of one direction as bytes arrive. A record's length is checked before its body is waited
 * for, so at most one record plus one socket chunk is buffered.
 *
 * @example
 * const opener = createRecordOpener(keys.listener);
 * opener.push(chunk);
 * for (let plaintext = opener.next(); plaintext; plaintext = opener.next()) deliver(plaintext);
 */
export function createRecordOpener(keys: RecordKeys, recordsMax: number = RECORDS_MAX): RecordOpener {
  const queue = createByteQueue();
  let sequence = 0;
  let failed: P2PError | undefined;

  function open(): Uint8Array | null {
    if (queue.length < RECORD_HEADER_BYTES) return null;
    const length = queue.peekUint32();
    if (length === 0 || length > RECORD_PLAINTEXT_MAX) {
      throw new P2PError(
        "record-malformed",
        `A record declares ${length} bytes of ciphertext; records carry 1..${RECORD_PLAINTEXT_MAX}.`,
      );
    }
    if (queue.length < RECORD_HEADER_BYTES + length + RECORD_TAG_BYTES) return null;
    if (sequence >= recordsMax) throw recordLimitError(recordsMax);
    const macInput = new Uint8Array(SEQUENCE_BYTES + RECORD_HEADER_BYTES + length);
    setUint64(new DataView(macInput.buffer), 0, sequence);
    queue.read(macInput, SEQUENCE_BYTES, RECORD_HEADER_BYTES + length);
    const tag = new Uint8Array(RECORD_TAG_BYTES);
    queue.read(tag, 0, RECORD_TAG_BYTES);
    const expected = hmacSm3(keys.macKey, macInput).subarray(0, RECORD_TAG_BYTES);
    if (!timingSafeEqual(expected, tag)) {
      throw new P2PError(
        "record-bad-tag",
        `Record ${sequence} does not authenticate: it was altered, replayed, reordered or cut in transit.`,
      );
    }
    const ciphertext = macInput.subarray(SEQUENCE_BYTES + RECORD_HEADER_BYTES);
    const plaintext = sm4Ctr(keys.key, counterBlock(keys.iv, sequence), ciphertext);
    sequence++;
    return plaintext;
  }

  return {
    push: (chunk) => queue.push(chunk),
    next() {
      if (failed) throw failed;
      try {
        return open();
      } catch (error) {
        failed = error as P2PError;
        throw error;
      }
    },
    get bufferedBytes() {
      return queue.length;
    },
  };
}

/** The initial SM4-CTR counter block of record `sequence`: `(iv XOR (0^4 ‖ seq u64)) ‖ 0^4`. */
export function counterBlock(iv: Uint8Array, sequence: number): Uint8Array {
  const block = new Uint8Array(RECORD_IV_BYTES + BLOCK_COUNTER_BYTES);
  block.set(iv, 0);
  const view = new DataView(block.buffer);
  const at = RECORD_IV_BYTES - SEQUENCE_BYTES;
  view.setUint32(at, view.getUint32(at) ^ Math.floor(sequence / 2 ** 32));
  view.setUint32(at + 4, view.getUint32(at + 4) ^ (sequence % 2 ** 32));
  return block;
}

/** Writes a sequence number (a safe integer) as a big-endian u64 without a BigInt per record. */
function setUint64(view: DataView, at: number, value: number): void {
  view.setUint32(at, Math.floor(value / 2 ** 32));
  view.setUint32(at + 4, value % 2 ** 32);
}

export function recordLimitError(recordsMax: number): P2PError {
  return new P2PError(
    "record-limit",
    `This direction of the link used all ${recordsMax} records its keys allow; the link is redialled with new keys.`,
  );
}

/** A FIFO of received chunks, kept as a list so a record arriving in many chunks is copied once. */
function createByteQueue() {
  const chunks: Uint8Array[] = [];
  let offset = 0; // read position inside chunks[0]
  let length = 0;
  return {
    get length() {
      return length;
    },
    push(chunk: Uint8Array): void {
      if (chunk.length === 0) return;
      chunks.push(chunk);
      length += chunk.length;
    },
    /** The big-endian u32 at the front, not consumed; the caller checked that 4 bytes are buffered. */
    peekUint32(): number {
      let value = 0;
      let position = offset;
      let index = 0;
      for (let i = 0; i < 4; i++) {
        while (position >= chunks[index]!.length) {
          index++;
          position = 0;
        }
        value = value * 256 + chunks[index]![position++]!;
      }
      return value;
    },
    /** Moves `count` bytes from the front into `target` at `at`; the caller checked that they are buffered. */
    read(target: Uint8Array, at: number, count: number): void {
      length -= count;
      while (count > 0) {
        const first = chunks[0]!;
        const take = Math.min(count, first.length - offset);
        target.set(first.subarray(offset, offset + take), at);
        at += take;
        count -= take;
        offset += take;
        if (offset === first.length) {
          chunks.shift();
          offset = 0;
        }
      }
    },
  };
}
