import net from "node:net";
import { type CryptoSuite, createEcdsaSuite } from "@charter/crypto";
import { type CertificateIdentity, type CertificatePolicy, openCertificatePolicy } from "@charter/pki";
import { assert, bytesToHex, type Clock, systemClock } from "@charter/utils";
import { createTLSIdentity } from "./certificate.js";
import { P2PError, type P2PErrorCode } from "./errors.js";
import {
  createFrameDecoder,
  encodeFrame,
  type FrameDecoder,
  MESSAGE_TYPE_HELLO,
  MESSAGE_TYPE_MAX,
} from "./frame.js";
import { createHello, helloPayloadBytes, verifyHello } from "./hello.js";
import type { ChannelSession, LinkChannel, LinkChannelEvents, LinkTransport } from "./linkChannel.js";
import { createPeerCertificates, type PeerCertificates, type PeerPKIOptions } from "./peerCertificates.js";
import { createSMTransport } from "./smChannel.js";
import { createTLSTransport } from "./tlsChannel.js";

/** Defaults for every limit; each can be overridden in `PeerNetworkOptions`. */
export const PEER_NETWORK_LIMITS_DEFAULT = {
  frameBytesMax: 4 * 1024 * 1024,
  sendQueueBytesMax: 16 * 1024 * 1024,
  sendQueueFramesMax: 4096,
  handshakeTimeoutMs: 5_000,
  reconnectDelayMsMin: 250,
  reconnectDelayMsMax: 30_000,
  /** Sockets accepted at once, in handshake or up; more are closed on accept. */
  inboundConnectionsMax: 128,
  /** Static peers plus `connect` targets. */
  dialTargetsMax: 256,
} as const;

/** Beyond this many doublings the capped delay stops changing; it also keeps `2 ** attempt` finite. */
const BACKOFF_EXPONENT_MAX = 30;

/** The subset of a pino logger the network uses. */
export interface P2PLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

const silentLogger: P2PLogger = { debug() {}, info() {}, warn() {} };

export interface StaticPeer {
  readonly host: string;
  readonly port: number;
  /** The expected address (`0x` + 40 hex); a peer answering with another key is refused. */
  readonly address?: string;
}

export interface PeerNetworkOptions {
  readonly chainId: bigint;
  /** Listen address; 127.0.0.1 unless the operator opens the node to the network. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** The node's long-term key in the chain's crypto suite; its address is the node's identity. */
  readonly nodeKey: Uint8Array;
  /** Peers to keep a link to, redialled with backoff whenever the link drops. */
  readonly peers?: readonly StaticPeer[];
  /** Largest `length` field (type byte + payload) accepted or sent. */
  readonly frameBytesMax?: number;
  /** Bytes written to a peer and not yet taken by the kernel; beyond it `send` drops the message. */
  readonly sendQueueBytesMax?: number;
  /** Frames written to a peer and not yet taken by the kernel; beyond it `send` drops the message. */
  readonly sendQueueFramesMax?: number;
  /** TCP connect + TLS or the SM channel's key agreement + Hello must finish within this time. */
  readonly handshakeTimeoutMs?: number;
  readonly reconnectDelayMsMin?: number;
  readonly reconnectDelayMsMax?: number;
  readonly inboundConnectionsMax?: number;
  readonly dialTargetsMax?: number;
  /**
   * The node's org-issued certificate chain, its key and the consortium root (docs/pki.md). With it the node
   * presents that chain in TLS and requires every peer to present a chain that verifies up to the same root,
   * bound to the address its Hello proves; without it the node presents a fresh self-signed certificate and trust
   * comes from the Hello alone. Not available with the `sm` suite: consortium certificates are ECDSA P-256.
   */
  readonly pki?: PeerPKIOptions;
}

