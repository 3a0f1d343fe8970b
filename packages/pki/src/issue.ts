import { createPrivateKey, randomBytes, webcrypto } from "node:crypto";
import { bytesToHex } from "@charter/utils";
import { type CertificateAlgorithm, p256Algorithm } from "./algorithm.js";
import { type CertificateInfo, parseCertificate } from "./certificateInfo.js";
import { PKIError } from "./errors.js";
import { derToPem, pemToDer } from "./pem.js";
import {
  CertificateRole,
  DAY_MS,
  IDENTITY_URI_PREFIX,
  type LeafRole,
  NOT_BEFORE_BACKDATE_MS,
  normalizeAddress,
  VALIDITY_DAYS_DEFAULT,
  validateCommonName,
  validateOrgId,
  validateValidityDays,
} from "./profile.js";
import { x509 } from "./x509.js";

/** A CA's certificate and private key, as PEM text (the key PKCS#8). */
export interface CertificateAuthority {
  readonly certificatePem: string;
  readonly keyPem: string;
}

/** A CA just made: its PEM material and the parsed certificate. */
export interface CreatedAuthority extends CertificateAuthority {
  readonly info: CertificateInfo;
}

/** A node or admin certificate just issued. */
export interface IssuedCertificate {
  /** The leaf certificate alone. */
  readonly certificatePem: string;
  /** The leaf followed by its org CA: what a node presents in TLS. */
  readonly chainPem: string;
  /** PKCS#8 PEM of the leaf's private key. */
  readonly keyPem: string;
  readonly info: CertificateInfo;
}

interface ValidityOptions {
  /** Days from `now` to notAfter; defaults by role (`VALIDITY_DAYS_DEFAULT`). */
  readonly validityDays?: number;
  /** The moment of issue (defaults to the current time); notBefore is one hour earlier. */
  readonly now?: Date | number;
}

export interface CreateRootCAOptions extends ValidityOptions {
  /** The root's common name, for example "Acme consortium root CA". */
  readonly name: string;
  readonly algorithm?: CertificateAlgorithm;
}

export interface CreateOrgCAOptions extends ValidityOptions {
  readonly root: CertificateAuthority;
  /** The organization id: the org CA's and its certificates' subject O. */
  readonly org: string;
  readonly algorithm?: CertificateAlgorithm;
}

export interface IssueLeafOptions extends ValidityOptions {
  readonly orgCA: CertificateAuthority;
  /** The subject CN: the node's or admin's name. */
  readonly name: string;
  /** The chain address the certificate binds (`charter:node:<address>` / `charter:admin:<address>`). */
  readonly address: string;
  readonly algorithm?: CertificateAlgorithm;
}

const CA_USAGES = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;
/** 16 random bytes: unpredictable serials (CA/B Forum asks for 64 bits of entropy) well within RFC 5280's 20. */
const SERIAL_BYTES = 16;

/**
 * Creates a consortium root CA: self-signed, `CA:TRUE, pathlen:1`, key usage keyCertSign and cRLSign.
 *
 * @example
 * const root = await createRootCA({ name: "Acme consortium root CA" });
 * const org = await createOrgCA({ root, org: "acme" });
 */
export async function createRootCA(options: CreateRootCAOptions): Promise<CreatedAuthority> {
  const algorithm = options.algorithm ?? p256Algorithm;
  const name = validateCommonName(options.name, "root CA");
  const { notBefore, notAfter } = validity(options, VALIDITY_DAYS_DEFAULT.root, undefined);
  const keys = await algorithm.generateKeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [name] }],
    keys,
    notBefore,
    notAfter,
    signingAlgorithm: algorithm.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(CA_USAGES, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return authority(certificate, await exportKey(keys.privateKey));
}

/** Creates an organization's CA, signed by the root: `CA:TRUE, pathlen:0`, subject `CN=<org> CA, O=<org>`. */
export async function createOrgCA(options: CreateOrgCAOptions): Promise<CreatedAuthority> {
  const algorithm = options.algorithm ?? p256Algorithm;
  const org = validateOrgId(options.org);
  const issuer = await loadIssuer(options.root, "root CA", options, algorithm);
  if (issuer.info.role !== CertificateRole.root) {
    throw new PKIError("basic-constraints", "The root CA certificate given is not a self-signed CA.");
  }
  const { notBefore, notAfter } = validity(options, VALIDITY_DAYS_DEFAULT.org, issuer.info);
  const keys = await algorithm.generateKeyPair();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [`${org} CA`] }, { O: [org] }],
    issuer: issuer.certificate.subjectName,
    publicKey: keys.publicKey,
    signingKey: issuer.signingKey,
    notBefore,
    notAfter,
    signingAlgorithm: algorithm.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(CA_USAGES, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.certificate.publicKey),
    ],
  });
  return authority(certificate, await exportKey(keys.privateKey));
}

/**
 * Issues a node certificate: end entity, digitalSignature, serverAuth and clientAuth, subject `CN=<name>,
 * O=<org>`, subjectAltName `URI:charter:node:<address>` binding it to the node's chain key.
 */
export function issueNodeCertificate(options: IssueLeafOptions): Promise<IssuedCertificate> {
  return issueLeaf(CertificateRole.node, options);
}

