import type net from "node:net";
import tls from "node:tls";
import { certificateFingerprint, type TLSIdentity } from "./certificate.js";
import { P2PError } from "./errors.js";
import { HELLO_EXPORTER_BYTES, HELLO_EXPORTER_LABEL } from "./hello.js";
import type { ChannelSession, LinkChannel, LinkChannelEvents, LinkTransport } from "./linkChannel.js";
import { presentedCertificates } from "./peerCertificates.js";

/** TLS 1.3 treats an absent and an empty exporter context alike (RFC 8446 §7.5); Node's types want one. */
const NO_CONTEXT = Buffer.alloc(0);

/**
 * Links over TLS 1.3, for `ecdsa` chains (docs/spec/p2p.md section 2). Both sides present `identity`: a fresh
 * self-signed Ed25519 certificate, or in PKI mode the node's org-issued chain. TLS validates nothing itself: trust
 * comes from the Hello and, in PKI mode, from the network's own check of the presented chain.
 *
 * @example
 * const transport = createTLSTransport(createTLSIdentity());
 * const channel = transport.dial("127.0.0.1", 30303, events); // events.secure() once TLS is up
 */
export function createTLSTransport(identity: TLSIdentity): LinkTransport {
  const tlsOptions = {
    key: identity.keyPem,
    cert: identity.certificatePem,
    minVersion: "TLSv1.3",
    maxVersion: "TLSv1.3",
  } as const;
  const secureContext = tls.createSecureContext(tlsOptions);
  return {
    dial(host, port, events) {
      const socket = tls.connect({
        ...tlsOptions,
        host,
        port,
        // Trust comes from the Hello, not from a certificate authority.
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });
      const channel = createTLSChannel(socket, identity, events);
      socket.once("secureConnect", () => events.secure());
      return channel;
    },
    accept(raw: net.Socket, events) {
      const socket = new tls.TLSSocket(raw, {
        isServer: true,
        secureContext,
        requestCert: true,
        rejectUnauthorized: false,
      });
      const channel = createTLSChannel(socket, identity, events);
      socket.once("secure", () => events.secure());
      return channel;
    },
  };
}

function createTLSChannel(
  socket: tls.TLSSocket,
  identity: TLSIdentity,
  events: LinkChannelEvents,
): LinkChannel {
  socket.on("data", (chunk: Buffer) =>
    events.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)),
  );
  socket.on("error", (error: Error) => events.error(error));
  socket.on("close", () => events.close());
  return {
    get remoteAddress() {
      return socket.remoteAddress;
    },
    get remotePort() {
      return socket.remotePort;
    },
    session(): ChannelSession {
      const raw = socket.getPeerCertificate().raw as Buffer | undefined;
      if (!raw || raw.length === 0) {
        throw new P2PError("no-peer-certificate", "The peer finished TLS without presenting a certificate.");
      }
      return {
        exporter: new Uint8Array(
          socket.exportKeyingMaterial(HELLO_EXPORTER_BYTES, HELLO_EXPORTER_LABEL, NO_CONTEXT),
        ),
        ownFingerprint: identity.fingerprint,
        peerFingerprint: certificateFingerprint(new Uint8Array(raw)),
      };
    },
    presentedCertificates: () => presentedCertificates(socket),
    write(data, callback) {
      socket.write(data, callback);
    },
    destroy: () => socket.destroy(),
  };
}
