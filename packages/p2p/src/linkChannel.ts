import type net from "node:net";

/**
 * The keying material of one secure session that the Hello binds a node key to (docs/spec/p2p.md section 4):
 * a secret both ends share and no other session has, and a fingerprint of what each end presented.
 */
export interface ChannelSession {
  /** 32 bytes: the TLS exporter, or the SM channel's exporter secret. */
  readonly exporter: Uint8Array;
  /** What this node presented: its certificate's fingerprint (TLS) or SM3 of its ChannelHello (SM). */
  readonly ownFingerprint: Uint8Array;
  /** The same for the peer; each side's Hello signs the fingerprint it received. */
  readonly peerFingerprint: Uint8Array;
}

/**
 * What the network tells a channel's owner. Handlers run on the socket's events; `secure` comes at most once, and
 * `data` only after it.
 */
export interface LinkChannelEvents {
  /** The channel is secure: `session()` and `write` may be used. */
  secure(): void;
  /** Decrypted, authenticated bytes from the peer, in order. */
  data(chunk: Uint8Array): void;
  /**
   * A failure. A `P2PError` is a protocol failure of the channel itself (the SM channel's handshake or records)
   * and the link must close; anything else is a socket error, followed by `close`.
   */
  error(error: Error): void;
  /** The socket closed, by either side; comes once, last. */
  close(): void;
}

/**
 * A secure byte stream between two nodes, the part of a link below the frames: TLS 1.3 (`tlsChannel.ts`) for an
 * `ecdsa` chain, the SM channel (`smChannel.ts`) for an `sm` chain. The network speaks only this interface.
 */
export interface LinkChannel {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /**
   * After `secure`: the session's keying material. Throws `P2PError("no-peer-certificate")` when the TLS peer
   * presented nothing to fingerprint.
   */
  session(): ChannelSession;
  /** After `secure`: the certificates the peer presented, its own first (TLS, for PKI mode); empty for SM. */
  presentedCertificates(): Uint8Array[];
  /**
   * Sends bytes; `callback` runs once the kernel has taken all of them (the send-queue accounting waits for it).
   * Writes after `destroy` are dropped.
   */
  write(data: Uint8Array, callback?: () => void): void;
  /** Closes the socket at once; `close` follows. */
  destroy(): void;
}

/** Opens channels of one kind: dialling out, or taking over a socket the listener accepted. */
export interface LinkTransport {
  dial(host: string, port: number, events: LinkChannelEvents): LinkChannel;
  accept(socket: net.Socket, events: LinkChannelEvents): LinkChannel;
}
