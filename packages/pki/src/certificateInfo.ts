import { createHash, X509Certificate as NodeX509Certificate } from "node:crypto";
import { bytesToHex, equalBytes } from "@charter/utils";
import { PKIError } from "./errors.js";
import { CertificateRole, IDENTITY_URI_PREFIX, type LeafRole } from "./profile.js";
import { x509 } from "./x509.js";

/** Extensions this profile understands; a certificate with any other critical extension is refused (RFC 5280 §4.2). */
const KNOWN_EXTENSIONS = new Set([
  "2.5.29.14", // subjectKeyIdentifier
  "2.5.29.15", // keyUsage
  "2.5.29.17", // subjectAltName
  "2.5.29.19", // basicConstraints
  "2.5.29.35", // authorityKeyIdentifier
  "2.5.29.37", // extKeyUsage
]);

/** Everything the profile looks at in one certificate, parsed once. */
export interface CertificateInfo {
  readonly der: Uint8Array;
  /** RFC 4514-style subject, for messages and `charter pki show`. */
  readonly subject: string;
  readonly issuer: string;
  readonly commonName: string | undefined;
  readonly organization: string | undefined;
  /** `0x` + lower-case hex of the serial number. */
  readonly serial: string;
  /** `0x` + lower-case hex of SHA-256 over the DER: what governance records and revokes. */
  readonly fingerprint: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** basicConstraints cA; false when the extension is absent. */
  readonly isCA: boolean;
  /** basicConstraints pathLenConstraint; undefined when absent (no limit). */
  readonly pathLength: number | undefined;
  /** keyUsage bits (`x509.KeyUsageFlags`); undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  /** extKeyUsage OIDs; empty when absent. */
  readonly extendedKeyUsage: readonly string[];
  /** Every URI in subjectAltName. */
  readonly uris: readonly string[];
  /** OIDs of critical extensions this profile does not know. */
  readonly unknownCriticalExtensions: readonly string[];
  /** Whether the issuer name equals the subject name. */
  readonly selfIssued: boolean;
  /** root / org for CAs (self-issued or not), node / admin by the identity URI, undefined otherwise. */
  readonly role: CertificateRole | undefined;
  /** The address of a node or admin identity URI (`0x` + 40 lower-case hex). */
  readonly address: string | undefined;
  /** Node's parsed certificate, for signature checks and the public key. */
  readonly x509: NodeX509Certificate;
  /** DER of the subject and issuer names, compared byte for byte when linking a chain. */
  readonly subjectNameDer: Uint8Array;
  readonly issuerNameDer: Uint8Array;
}

/**
 * Parses one DER certificate. Throws `PKIError("malformed")` if it is not a certificate; a certificate that parses
 * but breaks the profile is described as it is, and `verifyCertificateChain` judges it.
 *
 * @example
 * const info = parseCertificate(pemToDer(readFileSync("cert.pem", "utf8"))[0]!);
 * info.role; // "node"
 */
export function parseCertificate(der: Uint8Array, what = "the certificate"): CertificateInfo {
  let parsed: x509.X509Certificate;
  let native: NodeX509Certificate;
  try {
    native = new NodeX509Certificate(der);
    parsed = new x509.X509Certificate(der);
  } catch (error) {
    throw new PKIError("malformed", `${what} is not a valid X.509 certificate: ${(error as Error).message}.`);
  }
  let basic: x509.BasicConstraintsExtension | null;
  let usage: x509.KeyUsagesExtension | null;
  let extended: x509.ExtendedKeyUsageExtension | null;
  let alternative: x509.SubjectAlternativeNameExtension | null;
  try {
    basic = parsed.getExtension(x509.BasicConstraintsExtension);
    usage = parsed.getExtension(x509.KeyUsagesExtension);
    extended = parsed.getExtension(x509.ExtendedKeyUsageExtension);
    alternative = parsed.getExtension(x509.SubjectAlternativeNameExtension);
  } catch (error) {
    throw new PKIError("malformed", `${what} has a malformed extension: ${(error as Error).message}.`);
  }
  const uris = (alternative?.names.items ?? []).filter((n) => n.type === "url").map((n) => n.value);
  const subjectNameDer = new Uint8Array(parsed.subjectName.toArrayBuffer());
  const issuerNameDer = new Uint8Array(parsed.issuerName.toArrayBuffer());
  const selfIssued = equalBytes(subjectNameDer, issuerNameDer);
  const isCA = basic?.ca ?? false;
  const identity = identityFromURIs(uris);
  const role: CertificateRole | undefined = isCA
    ? selfIssued
      ? CertificateRole.root
      : CertificateRole.org
    : identity?.role;
  return {
    der,
    subject: parsed.subject,
    issuer: parsed.issuer,
    commonName: parsed.subjectName.getField("CN")[0],
    organization: parsed.subjectName.getField("O")[0],
    serial: `0x${native.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, "")}`,
    fingerprint: bytesToHex(new Uint8Array(createHash("sha256").update(der).digest())),
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
    isCA,
    pathLength: basic?.pathLength,
    keyUsage: usage?.usages,
    extendedKeyUsage: (extended?.usages ?? []).map(String),
    uris,
    unknownCriticalExtensions: parsed.extensions
      .filter((e) => e.critical && !KNOWN_EXTENSIONS.has(e.type))
      .map((e) => e.type),
    selfIssued,
    role,
    address: isCA ? undefined : identity?.address,
    x509: native,
    subjectNameDer,
    issuerNameDer,
  };
}

/** The identity a leaf's URIs name, if exactly one Charter identity URI is present and well formed. */
function identityFromURIs(uris: readonly string[]): { role: LeafRole; address: string } | undefined {
  const found: { role: LeafRole; address: string }[] = [];
  for (const uri of uris) {
    for (const role of [CertificateRole.node, CertificateRole.admin] as const) {
      const prefix = IDENTITY_URI_PREFIX[role];
      if (uri.startsWith(prefix)) found.push({ role, address: uri.slice(prefix.length) });
    }
  }
  const only = found.length === 1 ? found[0]! : undefined;
  return only && /^0x[0-9a-f]{40}$/.test(only.address) ? only : undefined;
}

/** The Charter identity URIs of a certificate (well formed or not), for precise error messages. */
export function charterURIs(info: CertificateInfo): string[] {
  return info.uris.filter((uri) => uri.startsWith("charter:"));
}