export interface PeerNetworkModules {
  /** Whether a node address may connect: the registry at the current height. Asked on every handshake. */
  readonly isAllowed: (address: string) => boolean;
  /**
   * Defaults to the `ecdsa` suite. It signs the Hello, and picks the link's channel: TLS 1.3 for `ecdsa`, the SM
   * channel (SM2 key agreement, SM3, SM4; docs/spec/p2p.md section 9) for `sm`.
   */
  readonly suite?: CryptoSuite;
  readonly logger?: P2PLogger;
  readonly clock?: Clock;
  /** Uniform in [0, 1); used only for reconnect jitter. */
  readonly random?: () => number;
  /**
   * PKI mode: revocations and member organizations (governance), asked on every handshake after the peer's chain
   * verifies and again by `revalidatePeers`. Defaults to revoking nothing and knowing every organization.
   */
  readonly certificatePolicy?: CertificatePolicy;
}

export const LinkDirection = { inbound: "inbound", outbound: "outbound" } as const;
export type LinkDirection = (typeof LinkDirection)[keyof typeof LinkDirection];

export interface PeerInfo {
  readonly address: string;
  readonly direction: LinkDirection;
  readonly remoteHost: string;
  readonly remotePort: number;
  /** Bytes and frames handed to the socket and not yet taken by the kernel. */
  readonly queuedBytes: number;
  readonly queuedFrames: number;
  /** Messages `send` dropped because the queue was full. */
  readonly droppedFrames: number;
  /** PKI mode: the peer's organization, from its verified certificate. */
  readonly org?: string;
}

/** A peer that broke the protocol; reported so a scoring layer can act on it. */
export interface Misbehavior {
  /** The peer's address if its Hello had been verified, else undefined. */
  readonly address: string | undefined;
  readonly remote: string;
  readonly code: P2PErrorCode;
  readonly message: string;
}

export type MessageHandler = (peerAddress: string, type: number, payload: Uint8Array) => void;

export interface PeerNetwork {
  /** This node's address. */
  readonly address: string;
  start(): Promise<{ port: number }>;
  /** Closes the listener and every link, and stops redialling. */
  stop(): Promise<void>;
  /** Adds a dial target kept up like a static peer. `addressHint`, if given, must match the peer's key. */
  connect(addressHint: string | undefined, host: string, port: number): void;
  /**
   * Queues one message for a connected peer. Returns false if the peer is not connected or its send queue is
   * full (the message is dropped and counted). Throws `P2PError("invalid-message")` for a type outside 1..255
   * or a payload above the frame cap, which is a caller bug.
   */
  send(peerAddress: string, type: number, payload: Uint8Array): boolean;
  /** `send` to every connected peer; returns how many queued it. */
  broadcast(type: number, payload: Uint8Array): number;
  peers(): PeerInfo[];
  /**
   * Checks every open link again and closes the links that fail: in PKI mode the certificate chain, at the current
   * time and against the current certificate policy (expired since the handshake, or revoked by governance), and
   * in every mode `isAllowed` (a node the registry no longer admits, `not-allowed`). Returns how many it closed.
   */
  revalidatePeers(): number;
  /**
   * Handlers run synchronously on the socket's data event, in arrival order. They must not throw: an exception
   * escapes the event and stops the process, as a broken invariant should.
   */
  onMessage(handler: MessageHandler): () => void;
  onPeerUp(handler: (peerAddress: string) => void): () => void;
  onPeerDown(handler: (peerAddress: string) => void): () => void;
  onMisbehavior(handler: (report: Misbehavior) => void): () => void;
}

interface DialTarget {
  readonly host: string;
  readonly port: number;
  /** The hint, or the address learned from the first successful handshake. */
  address: string | undefined;
  readonly hinted: boolean;
  attempt: number;
  link: Link | undefined;
  cancelRedial: (() => void) | undefined;
}

const LinkState = { handshake: "handshake", up: "up", closed: "closed" } as const;
type LinkState = (typeof LinkState)[keyof typeof LinkState];

