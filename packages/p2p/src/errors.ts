import { CharterError } from "@charter/utils";

/**
 * Why a link was refused or closed, or why a local call was rejected. A misbehaving or unadmitted peer is
 * expected, so these are values the network logs and reports, never crashes.
 */
export const P2PErrorCode = {
  /** A frame's length field is above the cap in force (the hello cap during the handshake). */
  frameTooLarge: "frame-too-large",
  /** A frame's length field is 0, so it has no type byte. */
  frameEmpty: "frame-empty",
  /** A frame type that is reserved or unknown in the current state (for example a second Hello). */
  unexpectedMessageType: "unexpected-message-type",
  /** A Hello payload of the wrong length or version. */
  helloMalformed: "hello-malformed",
  /** A Hello for another chain. */
  wrongChain: "wrong-chain",
  /** A Hello signature that does not verify over this session (TLS or SM channel). */
  badSignature: "bad-signature",
  /** The Hello's node key is not admitted by the registry. */
  notAllowed: "not-allowed",
  /** The peer is not the node the dial expected (address hint mismatch). */
  unexpectedPeer: "unexpected-peer",
  /** The peer presented this node's own key. */
  selfConnection: "self-connection",
  /** The peer completed TLS without a certificate. */
  noPeerCertificate: "no-peer-certificate",
  /**
   * PKI mode: the peer's certificate chain does not verify up to the consortium root (signature, issuer, CA flags,
   * key usages, organization, identity URI, algorithm; the message names the rule), or it sent no org CA.
   */
  certificateInvalid: "certificate-invalid",
  /** PKI mode: a certificate of the peer's chain is past its notAfter. */
  certificateExpired: "certificate-expired",
  /** PKI mode: a certificate of the peer's chain is before its notBefore. */
  certificateNotYetValid: "certificate-not-yet-valid",
  /** PKI mode: governance revoked the peer's certificate or its org CA. */
  certificateRevoked: "certificate-revoked",
  /** PKI mode: the peer's organization is not a member of the consortium. */
  unknownOrg: "unknown-org",
  /** PKI mode: the certificate is bound to another address than the node key the Hello proved. */
  certificateAddressMismatch: "certificate-address-mismatch",
  /**
   * SM channel: the peer's ChannelHello has the wrong magic, version or role, or its ephemeral key is not an
   * uncompressed point of curveSM2 (a TLS peer, a node of an `ecdsa` chain, or garbage).
   */
  channelHelloMalformed: "channel-hello-malformed",
  /** SM channel: a record's length is 0 or above the record cap. */
  recordMalformed: "record-malformed",
  /** SM channel: a record's tag does not verify (tampered, reordered, replayed or cut). */
  recordBadTag: "record-bad-tag",
  /** SM channel: one direction of the link used up its records; the link closes and is redialled with new keys. */
  recordLimit: "record-limit",
  /** TLS or the SM channel plus Hello did not finish within `handshakeTimeoutMs`. */
  handshakeTimeout: "handshake-timeout",
  /** Another link to the same peer won the deterministic tie-break. */
  duplicateConnection: "duplicate-connection",
  /** A caller passed a message type outside 1..255 or a payload above the frame cap. */
  invalidMessage: "invalid-message",
  /** `start` on a started network, or an option out of range. */
  invalidState: "invalid-state",
} as const;
export type P2PErrorCode = (typeof P2PErrorCode)[keyof typeof P2PErrorCode];

export class P2PError extends CharterError<P2PErrorCode> {
  override name = "P2PError";
}
