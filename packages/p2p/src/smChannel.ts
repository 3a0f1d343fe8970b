import { createECDH, type ECDH, randomBytes } from "node:crypto";
import net from "node:net";
import { sm3, sm3Concat, sm3Kdf } from "@charter/crypto";
import { assert, concatBytes, equalBytes, utf8ToBytes } from "@charter/utils";
import { P2PError } from "./errors.js";
import { HELLO_EXPORTER_BYTES } from "./hello.js";
import type { ChannelSession, LinkChannel, LinkChannelEvents, LinkTransport } from "./linkChannel.js";
import {
  createRecordOpener,
  createRecordSealer,
  RECORD_IV_BYTES,
  RECORD_KEY_BYTES,
  RECORD_MAC_KEY_BYTES,
  RECORD_PLAINTEXT_MAX,
  RECORDS_MAX,
  type RecordKeys,
  type RecordOpener,
  type RecordSealer,
  recordLimitError,
} from "./smRecord.js";

/**
 * The SM channel: the secure byte stream of an `sm` chain's links, built on plain TCP from SM2 key agreement,
 * SM3 and SM4 in the shape of TLS 1.3 with RFC 8998's algorithms, because Node's OpenSSL 3.0 has neither the
 * RFC 8998 cipher suites nor SM4-GCM (docs/spec/p2p.md section 9).
 *
 * Both sides send a fixed-size ChannelHello at once; each derives the record keys from the ECDHE secret over
 * curveSM2 and the transcript of both ChannelHellos. The channel authenticates nobody: the Hello above it signs
 * the exporter and the peer's ChannelHello fingerprint with the node key (SM2), which binds the node key to both
 * ephemeral keys, exactly as it binds it to a TLS session.
 */
export const CHANNEL_MAGIC = utf8ToBytes("chsm");
export const CHANNEL_VERSION = 1;
export const ChannelRole = { dialer: 0, listener: 1 } as const;
export type ChannelRole = (typeof ChannelRole)[keyof typeof ChannelRole];
const CHANNEL_RANDOM_BYTES = 32;
/** An uncompressed curveSM2 point: `0x04 ‖ x ‖ y`. */
const EPHEMERAL_KEY_BYTES = 65;
const UNCOMPRESSED_POINT = 0x04;
/** `magic ‖ version ‖ role ‖ random ‖ ephemeral key`. */
export const CHANNEL_HELLO_BYTES = CHANNEL_MAGIC.length + 1 + 1 + CHANNEL_RANDOM_BYTES + EPHEMERAL_KEY_BYTES;

/** Labels of the key schedule; each output is `SM3-KDF(shared ‖ transcript ‖ label, length)`. */
export const CHANNEL_LABELS = {
  dialerKey: "charter/v1/sm-channel dialer key",
  dialerIV: "charter/v1/sm-channel dialer iv",
  dialerMacKey: "charter/v1/sm-channel dialer mac",
  listenerKey: "charter/v1/sm-channel listener key",
  listenerIV: "charter/v1/sm-channel listener iv",
  listenerMacKey: "charter/v1/sm-channel listener mac",
  exporter: "charter/v1/sm-channel exporter",
} as const;

export interface ChannelHello {
  readonly role: ChannelRole;
  readonly random: Uint8Array;
  readonly ephemeralKey: Uint8Array;
}

export function encodeChannelHello(hello: ChannelHello): Uint8Array {
  return concatBytes(
    CHANNEL_MAGIC,
    Uint8Array.of(CHANNEL_VERSION, hello.role),
    hello.random,
    hello.ephemeralKey,
  );
}

/**
 * Checks the form of a peer's ChannelHello sent as `role`. Whether the key is a point of the curve is checked by
 * the key agreement. Throws `P2PError("channel-hello-malformed")`.
 */