interface Link {
  readonly channel: LinkChannel;
  readonly direction: LinkDirection;
  readonly target: DialTarget | undefined;
  readonly remote: string;
  readonly decoder: FrameDecoder;
  state: LinkState;
  address: string | undefined;
  /** Set once the channel is secure; the Hello is only read after it. */
  session: ChannelSession | undefined;
  /** PKI mode: the chain the peer presented and the identity it verified to. */
  presentedChain: Uint8Array[] | undefined;
  certificate: CertificateIdentity | undefined;
  cancelHandshakeTimer: (() => void) | undefined;
  queuedBytes: number;
  queuedFrames: number;
  droppedFrames: number;
}

/**
 * Mutually authenticated, encrypted links between Charter nodes: TLS 1.3 (`ecdsa` chains) or the SM channel
 * (`sm` chains) for secrecy and integrity, a signed Hello for identity (see docs/spec/p2p.md). At most one link
 * per peer; messages are best-effort datagrams on that link (dropped when the peer's send queue is full or the
 * link is replaced), so protocols on top must retransmit what they need.
 *
 * @example
 * const network = createPeerNetwork(
 *   { chainId: 7n, nodeKey, peers: [{ host: "127.0.0.1", port: 30303 }] },
 *   { isAllowed: (address) => registry.has(address) },
 * );
 * network.onMessage((from, type, payload) => console.log(from, type, payload.length));
 * const { port } = await network.start();
 * network.broadcast(1, new Uint8Array([1, 2, 3]));
 */
