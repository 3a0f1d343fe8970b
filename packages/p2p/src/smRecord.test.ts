import { createCipheriv, createHmac, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  counterBlock,
  createRecordOpener,
  createRecordSealer,
  RECORD_PLAINTEXT_MAX,
  type RecordKeys,
} from "./smRecord.js";

function newKeys(): RecordKeys {
  return {
    key: new Uint8Array(randomBytes(16)),
    iv: new Uint8Array(randomBytes(12)),
    macKey: new Uint8Array(randomBytes(32)),
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    out.push(bytes.subarray(start, point));
    start = point;
  }
  return out;
}

function openAll(keys: RecordKeys, chunks: Uint8Array[]): Uint8Array[] {
  const opener = createRecordOpener(keys);
  const out: Uint8Array[] = [];
  for (const chunk of chunks) {
    opener.push(chunk);
    for (let plaintext = opener.next(); plaintext; plaintext = opener.next()) out.push(plaintext);
  }
  return out;
}

/** An independent reading of docs/spec/p2p.md section 9.4, straight on OpenSSL. */
function referenceRecord(keys: RecordKeys, sequence: bigint, plaintext: Uint8Array): Uint8Array {
  const nonce = Buffer.from(keys.iv);
  const seq = Buffer.alloc(8);
  seq.writeBigUInt64BE(sequence);
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= seq[i]!;
  const counter = Buffer.concat([nonce, Buffer.alloc(4)]);
  const cipher = createCipheriv("sm4-ctr", keys.key, counter);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(plaintext.length);
  const tag = createHmac("sm3", keys.macKey).update(seq).update(length).update(ciphertext).digest();
  return new Uint8Array(Buffer.concat([length, ciphertext, tag.subarray(0, 16)]));
}