export function decodeChannelHello(bytes: Uint8Array, role: ChannelRole): ChannelHello {
  checkMagic(bytes);
  if (bytes.length !== CHANNEL_HELLO_BYTES) {
    throw malformed(`A ChannelHello is ${CHANNEL_HELLO_BYTES} bytes; this one is ${bytes.length}.`);
  }
  const at = CHANNEL_MAGIC.length;
  if (bytes[at] !== CHANNEL_VERSION) {
    throw malformed(`SM channel version ${bytes[at]} is not supported (expected ${CHANNEL_VERSION}).`);
  }
  if (bytes[at + 1] !== role) {
    // Also what a ChannelHello reflected back at its sender looks like.
    throw malformed(
      `The peer's ChannelHello claims role ${bytes[at + 1]}; a ${roleName(role)} sends ${role}.`,
    );
  }
  const ephemeralKey = bytes.slice(at + 2 + CHANNEL_RANDOM_BYTES);
  if (ephemeralKey[0] !== UNCOMPRESSED_POINT) {
    throw malformed("The peer's ephemeral key is not an uncompressed curveSM2 point (0x04 ‖ x ‖ y).");
  }
  return { role, random: bytes.slice(at + 2, at + 2 + CHANNEL_RANDOM_BYTES), ephemeralKey };
}

/** Fails as soon as the first bytes differ from the magic, so a TLS or other foreign peer is refused at once. */
function checkMagic(prefix: Uint8Array): void {
  const count = Math.min(prefix.length, CHANNEL_MAGIC.length);
  if (!equalBytes(prefix.subarray(0, count), CHANNEL_MAGIC.subarray(0, count))) {
    throw malformed(
      "The peer does not speak the SM channel (wrong magic): it may be a TLS node of an ecdsa chain, or not a Charter node.",
    );
  }
}

export interface ChannelKeys {
  /** The keys the dialer writes with and the listener reads with. */
  readonly dialer: RecordKeys;
  /** The keys the listener writes with and the dialer reads with. */
  readonly listener: RecordKeys;
  /** 32 bytes the Hello signs in place of the TLS exporter. */
  readonly exporter: Uint8Array;
}

/**
 * The key schedule: `transcript = SM3(dialerHello ‖ listenerHello)`, and each key
 * `SM3-KDF(shared ‖ transcript ‖ label, length)` (GB/T 32918.4) with its label from `CHANNEL_LABELS`.
 *
 * @example
 * const keys = deriveChannelKeys(sharedX, dialerHello, listenerHello);
 * createRecordSealer(keys.dialer); // on the dialer's side
 */
export function deriveChannelKeys(
  shared: Uint8Array,
  dialerHello: Uint8Array,
  listenerHello: Uint8Array,
): ChannelKeys {
  const transcript = sm3Concat([dialerHello, listenerHello]);
  const derive = (label: string, length: number) =>
    sm3Kdf(concatBytes(shared, transcript, utf8ToBytes(label)), length);
  return {
    dialer: {
      key: derive(CHANNEL_LABELS.dialerKey, RECORD_KEY_BYTES),
      iv: derive(CHANNEL_LABELS.dialerIV, RECORD_IV_BYTES),
      macKey: derive(CHANNEL_LABELS.dialerMacKey, RECORD_MAC_KEY_BYTES),
    },
    listener: {
      key: derive(CHANNEL_LABELS.listenerKey, RECORD_KEY_BYTES),
      iv: derive(CHANNEL_LABELS.listenerIV, RECORD_IV_BYTES),
      macKey: derive(CHANNEL_LABELS.listenerMacKey, RECORD_MAC_KEY_BYTES),
    },
    exporter: derive(CHANNEL_LABELS.exporter, HELLO_EXPORTER_BYTES),
  };
}

export interface SMChannelOptions {
  /** Records per direction before the link closes (`record-limit`); lowered only by tests. */
  readonly recordsMax?: number;
}

const ChannelState = { handshake: "handshake", secure: "secure", closed: "closed" } as const;
type ChannelState = (typeof ChannelState)[keyof typeof ChannelState];

/**
 * One SM channel over a TCP socket, on either side. It sends its ChannelHello at once (before the connection is
 * up, Node queues it), reads exactly one ChannelHello from the peer, derives the keys, reports `secure`, and from
 * then on carries records. Any channel failure is reported as a `P2PError` through `events.error` and destroys
 * the socket; the link's handshake timeout bounds the wait for the peer's ChannelHello.
 *
 * @example
 * const channel = new SMChannel(net.connect({ host, port }), ChannelRole.dialer, {
 *   secure: () => channel.write(frame),
 *   data: (chunk) => decoder.push(chunk),
 *   error: (error) => log(error),
 *   close: () => {},
 * });
 */
