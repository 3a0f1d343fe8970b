import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import {
  derBitString,
  derExplicit,
  derObjectIdentifier,
  derSequence,
  derSet,
  derTime,
  derUnsignedInteger,
  derUtf8String,
} from "./der.js";

/**
 * The TLS key and certificate a node presents. The self-signed one carries no identity (the Hello binds one to
 * it); in PKI mode it is the node's org-issued chain (`peerCertificates.ts`).
 */
export interface TLSIdentity {
  /** PKCS#8 PEM of the Ed25519 private key, as `tls` wants it. */
  readonly keyPem: string;
  /** PEM of the certificate, followed in PKI mode by the org CA that issued it. */
  readonly certificatePem: string;
  /** DER of the (leaf) certificate. */
  readonly certificateDer: Uint8Array;
  /** SHA-256 of `certificateDer`; each side signs the other side's fingerprint in its Hello. */
  readonly fingerprint: Uint8Array;
}

const OID_ED25519 = "1.3.101.112";
const OID_COMMON_NAME = "2.5.4.3";
const COMMON_NAME = "charter-p2p";
const SERIAL_BYTES = 16;
/**
 * Fixed validity: no peer checks dates (trust comes from the Hello signature, not the certificate), and fixed
 * dates keep the node clock out of certificate generation. 9999-12-31 is RFC 5280's "no expiry" value.
 */
const NOT_BEFORE = new Date(Date.UTC(2000, 0, 1));
const NOT_AFTER = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

/**
 * Generates a fresh Ed25519 TLS key and a self-signed X.509 v3 certificate for it. TLS 1.3 cannot use the
 * secp256k1 node key, so every start makes a new ephemeral TLS identity.
 *
 * @example
 * const identity = createTLSIdentity();
 * new X509Certificate(identity.certificateDer).subject; // "CN=charter-p2p"
 */
export function createTLSIdentity(): TLSIdentity {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const algorithm = derSequence(derObjectIdentifier(OID_ED25519));
  const name = derSequence(
    derSet(derSequence(derObjectIdentifier(OID_COMMON_NAME), derUtf8String(COMMON_NAME))),
  );
  // RFC 5280 wants a positive serial of at most 20 bytes; clearing the top bit and setting the next keeps it
  // positive and exactly 16 bytes long.
  const serial = new Uint8Array(randomBytes(SERIAL_BYTES));
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const tbs = derSequence(
    derExplicit(0, derUnsignedInteger(Uint8Array.of(2))),
    derUnsignedInteger(serial),
    algorithm,
    name,
    derSequence(derTime(NOT_BEFORE), derTime(NOT_AFTER)),
    name,
    spki,
  );
  const signature = new Uint8Array(sign(null, tbs, privateKey));
  const certificateDer = derSequence(tbs, algorithm, derBitString(signature));
  return {
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    certificatePem: derToPem(certificateDer),
    certificateDer,
    fingerprint: certificateFingerprint(certificateDer),
  };
}

export function certificateFingerprint(der: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(der).digest());
}

function derToPem(der: Uint8Array): string {
  const base64 = Buffer.from(der).toString("base64");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}