describe("SM channel records", () => {
  it("seal exactly what the specification says", () => {
    const keys = newKeys();
    const sealer = createRecordSealer(keys);
    const plaintexts = [
      Uint8Array.of(1),
      new Uint8Array(randomBytes(1000)),
      new Uint8Array(RECORD_PLAINTEXT_MAX),
    ];
    plaintexts.forEach((plaintext, i) => {
      expect(sealer.seal(plaintext)).toEqual(referenceRecord(keys, BigInt(i), plaintext));
    });
  });

  it("put the sequence number into the nonce and leave the low 32 bits as the block counter", () => {
    const iv = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);
    const block = counterBlock(iv, 2 ** 40 + 0x01020304);
    const expected = Uint8Array.from([
      0xa0,
      0xa1,
      0xa2,
      0xa3,
      0xa4,
      0xa5,
      0xa6 ^ 0x01,
      0xa7,
      0xa8 ^ 0x01,
      0xa9 ^ 0x02,
      0xaa ^ 0x03,
      0xab ^ 0x04,
      0,
      0,
      0,
      0,
    ]);
    expect(block).toEqual(expected);
  });

  it("never reuse keystream across records", () => {
    // Zero plaintexts give the keystream itself; no 16-byte block of it may repeat across records.
    const sealer = createRecordSealer(newKeys());
    const seen = new Set<string>();
    for (let i = 0; i < 64; i++) {
      const record = sealer.seal(new Uint8Array(64));
      const keystream = record.subarray(4, 4 + 64);
      for (let at = 0; at < keystream.length; at += 16) {
        const block = Buffer.from(keystream.subarray(at, at + 16)).toString("hex");
        expect(seen.has(block)).toBe(false);
        seen.add(block);
      }
    }
  });

  it("open what was sealed, however the stream is chunked", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 600 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (plaintexts, cuts) => {
          const keys = newKeys();
          const sealer = createRecordSealer(keys);
          const stream = concat(plaintexts.map((plaintext) => sealer.seal(plaintext)));
          expect(openAll(keys, splitAt(stream, cuts))).toEqual(plaintexts);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuse a record with any bit of its ciphertext or tag flipped", () => {
    const keys = newKeys();
    const record = createRecordSealer(keys).seal(new TextEncoder().encode("a frame"));
    for (let bit = 4 * 8; bit < record.length * 8; bit++) {
      const tampered = record.slice();
      tampered[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => openAll(keys, [tampered])).toThrowError(
        expect.objectContaining({ code: "record-bad-tag" }),
      );
    }
  });

  it("refuse a record whose length was changed", () => {
    const keys = newKeys();
    const sealer = createRecordSealer(keys);
    const first = sealer.seal(new Uint8Array(100));
    const second = sealer.seal(new Uint8Array(100));
    const longer = first.slice();
    longer[3] = 101; // takes a byte of the next record
    const shorter = first.slice();
    shorter[3] = 99;
    for (const tampered of [longer, shorter]) {
      expect(() => openAll(keys, [tampered, second])).toThrowError(
        expect.objectContaining({ code: "record-bad-tag" }),
      );
    }
  });

  it("refuse a record length of 0 or above the cap from the header alone", () => {
    const keys = newKeys();
    for (const length of [0, RECORD_PLAINTEXT_MAX + 1, 0xffffffff]) {
      const header = new Uint8Array(4);
      new DataView(header.buffer).setUint32(0, length);
      const opener = createRecordOpener(keys);
      opener.push(header);
      expect(() => opener.next()).toThrowError(expect.objectContaining({ code: "record-malformed" }));
      // The opener stays failed.
      expect(() => opener.next()).toThrowError(expect.objectContaining({ code: "record-malformed" }));
    }
    const opener = createRecordOpener(keys);
    opener.push(Uint8Array.of(0, 1, 0, 0)); // exactly the cap: waits for the body
    expect(opener.next()).toBeNull();
  });

  it("refuse records replayed, reordered, dropped, or sealed for the other direction", () => {
    const keys = newKeys();
    const sealer = createRecordSealer(keys);
    const [r0, r1, r2] = [0, 1, 2].map((i) => sealer.seal(Uint8Array.of(i)));
    const badTag = expect.objectContaining({ code: "record-bad-tag" });
    expect(openAll(keys, [r0!, r1!, r2!])).toEqual([Uint8Array.of(0), Uint8Array.of(1), Uint8Array.of(2)]);
    expect(() => openAll(keys, [r0!, r0!])).toThrowError(badTag);
    expect(() => openAll(keys, [r1!, r0!])).toThrowError(badTag);
    expect(() => openAll(keys, [r0!, r2!])).toThrowError(badTag);
    expect(() => openAll(newKeys(), [r0!])).toThrowError(badTag);
  });

  it("stop at the record limit on both sides", () => {
    const keys = newKeys();
    const sealer = createRecordSealer(keys, 2);
    const records = [sealer.seal(Uint8Array.of(1)), sealer.seal(Uint8Array.of(2))];
    expect(sealer.recordsLeft).toBe(0);
    expect(() => sealer.seal(Uint8Array.of(3))).toThrowError(
      expect.objectContaining({ code: "record-limit" }),
    );
    const extra = createRecordSealer(keys).seal(Uint8Array.of(3)); // a third record, as a peer over the limit would
    const opener = createRecordOpener(keys, 2);
    opener.push(concat([...records, extra]));
    expect(opener.next()).toEqual(Uint8Array.of(1));
    expect(opener.next()).toEqual(Uint8Array.of(2));
    expect(() => opener.next()).toThrowError(expect.objectContaining({ code: "record-limit" }));
  });

  it("refuse to seal nothing or more than the cap", () => {
    const sealer = createRecordSealer(newKeys());
    for (const size of [0, RECORD_PLAINTEXT_MAX + 1]) {
      expect(() => sealer.seal(new Uint8Array(size))).toThrowError(
        expect.objectContaining({ code: "invalid-message" }),
      );
    }
  });
});
