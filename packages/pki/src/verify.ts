import { equalBytes } from "@charter/utils";
import { type CertificateAlgorithm, p256Algorithm } from "./algorithm.js";
import { type CertificateInfo, charterURIs, parseCertificate } from "./certificateInfo.js";
import { PKIError } from "./errors.js";
import { CertificateRole, IDENTITY_URI_PREFIX, type LeafRole } from "./profile.js";
import { x509 } from "./x509.js";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/** What the extended key usage of each leaf role must include. */
const REQUIRED_EXTENDED_USAGES: Record<LeafRole, readonly string[]> = {
  node: [SERVER_AUTH, CLIENT_AUTH],
  admin: [CLIENT_AUTH],
};

/** A CA certificate of a verified chain, as revocation and expiry checks need it. */
export interface CertificateSummary {
  readonly subject: string;
  readonly serial: string;
  readonly fingerprint: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The identity a verified node or admin certificate proves. */
export interface CertificateIdentity {
  readonly role: LeafRole;
  /** The chain address the certificate is bound to (`0x` + 40 lower-case hex). */
  readonly address: string;
  /** The organization id (subject O of the leaf and of its org CA). */
  readonly org: string;
  /** The subject CN. */
  readonly name: string;
  readonly serial: string;
  /** `0x` + SHA-256 of the leaf's DER. */
  readonly fingerprint: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly orgCA: CertificateSummary;
  readonly root: CertificateSummary;
}

export interface VerifyCertificateChainOptions {
  /** The node or admin certificate (DER, or already parsed). */
  readonly leaf: Uint8Array | CertificateInfo;
  /** The org CA that issued it. */
  readonly orgCA: Uint8Array | CertificateInfo;
  /** The consortium root the verifier trusts. */
  readonly root: Uint8Array | CertificateInfo;
  /** The time at which every certificate must be valid. */
  readonly now: Date | number;
  /** Require this role; any leaf role is accepted when absent. */
  readonly role?: LeafRole;
  readonly algorithm?: CertificateAlgorithm;
}

/**
 * Verifies leaf → org CA → root and returns the identity the leaf proves, or throws a `PKIError` whose code names
 * the first rule that failed. The rules, in order (docs/pki.md, section 4): each certificate parses and has no
 * unknown critical extension; the root is a self-signed CA allowed one CA below it; the org CA is named and
 * signed by the root, is a CA with keyCertSign and has an organization; the leaf is named and signed by the org
 * CA, is not a CA, has digitalSignature and its role's extended key usages, belongs to the org CA's
 * organization and carries exactly one well-formed identity URI (of the role asked for); every key is of the
 * certificate algorithm; and finally every certificate is within its validity window at `now`. Structure and
 * signatures come before time, so a forged certificate is reported as invalid even when it is also expired.
 * Revocation and organization membership are the certificate policy's (`checkCertificatePolicy`).
 *
 * @example
 * const identity = verifyCertificateChain({ leaf, orgCA, root, now: Date.now(), role: "node" });
 * identity.address; // "0x5c…", the node key the certificate is bound to
 */
export function verifyCertificateChain(options: VerifyCertificateChainOptions): CertificateIdentity {
  const algorithm = options.algorithm ?? p256Algorithm;
  const root = info(options.root, "the root CA certificate");
  const orgCA = info(options.orgCA, "the org CA certificate");
  const leaf = info(options.leaf, "the certificate");
  const now = typeof options.now === "number" ? options.now : options.now.getTime();

  // The trust anchor itself: a self-signed CA that may have one CA (the org CA) below it.
  checkExtensions(root, "root CA");
  checkAlgorithm(root, "root CA", algorithm);
  if (!root.isCA || !root.selfIssued) {
    throw new PKIError(
      "basic-constraints",
      `The root certificate "${root.subject}" is not a self-signed CA.`,
    );
  }
  if (!algorithm.verifySignature(root.x509, root.x509)) {
    throw new PKIError("bad-signature", `The root certificate "${root.subject}" is not validly self-signed.`);
  }
  checkCAUsage(root, "root CA");
  if (root.pathLength !== undefined && root.pathLength < 1) {
    throw new PKIError(
      "path-length",
      `The root CA allows ${root.pathLength} CA certificates below it; an org CA needs 1.`,
    );
  }

  // The org CA: issued by the root, a CA, naming its organization.
  checkExtensions(orgCA, "org CA");
  checkLink(orgCA, "org CA", root, "the consortium root", algorithm);
  checkAlgorithm(orgCA, "org CA", algorithm);
  if (!orgCA.isCA) {
    throw new PKIError(
      "basic-constraints",
      `"${orgCA.subject}" is not a CA certificate, so it cannot issue one.`,
    );
  }
  checkCAUsage(orgCA, "org CA");
  if (orgCA.organization === undefined) {
    throw new PKIError("org-mismatch", `The org CA "${orgCA.subject}" names no organization (subject O).`);
  }

  // The leaf: issued by the org CA, an end entity of the org, bound to one address.
  checkExtensions(leaf, "certificate");
  checkLink(leaf, "certificate", orgCA, `the org CA "${orgCA.subject}"`, algorithm);
  checkAlgorithm(leaf, "certificate", algorithm);
  if (leaf.isCA) {
    throw new PKIError(
      "basic-constraints",
      `"${leaf.subject}" is a CA certificate; a node or admin must present an end-entity certificate.`,
    );
  }
  if (leaf.keyUsage === undefined || (leaf.keyUsage & x509.KeyUsageFlags.digitalSignature) === 0) {
    throw new PKIError("key-usage", `"${leaf.subject}" does not allow digitalSignature (key usage).`);
  }
  if (leaf.organization !== orgCA.organization) {
    throw new PKIError(
      "org-mismatch",
      `"${leaf.subject}" belongs to organization "${leaf.organization ?? "(none)"}", but its CA is organization "${orgCA.organization}".`,
    );
  }
  const role = leaf.role;
  if (leaf.address === undefined || (role !== CertificateRole.node && role !== CertificateRole.admin)) {
    const uris = charterURIs(leaf);
    throw new PKIError(
      "identity",
      uris.length === 0
        ? `"${leaf.subject}" has no ${IDENTITY_URI_PREFIX.node}<address> or ${IDENTITY_URI_PREFIX.admin}<address> subjectAltName URI.`
        : `"${leaf.subject}" must carry exactly one well-formed identity URI; it has ${uris.map((u) => `"${u}"`).join(", ")}.`,
    );
  }
  if (options.role !== undefined && role !== options.role) {
    throw new PKIError(
      "identity",
      `"${leaf.subject}" is ${role === "admin" ? "an admin" : "a node"} certificate; a ${options.role} certificate is required.`,
    );
  }
  for (const usage of REQUIRED_EXTENDED_USAGES[role]) {
    if (!leaf.extendedKeyUsage.includes(usage)) {
      throw new PKIError(
        "key-usage",
        `"${leaf.subject}" lacks the extended key usage ${usage === SERVER_AUTH ? "serverAuth" : "clientAuth"} a ${role} certificate needs.`,
      );
    }
  }

  // Time last: all of the chain must be valid now.
  checkValidity(root, "root CA", now);
  checkValidity(orgCA, "org CA", now);
  checkValidity(leaf, `${role} certificate`, now);

  return {
    role,
    address: leaf.address,
    org: orgCA.organization,
    name: leaf.commonName ?? "",
    serial: leaf.serial,
    fingerprint: leaf.fingerprint,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    orgCA: summary(orgCA),
    root: summary(root),
  };
}

function info(value: Uint8Array | CertificateInfo, what: string): CertificateInfo {
  return value instanceof Uint8Array ? parseCertificate(value, what) : value;
}

function summary(certificate: CertificateInfo): CertificateSummary {
  return {
    subject: certificate.subject,
    serial: certificate.serial,
    fingerprint: certificate.fingerprint,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
  };
}

function checkExtensions(certificate: CertificateInfo, what: string): void {
  const unknown = certificate.unknownCriticalExtensions;
  if (unknown.length > 0) {
    throw new PKIError(
      "malformed",
      `The ${what} "${certificate.subject}" has critical extensions this profile does not know: ${unknown.join(", ")}.`,
    );
  }
}

function checkAlgorithm(certificate: CertificateInfo, what: string, algorithm: CertificateAlgorithm): void {
  if (!algorithm.isPublicKey(certificate.x509.publicKey)) {
    throw new PKIError(
      "algorithm",
      `The ${what} "${certificate.subject}" has a key that is not ${algorithm.name}.`,
    );
  }
}

/** The issuer's name and signature: the link that makes a chain. */
function checkLink(
  certificate: CertificateInfo,
  what: string,
  issuer: CertificateInfo,
  issuerName: string,
  algorithm: CertificateAlgorithm,
): void {
  if (!equalBytes(certificate.issuerNameDer, issuer.subjectNameDer)) {
    throw new PKIError(
      "wrong-issuer",
      `The ${what} "${certificate.subject}" was issued by "${certificate.issuer}", not by ${issuerName} ("${issuer.subject}").`,
    );
  }
  if (!algorithm.verifySignature(certificate.x509, issuer.x509)) {
    throw new PKIError(
      "bad-signature",
      `The signature on the ${what} "${certificate.subject}" does not verify with the key of ${issuerName}.`,
    );
  }
}

function checkCAUsage(certificate: CertificateInfo, what: string): void {
  if (certificate.keyUsage === undefined || (certificate.keyUsage & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new PKIError(
      "key-usage",
      `The ${what} "${certificate.subject}" does not allow keyCertSign (key usage), so it cannot issue certificates.`,
    );
  }
}

function checkValidity(certificate: CertificateInfo, what: string, now: number): void {
  if (now > certificate.notAfter.getTime()) {
    throw new PKIError(
      "expired",
      `The ${what} "${certificate.subject}" expired on ${certificate.notAfter.toISOString()}.`,
    );
  }
  if (now < certificate.notBefore.getTime()) {
    throw new PKIError(
      "not-yet-valid",
      `The ${what} "${certificate.subject}" is not valid before ${certificate.notBefore.toISOString()}.`,
    );
  }
}
