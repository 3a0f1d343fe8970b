import { P2PError } from "./errors.js";

/**
 * Wire framing: `length (u32 big-endian) ‖ type (u8) ‖ payload`, where `length` counts the type byte and the
 * payload. Type 0 is the Hello; 1..255 are application messages.
 */
export const FRAME_HEADER_BYTES = 4;
export const MESSAGE_TYPE_HELLO = 0;
export const MESSAGE_TYPE_MAX = 255;

export interface Frame {
  readonly type: number;
  readonly payload: Uint8Array;
}

export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + 1 + payload.length);
  new DataView(frame.buffer).setUint32(0, 1 + payload.length);
  frame[FRAME_HEADER_BYTES] = type;
  frame.set(payload, FRAME_HEADER_BYTES + 1);
  return frame;
}

/**
 * Splits a byte stream into frames. Chunks are kept as a list (not concatenated on arrival), so a large frame
 * arriving in many small chunks is copied once. The length is checked against the cap passed to `next` before
 * the body is waited for, so a hostile length costs nothing; the caller feeds chunks as they arrive and drains
 * `next` at once, so at most one frame plus one socket chunk is ever buffered.
 */
export interface FrameDecoder {
  push(chunk: Uint8Array): void;
  /**
   * The next complete frame, or `null` if more bytes are needed. Throws `P2PError` (`frame-too-large`,
   * `frame-empty`) when the stream is malformed; the decoder is then unusable and the link must close.
   */
  next(frameBytesMax: number): Frame | null;
  /** Bytes received and not yet returned as frames. */
  readonly bufferedBytes: number;
}

export function createFrameDecoder(): FrameDecoder {
  const chunks: Uint8Array[] = [];
  let offset = 0; // read position inside chunks[0]
  let buffered = 0;
  let failed: P2PError | undefined;

  /** Copies `count` bytes from the front without consuming them, or returns null if fewer are buffered. */
  function peek(count: number): Uint8Array | null {
    if (buffered < count) return null;
    const out = new Uint8Array(count);
    let written = 0;
    let position = offset;
    for (const chunk of chunks) {
      const take = Math.min(count - written, chunk.length - position);
      out.set(chunk.subarray(position, position + take), written);
      written += take;
      position = 0;
      if (written === count) break;
    }
    return out;
  }

  function consume(count: number): void {
    buffered -= count;
    while (count > 0) {
      const first = chunks[0]!;
      const available = first.length - offset;
      if (count < available) {
        offset += count;
        return;
      }
      count -= available;
      chunks.shift();
      offset = 0;
    }
  }

  return {
    push(chunk) {
      if (chunk.length === 0) return;
      chunks.push(chunk);
      buffered += chunk.length;
    },
    next(frameBytesMax) {
      if (failed) throw failed;
      const header = peek(FRAME_HEADER_BYTES);
      if (header === null) return null;
      const length = new DataView(header.buffer).getUint32(0);
      if (length === 0) failed = new P2PError("frame-empty", "A frame has length 0, so it has no type byte.");
      else if (length > frameBytesMax) {
        failed = new P2PError(
          "frame-too-large",
          `A frame declares ${length} bytes, more than the ${frameBytesMax} allowed on this link.`,
        );
      }
      if (failed) throw failed;
      const body = peek(FRAME_HEADER_BYTES + length);
      if (body === null) return null;
      consume(FRAME_HEADER_BYTES + length);
      return { type: body[FRAME_HEADER_BYTES]!, payload: body.subarray(FRAME_HEADER_BYTES + 1) };
    },
    get bufferedBytes() {
      return buffered;
    },
  };
}