/** Issues an admin certificate: like a node's, with clientAuth only and `URI:charter:admin:<address>`. */
export function issueAdminCertificate(options: IssueLeafOptions): Promise<IssuedCertificate> {
  return issueLeaf(CertificateRole.admin, options);
}

async function issueLeaf(role: LeafRole, options: IssueLeafOptions): Promise<IssuedCertificate> {
  const algorithm = options.algorithm ?? p256Algorithm;
  const name = validateCommonName(options.name, role);
  const address = normalizeAddress(options.address);
  const issuer = await loadIssuer(options.orgCA, "org CA", options, algorithm);
  const org = issuer.info.organization;
  if (issuer.info.role !== CertificateRole.org || org === undefined) {
    throw new PKIError(
      "basic-constraints",
      "The org CA certificate given is not an organization CA (a CA with a subject O, issued by a root).",
    );
  }
  const { notBefore, notAfter } = validity(options, VALIDITY_DAYS_DEFAULT[role], issuer.info);
  const keys = await algorithm.generateKeyPair();
  const usages =
    role === CertificateRole.node
      ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]
      : [x509.ExtendedKeyUsage.clientAuth];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [name] }, { O: [org] }],
    issuer: issuer.certificate.subjectName,
    publicKey: keys.publicKey,
    signingKey: issuer.signingKey,
    notBefore,
    notAfter,
    signingAlgorithm: algorithm.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(usages),
      new x509.SubjectAlternativeNameExtension([
        { type: "url", value: `${IDENTITY_URI_PREFIX[role]}${address}` },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.certificate.publicKey),
    ],
  });
  const der = new Uint8Array(certificate.rawData);
  const certificatePem = derToPem(der);
  return {
    certificatePem,
    chainPem: certificatePem + derToPem(issuer.info.der),
    keyPem: await exportKey(keys.privateKey),
    info: parseCertificate(der),
  };
}

interface Issuer {
  readonly info: CertificateInfo;
  readonly certificate: x509.X509Certificate;
  readonly signingKey: webcrypto.CryptoKey;
}

/** Parses an issuing CA and checks it may issue now: a CA, unexpired, and the key belongs to the certificate. */
async function loadIssuer(
  ca: CertificateAuthority,
  what: string,
  options: ValidityOptions,
  algorithm: CertificateAlgorithm,
): Promise<Issuer> {
  const der = pemToDer(ca.certificatePem, "CERTIFICATE", `the ${what} certificate`)[0]!;
  const info = parseCertificate(der, `the ${what} certificate`);
  if (!info.isCA) throw new PKIError("basic-constraints", `The ${what} certificate is not a CA certificate.`);
  const now = toMs(options.now);
  if (now > info.notAfter.getTime()) {
    throw new PKIError(
      "expired",
      `The ${what} expired on ${info.notAfter.toISOString()}; renew it before issuing certificates with it.`,
    );
  }
  const keyDer = pemToDer(ca.keyPem, "PRIVATE KEY", `the ${what} key`)[0]!;
  let matches: boolean;
  try {
    matches = info.x509.checkPrivateKey(
      createPrivateKey({ key: Buffer.from(keyDer), format: "der", type: "pkcs8" }),
    );
  } catch (error) {
    throw new PKIError(
      "malformed",
      `The ${what} key is not a valid private key: ${(error as Error).message}.`,
    );
  }
  if (!matches) {
    throw new PKIError("malformed", `The ${what} key does not belong to the ${what} certificate.`);
  }
  return {
    info,
    certificate: new x509.X509Certificate(der),
    signingKey: await algorithm.importSigningKey(keyDer),
  };
}

/** notBefore one hour before `now`; notAfter `days` after it, but never after the issuer's own notAfter. */
function validity(
  options: ValidityOptions,
  defaultDays: number,
  issuer: CertificateInfo | undefined,
): { notBefore: Date; notAfter: Date } {
  const days = validateValidityDays(options.validityDays ?? defaultDays);
  const now = toMs(options.now);
  let notAfter = now + days * DAY_MS;
  // A certificate cannot outlive its issuer's: the chain would fail the day the issuer expires anyway.
  if (issuer !== undefined) notAfter = Math.min(notAfter, issuer.notAfter.getTime());
  // X.509 times have whole seconds.
  return {
    notBefore: new Date(Math.floor((now - NOT_BEFORE_BACKDATE_MS) / 1000) * 1000),
    notAfter: new Date(Math.floor(notAfter / 1000) * 1000),
  };
}

function toMs(now: Date | number | undefined): number {
  return now === undefined ? Date.now() : typeof now === "number" ? now : now.getTime();
}

function randomSerial(): string {
  const serial = new Uint8Array(randomBytes(SERIAL_BYTES));
  // Positive and exactly 16 bytes long: clear the sign bit, set the next one.
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return bytesToHex(serial).slice(2);
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  return derToPem(new Uint8Array(await webcrypto.subtle.exportKey("pkcs8", key)), "PRIVATE KEY");
}

function authority(certificate: x509.X509Certificate, keyPem: string): CreatedAuthority {
  const der = new Uint8Array(certificate.rawData);
  return { certificatePem: derToPem(der), keyPem, info: parseCertificate(der) };
}
