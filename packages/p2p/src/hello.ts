import type { CryptoSuite } from "@charter/crypto";
import { bytesToHex, concatBytes, utf8ToBytes } from "@charter/utils";
import { P2PError } from "./errors.js";

/**
 * The Hello binds a node's long-term key to one session: TLS 1.3 on an `ecdsa` chain, the SM channel on an `sm`
 * chain. It signs the session's exporter value (the TLS exporter, or the SM channel's exporter secret), so it
 * cannot be replayed on another session or relayed by a man in the middle (whose two sessions have different
 * exporters), and the fingerprint of what the signer saw on the other side (the peer's TLS certificate, or SM3 of
 * its ChannelHello, which holds its ephemeral key), so each side's Hello differs and cannot be reflected back at
 * its sender.
 */
export const HELLO_VERSION = 1;
export const HELLO_DOMAIN = utf8ToBytes("charter/v1/p2p-hello");
/** RFC 8446 §7.5 exporter label (TLS links); a private label must start with "EXPORTER". */
export const HELLO_EXPORTER_LABEL = "EXPORTER-charter-p2p-hello";
export const HELLO_EXPORTER_BYTES = 32;
const CHAIN_ID_BYTES = 8;
const CHAIN_ID_MAX = (1n << 64n) - 1n;

export interface Hello {
  readonly chainId: bigint;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

/** Payload length of a Hello for a suite whose public keys are `publicKeyBytes` long. */
export function helloPayloadBytes(suite: CryptoSuite, publicKeyBytes: number): number {
  return 1 + CHAIN_ID_BYTES + publicKeyBytes + suite.signatureLength;
}

export function chainIdToBytes(chainId: bigint): Uint8Array {
  if (chainId < 0n || chainId > CHAIN_ID_MAX) {
    throw new P2PError("invalid-state", `Chain id ${chainId} does not fit in 64 unsigned bits.`);
  }
  const out = new Uint8Array(CHAIN_ID_BYTES);
  new DataView(out.buffer).setBigUint64(0, chainId);
  return out;
}

/** The digest a Hello signs: `hash(domain ‖ chainId u64 ‖ exporter ‖ fingerprint of the peer's certificate)`. */
export function helloDigest(
  suite: CryptoSuite,
  chainId: bigint,
  exporter: Uint8Array,
  peerCertificateFingerprint: Uint8Array,
): Uint8Array {
  return suite.hash(concatBytes(HELLO_DOMAIN, chainIdToBytes(chainId), exporter, peerCertificateFingerprint));
}

export function createHello(options: {
  readonly suite: CryptoSuite;
  readonly nodeKey: Uint8Array;
  readonly chainId: bigint;
  readonly exporter: Uint8Array;
  readonly peerCertificateFingerprint: Uint8Array;
}): Uint8Array {
  const { suite, nodeKey, chainId, exporter, peerCertificateFingerprint } = options;
  const signature = suite.sign(helloDigest(suite, chainId, exporter, peerCertificateFingerprint), nodeKey);
  return encodeHello({ chainId, publicKey: suite.publicKeyFromPrivateKey(nodeKey), signature });
}

export function encodeHello(hello: Hello): Uint8Array {
  return concatBytes(
    Uint8Array.of(HELLO_VERSION),
    chainIdToBytes(hello.chainId),
    hello.publicKey,
    hello.signature,
  );
}

export function decodeHello(suite: CryptoSuite, payload: Uint8Array, publicKeyBytes: number): Hello {
  if (payload.length !== helloPayloadBytes(suite, publicKeyBytes)) {
    throw new P2PError(
      "hello-malformed",
      `A Hello must be ${helloPayloadBytes(suite, publicKeyBytes)} bytes; this one is ${payload.length}.`,
    );
  }
  if (payload[0] !== HELLO_VERSION) {
    throw new P2PError(
      "hello-malformed",
      `Hello version ${payload[0]} is not supported (expected ${HELLO_VERSION}).`,
    );
  }
  const chainId = new DataView(payload.buffer, payload.byteOffset + 1, CHAIN_ID_BYTES).getBigUint64(0);
  const keyStart = 1 + CHAIN_ID_BYTES;
  return {
    chainId,
    publicKey: payload.slice(keyStart, keyStart + publicKeyBytes),
    signature: payload.slice(keyStart + publicKeyBytes),
  };
}

/**
 * Checks a received Hello against this session and returns the sender's address (`0x` + 40 lower-case hex).
 * Throws `P2PError` (`hello-malformed`, `wrong-chain`, `bad-signature`); admission (`isAllowed`) is the caller's.
 */
export function verifyHello(options: {
  readonly suite: CryptoSuite;
  readonly payload: Uint8Array;
  readonly publicKeyBytes: number;
  readonly chainId: bigint;
  readonly exporter: Uint8Array;
  /**
   * The fingerprint of this node's own certificate (SM channel: SM3 of its own ChannelHello): the peer signed the
   * one it saw.
   */
  readonly ownCertificateFingerprint: Uint8Array;
}): { readonly address: string; readonly publicKey: Uint8Array } {
  const { suite, chainId } = options;
  const hello = decodeHello(suite, options.payload, options.publicKeyBytes);
  if (hello.chainId !== chainId) {
    throw new P2PError(
      "wrong-chain",
      `The peer is on chain ${hello.chainId}; this node is on chain ${chainId}.`,
    );
  }
  const digest = helloDigest(suite, chainId, options.exporter, options.ownCertificateFingerprint);
  if (!suite.verify(digest, hello.signature, hello.publicKey)) {
    throw new P2PError(
      "bad-signature",
      "The Hello signature does not verify for this session; it is forged, replayed or relayed.",
    );
  }
  return { address: bytesToHex(suite.addressFromPublicKey(hello.publicKey)), publicKey: hello.publicKey };
}