export function createPeerNetwork(options: PeerNetworkOptions, modules: PeerNetworkModules): PeerNetwork {
  const suite = modules.suite ?? createEcdsaSuite();
  const logger = modules.logger ?? silentLogger;
  const clock = modules.clock ?? systemClock;
  const random = modules.random ?? Math.random;
  const limits = { ...PEER_NETWORK_LIMITS_DEFAULT, ...definedOnly(options) };
  for (const [name, value] of Object.entries(limits)) {
    if (name in PEER_NETWORK_LIMITS_DEFAULT && !(Number.isSafeInteger(value) && (value as number) > 0)) {
      throw new P2PError(
        "invalid-state",
        `Option ${name} must be a positive integer; it is ${String(value)}.`,
      );
    }
  }
  if (limits.reconnectDelayMsMin > limits.reconnectDelayMsMax) {
    throw new P2PError("invalid-state", "reconnectDelayMsMin must not exceed reconnectDelayMsMax.");
  }
  const smChannel = suite.name === "sm";
  if (smChannel && options.pki !== undefined) {
    throw new P2PError(
      "invalid-state",
      "PKI mode is not available on an sm chain: consortium certificates are ECDSA P-256 today, so an sm chain runs its links on node keys and the registry until SM2 certificates land; start the network without pki.",
    );
  }
  const chainId = options.chainId;
  const host = options.host ?? "127.0.0.1";
  const publicKey = suite.publicKeyFromPrivateKey(options.nodeKey);
  const address = bytesToHex(suite.addressFromPublicKey(publicKey));
  const helloFrameBytes = 1 + helloPayloadBytes(suite, publicKey.length);
  const certificatePolicy = modules.certificatePolicy ?? openCertificatePolicy;
  const certificates: PeerCertificates | undefined =
    options.pki === undefined
      ? undefined
      : createPeerCertificates(options.pki, { address, policy: certificatePolicy, now: clock.now() });
  if (certificates?.ownChainError) {
    logger.warn(
      { code: certificates.ownChainError.code, reason: certificates.ownChainError.message },
      "p2p: this node's certificate is outside its validity window; peers will refuse its links",
    );
  }
  const transport: LinkTransport = smChannel
    ? createSMTransport()
    : createTLSTransport(certificates?.identity ?? createTLSIdentity());

  const active = new Map<string, Link>();
  const links = new Set<Link>();
  const targets: DialTarget[] = [];
  const messageHandlers = new Set<MessageHandler>();
  const upHandlers = new Set<(peerAddress: string) => void>();
  const downHandlers = new Set<(peerAddress: string) => void>();
  const misbehaviorHandlers = new Set<(report: Misbehavior) => void>();
  let server: net.Server | undefined;
  let running = false;

  function subscribe<H>(set: Set<H>, handler: H): () => void {
    set.add(handler);
    return () => set.delete(handler);
  }

  /** A link whose channel `open` creates, with the channel's events wired to it. */
  function createLink(
    direction: LinkDirection,
    target: DialTarget | undefined,
    remote: string,
    open: (events: LinkChannelEvents) => LinkChannel,
  ): Link {
    const link: Link = {
      // The events come from socket callbacks, so never before `link` is initialized.
      channel: open({
        secure: () => onSecure(link),
        data: (chunk) => onData(link, chunk),
        error: (error) => onChannelError(link, error),
        close: () => onClose(link),
      }),
      direction,
      target,
      remote,
      decoder: createFrameDecoder(),
      state: LinkState.handshake,
      address: undefined,
      session: undefined,
      presentedChain: undefined,
      certificate: undefined,
      cancelHandshakeTimer: undefined,
      queuedBytes: 0,
      queuedFrames: 0,
      droppedFrames: 0,
    };
    links.add(link);
    link.cancelHandshakeTimer = clock.setTimer(limits.handshakeTimeoutMs, () => {
      if (link.state === LinkState.handshake) {
        refuse(
          link,
          new P2PError(
            "handshake-timeout",
            `The handshake took longer than ${limits.handshakeTimeoutMs} ms.`,
          ),
        );
      }
    });
    return link;
  }

  function onSecure(link: Link): void {
    if (link.state !== LinkState.handshake) return;
    let session: ChannelSession;
    try {
      session = link.channel.session();
    } catch (error) {
      if (!(error instanceof P2PError)) throw error;
      refuse(link, error);
      return;
    }
    if (certificates) {
      // The chain is checked before any Hello: a dialer does not reveal its key to an uncertified listener, and
      // a listener reads nothing from an uncertified dialer.
      link.presentedChain = link.channel.presentedCertificates();
      try {
        link.certificate = certificates.verify(link.presentedChain, clock.now());
      } catch (error) {
        if (!(error instanceof P2PError)) throw error;
        refuse(link, error);
        return;
      }
    }
    link.session = session;
    // The dialer speaks first, so a listener reveals its identity only to nodes the registry admits.
    if (link.direction === LinkDirection.outbound) sendHello(link);
    // Bytes may have arrived with the end of the TLS handshake.
    drain(link);
  }

  function sendHello(link: Link): void {
    const payload = createHello({
      suite,
      nodeKey: options.nodeKey,
      chainId,
      exporter: link.session!.exporter,
      peerCertificateFingerprint: link.session!.peerFingerprint,
    });
    link.channel.write(encodeFrame(MESSAGE_TYPE_HELLO, payload));
  }

  function onData(link: Link, chunk: Uint8Array): void {
    if (link.state === LinkState.closed) return;
    link.decoder.push(chunk);
    drain(link);
  }

  /**
   * A socket error is logged and the close that follows ends the link. A failure of the channel itself (the SM
   * channel's key agreement or records) closes the link at once; once the peer is authenticated it is its
   * protocol violation and reported, before that it is an unidentified connection failing its handshake, like a
   * failed TLS handshake.
   */
  function onChannelError(link: Link, error: Error): void {
    if (!(error instanceof P2PError)) {
      logger.debug({ remote: link.remote, address: link.address, error: error.message }, "p2p socket error");
      return;
    }
    if (link.state === LinkState.up) refuse(link, error);
    else close(link, error.code, error.message);
  }

  function drain(link: Link): void {
    // Before the channel is secure (no session) nothing is decoded; frames wait for the Hello check.
    while (link.state !== LinkState.closed && link.session !== undefined) {
      let frame: ReturnType<FrameDecoder["next"]>;
      try {
        frame = link.decoder.next(link.state === LinkState.up ? limits.frameBytesMax : helloFrameBytes);
      } catch (error) {
        refuse(link, error as P2PError);
        return;
      }
      if (frame === null) return;
      if (link.state === LinkState.handshake) onHello(link, frame.type, frame.payload);
      else if (frame.type === MESSAGE_TYPE_HELLO) {
        refuse(
          link,
          new P2PError("unexpected-message-type", "The peer sent a second Hello on an open link."),
        );
      } else {
        for (const handler of messageHandlers) handler(link.address!, frame.type, frame.payload);
      }
    }
  }

  function onHello(link: Link, type: number, payload: Uint8Array): void {
    if (type !== MESSAGE_TYPE_HELLO) {
      refuse(link, new P2PError("unexpected-message-type", `The first frame has type ${type}, not Hello.`));
      return;
    }
    let peer: { address: string };
    try {
      peer = verifyHello({
        suite,
        payload,
        publicKeyBytes: publicKey.length,
        chainId,
        exporter: link.session!.exporter,
        ownCertificateFingerprint: link.session!.ownFingerprint,
      });
    } catch (error) {
      refuse(link, error as P2PError);
      return;
    }
    link.address = peer.address;
    // Both credentials must name the same node: the certificate (proven by TLS) and the node key (by the Hello).
    if (link.certificate && link.certificate.address !== peer.address) {
      refuse(
        link,
        new P2PError(
          "certificate-address-mismatch",
          `The peer's certificate is bound to ${link.certificate.address}, but its Hello proves the key of ${peer.address}.`,
        ),
      );
      return;
    }
    if (peer.address === address) {
      refuse(link, new P2PError("self-connection", "The peer presented this node's own key."));
      return;
    }
    if (link.target?.hinted && link.target.address !== peer.address) {
      refuse(
        link,
        new P2PError(
          "unexpected-peer",
          `Expected peer ${link.target.address}, but ${peer.address} answered.`,
        ),
      );
      return;
    }
    if (!modules.isAllowed(peer.address)) {
      refuse(link, new P2PError("not-allowed", `Node ${peer.address} is not admitted by the registry.`));
      return;
    }
    const existing = active.get(peer.address);
    if (existing && !replaces(link, existing, peer.address)) {
      close(link, "duplicate-connection", "a link to this peer already exists and wins the tie-break");
      return;
    }
    if (link.direction === LinkDirection.inbound) sendHello(link);
    link.cancelHandshakeTimer?.();
    link.state = LinkState.up;
    if (link.target) {
      link.target.address = peer.address;
      link.target.attempt = 0;
    }
    active.set(peer.address, link);
    if (existing) {
      // The peer stays up across the swap, so handlers see no down/up pair.
      close(existing, "duplicate-connection", "a newer link to this peer won the tie-break");
      return;
    }
    logger.info({ address: peer.address, remote: link.remote, direction: link.direction }, "p2p peer up");
    for (const handler of upHandlers) handler(peer.address);
  }

  /**
   * Both ends apply the same rule, so they keep the same link: the link dialled by the lower address wins; if
   * one node dialled both, the newer wins (the older is most likely half-dead, from before a restart).
   */
  function replaces(candidate: Link, existing: Link, peerAddress: string): boolean {
    const dialer = (link: Link) => (link.direction === LinkDirection.outbound ? address : peerAddress);
    if (dialer(candidate) === dialer(existing)) return true;
    return dialer(candidate) === (address < peerAddress ? address : peerAddress);
  }

  function refuse(link: Link, error: P2PError): void {
    const report: Misbehavior = {
      address: link.address,
      remote: link.remote,
      code: error.code,
      message: error.message,
    };
    // Refusals by policy (not admitted, timeout, duplicate, certificate state or governance) are not protocol
    // violations by the peer.
    if (!POLICY_REFUSALS.has(error.code)) {
      for (const handler of misbehaviorHandlers) handler(report);
    }
    close(link, error.code, error.message);
  }

  function close(link: Link, code: string, reason: string): void {
    if (link.state === LinkState.closed) return;
    logger.warn({ remote: link.remote, address: link.address, code, reason }, "p2p link closed");
    finish(link);
    link.channel.destroy();
  }

  function onClose(link: Link): void {
    if (link.state !== LinkState.closed) {
      logger.info({ remote: link.remote, address: link.address }, "p2p link closed by peer");
      finish(link);
    }
  }

  /** Marks a link closed, once, and moves the peer table and the dial target on. */
  function finish(link: Link): void {
    link.state = LinkState.closed;
    link.cancelHandshakeTimer?.();
    links.delete(link);
    const target = link.target;
    if (target && target.link === link) target.link = undefined;
    if (link.address !== undefined && active.get(link.address) === link) {
      active.delete(link.address);
      logger.info({ address: link.address }, "p2p peer down");
      for (const handler of downHandlers) handler(link.address);
      for (const other of targets) if (other.address === link.address) scheduleDial(other);
    }
    if (target) scheduleDial(target);
  }

  function scheduleDial(target: DialTarget): void {
    if (!running || target.link || target.cancelRedial) return;
    // A link the peer dialled may serve this target; the target redials when that link goes down.
    if (target.address !== undefined && active.has(target.address)) return;
    const exponent = Math.min(target.attempt, BACKOFF_EXPONENT_MAX);
    const ceiling = Math.min(limits.reconnectDelayMsMax, limits.reconnectDelayMsMin * 2 ** exponent);
    // "Equal jitter": half fixed, half random, so restarts spread out yet never redial at once.
    const delay = Math.round(ceiling / 2 + (random() * ceiling) / 2);
    target.attempt++;
    target.cancelRedial = clock.setTimer(delay, () => {
      target.cancelRedial = undefined;
      dial(target);
    });
  }

  function dial(target: DialTarget): void {
    if (!running || target.link) return;
    if (target.address !== undefined && active.has(target.address)) return;
    target.link = createLink(LinkDirection.outbound, target, `${target.host}:${target.port}`, (events) =>
      transport.dial(target.host, target.port, events),
    );
  }

  function accept(socket: net.Socket): void {
    createLink(LinkDirection.inbound, undefined, `${socket.remoteAddress}:${socket.remotePort}`, (events) =>
      transport.accept(socket, events),
    );
  }

  function addTarget(peer: StaticPeer): DialTarget {
    if (targets.length >= limits.dialTargetsMax) {
      throw new P2PError("invalid-state", `A node keeps at most ${limits.dialTargetsMax} dial targets.`);
    }
    const target: DialTarget = {
      host: peer.host,
      port: peer.port,
      address: peer.address?.toLowerCase(),
      hinted: peer.address !== undefined,
      attempt: 0,
      link: undefined,
      cancelRedial: undefined,
    };
    targets.push(target);
    return target;
  }

  for (const peer of options.peers ?? []) addTarget(peer);

  function checkMessage(type: number, payload: Uint8Array): void {
    if (!Number.isInteger(type) || type <= MESSAGE_TYPE_HELLO || type > MESSAGE_TYPE_MAX) {
      throw new P2PError("invalid-message", `Message type ${type} is outside 1..${MESSAGE_TYPE_MAX}.`);
    }
    if (1 + payload.length > limits.frameBytesMax) {
      throw new P2PError(
        "invalid-message",
        `A ${payload.length}-byte payload exceeds the frame cap of ${limits.frameBytesMax} bytes.`,
      );
    }
  }

  function enqueue(link: Link, frame: Uint8Array): boolean {
    if (
      link.queuedBytes + frame.length > limits.sendQueueBytesMax ||
      link.queuedFrames + 1 > limits.sendQueueFramesMax
    ) {
      link.droppedFrames++;
      return false;
    }
    link.queuedBytes += frame.length;
    link.queuedFrames++;
    link.channel.write(frame, () => {
      link.queuedBytes -= frame.length;
      link.queuedFrames--;
    });
    return true;
  }

  return {
    address,
    async start() {
      if (server) throw new P2PError("invalid-state", "The peer network is already started.");
      const listener = net.createServer(accept);
      listener.maxConnections = limits.inboundConnectionsMax;
      server = listener;
      await new Promise<void>((resolve, reject) => {
        listener.once("error", reject);
        listener.listen(options.port ?? 0, host, () => {
          listener.off("error", reject);
          resolve();
        });
      });
      running = true;
      for (const target of targets) dial(target);
      const bound = listener.address();
      assert(bound !== null && typeof bound === "object", "A listening TCP server has an address.");
      logger.info({ address, host, port: bound.port }, "p2p listening");
      return { port: bound.port };
    },
    async stop() {
      running = false;
      for (const target of targets) {
        target.cancelRedial?.();
        target.cancelRedial = undefined;
      }
      for (const link of [...links]) close(link, "stopping", "the node is stopping");
      const listener = server;
      server = undefined;
      if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
    connect(addressHint, peerHost, peerPort) {
      const target = addTarget(
        addressHint === undefined
          ? { host: peerHost, port: peerPort }
          : { host: peerHost, port: peerPort, address: addressHint },
      );
      if (running) dial(target);
    },
    send(peerAddress, type, payload) {
      checkMessage(type, payload);
      const link = active.get(peerAddress.toLowerCase());
      if (!link) return false;
      return enqueue(link, encodeFrame(type, payload));
    },
    broadcast(type, payload) {
      checkMessage(type, payload);
      const frame = encodeFrame(type, payload);
      let queued = 0;
      for (const link of active.values()) if (enqueue(link, frame)) queued++;
      return queued;
    },
    peers() {
      return [...active.values()].map((link) => ({
        address: link.address!,
        direction: link.direction,
        remoteHost: link.channel.remoteAddress ?? "",
        remotePort: link.channel.remotePort ?? 0,
        queuedBytes: link.queuedBytes,
        queuedFrames: link.queuedFrames,
        droppedFrames: link.droppedFrames,
        ...(link.certificate ? { org: link.certificate.org } : {}),
      }));
    },
    revalidatePeers() {
      let closed = 0;
      for (const link of [...active.values()]) {
        try {
          certificates?.verify(link.presentedChain ?? [], clock.now());
          // The registry is asked again too: a node removed since its handshake loses its link.
          if (!modules.isAllowed(link.address!)) {
            throw new P2PError("not-allowed", `Node ${link.address} is no longer admitted by the registry.`);
          }
        } catch (error) {
          if (!(error instanceof P2PError)) throw error;
          refuse(link, error);
          closed++;
        }
      }
      return closed;
    },
    onMessage: (handler) => subscribe(messageHandlers, handler),
    onPeerUp: (handler) => subscribe(upHandlers, handler),
    onPeerDown: (handler) => subscribe(downHandlers, handler),
    onMisbehavior: (handler) => subscribe(misbehaviorHandlers, handler),
  };
}

/** Refusals that are policy (admission, time, governance), not protocol violations, so not misbehavior. */
const POLICY_REFUSALS: ReadonlySet<P2PErrorCode> = new Set<P2PErrorCode>([
  "not-allowed",
  "handshake-timeout",
  "unexpected-peer",
  "certificate-expired",
  "certificate-not-yet-valid",
  "certificate-revoked",
  "unknown-org",
  "record-limit",
]);

/** Options with `undefined` values removed, so they do not override the defaults. */
function definedOnly(options: PeerNetworkOptions): Partial<typeof PEER_NETWORK_LIMITS_DEFAULT> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(PEER_NETWORK_LIMITS_DEFAULT)) {
    const value = (options as unknown as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value as number;
  }
  return out;
}