export class SMChannel implements LinkChannel {
  readonly #socket: net.Socket;
  readonly #role: ChannelRole;
  readonly #events: LinkChannelEvents;
  readonly #recordsMax: number;
  #state: ChannelState = ChannelState.handshake;
  #ecdh: ECDH | undefined;
  readonly #ownHello: Uint8Array;
  readonly #peerHello = new Uint8Array(CHANNEL_HELLO_BYTES);
  #peerHelloBytes = 0;
  #session: ChannelSession | undefined;
  #sealer: RecordSealer | undefined;
  #opener: RecordOpener | undefined;
  /** Writes of the current tick, sealed by `#flush` when it ends. */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #pendingCallbacks: (() => void)[] = [];
  #flushScheduled = false;

  constructor(
    socket: net.Socket,
    role: ChannelRole,
    events: LinkChannelEvents,
    options: SMChannelOptions = {},
  ) {
    this.#socket = socket;
    this.#role = role;
    this.#events = events;
    this.#recordsMax = options.recordsMax ?? RECORDS_MAX;
    socket.on("data", (chunk: Buffer) =>
      this.#onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)),
    );
    socket.on("error", (error: Error) => events.error(error));
    socket.on("close", () => {
      this.#state = ChannelState.closed;
      events.close();
    });
    // A fresh ephemeral key per connection: forward secrecy, and no two sessions share a secret.
    this.#ecdh = createECDH("SM2");
    const ephemeralKey = new Uint8Array(this.#ecdh.generateKeys());
    this.#ownHello = encodeChannelHello({
      role,
      random: new Uint8Array(randomBytes(CHANNEL_RANDOM_BYTES)),
      ephemeralKey,
    });
    socket.write(this.#ownHello);
  }

  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#socket.remotePort;
  }

  session(): ChannelSession {
    assert(this.#session !== undefined, "An SM channel's session is read only after it is secure.");
    return this.#session;
  }

  presentedCertificates(): Uint8Array[] {
    return [];
  }

  /**
   * Queues `data` for the end of the current tick, when everything written in the tick is sealed together into
   * as few records as the record cap allows: SM4 and HMAC-SM3 cost a fixed setup per record, so a burst of small
   * frames (a broadcast, a batch of votes) would otherwise pay it once per frame. `data` must not change until
   * `callback` runs, as with `socket.write`.
   */
  write(data: Uint8Array, callback?: () => void): void {
    if (this.#state === ChannelState.closed) return;
    assert(this.#sealer !== undefined, "Nothing is written on an SM channel before it is secure.");
    if (data.length > 0) {
      this.#pending.push(data);
      this.#pendingBytes += data.length;
    }
    if (callback) this.#pendingCallbacks.push(callback);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      process.nextTick(() => this.#flush());
    }
  }

  /** Seals and sends the writes of the tick; a write is never split between a sent and an unsent part. */
  #flush(): void {
    this.#flushScheduled = false;
    const chunks = this.#pending;
    const callbacks = this.#pendingCallbacks;
    const length = this.#pendingBytes;
    this.#pending = [];
    this.#pendingCallbacks = [];
    this.#pendingBytes = 0;
    // A channel closed in the meantime drops what was queued, as a destroyed socket does.
    if (this.#state !== ChannelState.secure) return;
    const done = () => {
      for (const callback of callbacks) callback();
    };
    if (length === 0) {
      done();
      return;
    }
    const sealer = this.#sealer!;
    if (Math.ceil(length / RECORD_PLAINTEXT_MAX) > sealer.recordsLeft) {
      // Nothing of this flush goes out, so the peer never sees part of a frame.
      this.#fail(recordLimitError(this.#recordsMax));
      return;
    }
    const plaintext = chunks.length === 1 ? chunks[0]! : concatBytes(...chunks);
    for (let offset = 0; offset < length; offset += RECORD_PLAINTEXT_MAX) {
      const end = Math.min(length, offset + RECORD_PLAINTEXT_MAX);
      this.#socket.write(sealer.seal(plaintext.subarray(offset, end)), end === length ? done : undefined);
    }
  }

  destroy(): void {
    this.#state = ChannelState.closed;
    this.#socket.destroy();
  }

  #onData(chunk: Uint8Array): void {
    if (this.#state === ChannelState.closed) return;
    let rest = chunk;
    if (this.#state === ChannelState.handshake) {
      const take = Math.min(rest.length, CHANNEL_HELLO_BYTES - this.#peerHelloBytes);
      this.#peerHello.set(rest.subarray(0, take), this.#peerHelloBytes);
      this.#peerHelloBytes += take;
      rest = rest.subarray(take);
      try {
        checkMagic(this.#peerHello.subarray(0, this.#peerHelloBytes));
        if (this.#peerHelloBytes < CHANNEL_HELLO_BYTES) return;
        this.#establish();
      } catch (error) {
        this.#fail(error);
        return;
      }
      this.#events.secure();
    }
    const opener = this.#opener!;
    opener.push(rest);
    // A handler may close the link (a refused Hello, a frame violation); then nothing more is opened.
    while (this.#state === ChannelState.secure) {
      let plaintext: Uint8Array | null;
      try {
        plaintext = opener.next();
      } catch (error) {
        this.#fail(error);
        return;
      }
      if (plaintext === null) return;
      this.#events.data(plaintext);
    }
  }

  /** Key agreement and key schedule, once the peer's ChannelHello is complete. */
  #establish(): void {
    const peerRole = this.#role === ChannelRole.dialer ? ChannelRole.listener : ChannelRole.dialer;
    const peer = decodeChannelHello(this.#peerHello, peerRole);
    const ecdh = this.#ecdh!;
    // The private key is not needed again; dropping the object lets it go with the handshake.
    this.#ecdh = undefined;
    let shared: Uint8Array;
    try {
      // OpenSSL checks that the key is a point of curveSM2 other than the point at infinity.
      shared = new Uint8Array(ecdh.computeSecret(peer.ephemeralKey));
    } catch (error) {
      throw malformed("The peer's ephemeral key is not a point of curveSM2.", error);
    }
    const [dialerHello, listenerHello] =
      this.#role === ChannelRole.dialer
        ? [this.#ownHello, this.#peerHello]
        : [this.#peerHello, this.#ownHello];
    const keys = deriveChannelKeys(shared, dialerHello, listenerHello);
    const [own, theirs] =
      this.#role === ChannelRole.dialer ? [keys.dialer, keys.listener] : [keys.listener, keys.dialer];
    this.#sealer = createRecordSealer(own, this.#recordsMax);
    this.#opener = createRecordOpener(theirs, this.#recordsMax);
    this.#session = {
      exporter: keys.exporter,
      ownFingerprint: sm3(this.#ownHello),
      peerFingerprint: sm3(this.#peerHello),
    };
    this.#state = ChannelState.secure;
  }

  #fail(error: unknown): void {
    if (!(error instanceof P2PError)) throw error;
    if (this.#state === ChannelState.closed) return;
    this.#state = ChannelState.closed;
    this.#events.error(error);
    this.#socket.destroy();
  }
}

/**
 * Links over the SM channel, for `sm` chains.
 *
 * @example
 * const transport = createSMTransport();
 * const channel = transport.dial("127.0.0.1", 30303, events); // events.secure() once the keys are agreed
 */
export function createSMTransport(options: SMChannelOptions = {}): LinkTransport {
  return {
    dial: (host, port, events) =>
      new SMChannel(net.connect({ host, port }), ChannelRole.dialer, events, options),
    accept: (socket, events) => new SMChannel(socket, ChannelRole.listener, events, options),
  };
}

function malformed(message: string, cause?: unknown): P2PError {
  return new P2PError("channel-hello-malformed", message, cause === undefined ? undefined : { cause });
}

function roleName(role: ChannelRole): string {
  return role === ChannelRole.dialer ? "dialer" : "listener";
}
