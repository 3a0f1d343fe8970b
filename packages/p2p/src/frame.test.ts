import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { P2PError } from "./errors.js";
import { createFrameDecoder, encodeFrame, type Frame } from "./frame.js";

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

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

describe("frame decoder", () => {
  it("returns the frames that were encoded, however the stream is chunked", () => {
    const frameArb = fc.record({
      type: fc.integer({ min: 0, max: 255 }),
      payload: fc.uint8Array({ maxLength: 300 }),
    });
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, cuts) => {
          const stream = concat(frames.map((frame) => encodeFrame(frame.type, frame.payload)));
          const decoder = createFrameDecoder();
          const out: Frame[] = [];
          for (const chunk of splitAt(stream, cuts)) {
            decoder.push(chunk);
            for (let frame = decoder.next(1024); frame; frame = decoder.next(1024)) out.push(frame);
          }
          expect(out.map((f) => ({ type: f.type, payload: new Uint8Array(f.payload) }))).toEqual(frames);
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects an oversize length from the header alone, before the body arrives", () => {
    const decoder = createFrameDecoder();
    decoder.push(Uint8Array.of(0, 0, 4, 1)); // 1025 bytes declared, none sent
    expect(() => decoder.next(1024)).toThrow(P2PError);
    try {
      decoder.next(1024);
    } catch (error) {
      expect((error as P2PError).code).toBe("frame-too-large");
    }
  });

  it("accepts a frame exactly at the cap and waits for its body", () => {
    const decoder = createFrameDecoder();
    const frame = encodeFrame(7, new Uint8Array(1023));
    decoder.push(frame.subarray(0, 10));
    expect(decoder.next(1024)).toBeNull();
    decoder.push(frame.subarray(10));
    expect(decoder.next(1024)?.payload.length).toBe(1023);
  });

  it("rejects a zero length", () => {
    const decoder = createFrameDecoder();
    decoder.push(new Uint8Array(4));
    expect(() => decoder.next(1024)).toThrowError(expect.objectContaining({ code: "frame-empty" }));
  });

  it("never throws anything but a P2PError and never returns a frame above the cap on random bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const decoder = createFrameDecoder();
        try {
          for (const chunk of chunks) {
            decoder.push(chunk);
            for (let frame = decoder.next(48); frame; frame = decoder.next(48)) {
              expect(1 + frame.payload.length).toBeLessThanOrEqual(48);
            }
            expect(decoder.bufferedBytes).toBeLessThanOrEqual(4 + 48 + 64);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(P2PError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
