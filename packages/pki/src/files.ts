import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PKIError } from "./errors.js";
import type { CertificateAuthority, IssuedCertificate } from "./issue.js";
import { PEM_BYTES_MAX, pemToDer } from "./pem.js";

/**
 * The files `charter pki` writes. A root folder holds `root.pem` and `root.key`; an org folder `ca.pem`, `ca.key`
 * and a copy of `root.pem`; a node or admin folder `cert.pem`, `chain.pem` (cert then org CA), `cert.key` and a copy
 * of `root.pem`. Keys are PKCS#8 PEM, mode 0600. Nothing is ever overwritten.
 */
export const PKI_FILE_NAMES = {
  rootCertificate: "root.pem",
  rootKey: "root.key",
  caCertificate: "ca.pem",
  caKey: "ca.key",
  certificate: "cert.pem",
  chain: "chain.pem",
  key: "cert.key",
} as const;

export interface CertificateAuthorityFiles {
  readonly certificate: string;
  readonly key: string;
}

export interface IssuedCertificateFiles {
  readonly certificate: string;
  readonly chain: string;
  readonly key: string;
  /** The root copy, when the issuing org folder had one. */
  readonly root: string | undefined;
}

export function writeRootCA(dir: string, root: CertificateAuthority): CertificateAuthorityFiles {
  mkdirSync(dir, { recursive: true });
  const certificate = join(dir, PKI_FILE_NAMES.rootCertificate);
  const key = join(dir, PKI_FILE_NAMES.rootKey);
  writeNew(key, root.keyPem, true);
  writeNew(certificate, root.certificatePem, false);
  return { certificate, key };
}

export function readRootCA(dir: string): CertificateAuthority {
  return {
    certificatePem: readPEMFile(join(dir, PKI_FILE_NAMES.rootCertificate), "root CA certificate"),
    keyPem: readPEMFile(join(dir, PKI_FILE_NAMES.rootKey), "root CA key"),
  };
}

/** Writes an org CA and a copy of the root certificate, so the org folder alone can issue and verify. */
export function writeOrgCA(
  dir: string,
  orgCA: CertificateAuthority,
  rootCertificatePem: string,
): CertificateAuthorityFiles & { root: string } {
  mkdirSync(dir, { recursive: true });
  const certificate = join(dir, PKI_FILE_NAMES.caCertificate);
  const key = join(dir, PKI_FILE_NAMES.caKey);
  const root = join(dir, PKI_FILE_NAMES.rootCertificate);
  writeNew(key, orgCA.keyPem, true);
  writeNew(certificate, orgCA.certificatePem, false);
  writeNew(root, rootCertificatePem, false);
  return { certificate, key, root };
}

export function readOrgCA(dir: string): CertificateAuthority & { rootCertificatePem: string | undefined } {
  const rootFile = join(dir, PKI_FILE_NAMES.rootCertificate);
  return {
    certificatePem: readPEMFile(join(dir, PKI_FILE_NAMES.caCertificate), "org CA certificate"),
    keyPem: readPEMFile(join(dir, PKI_FILE_NAMES.caKey), "org CA key"),
    rootCertificatePem: isFile(rootFile) ? readPEMFile(rootFile, "root CA certificate") : undefined,
  };
}

export function writeIssuedCertificate(
  dir: string,
  issued: IssuedCertificate,
  rootCertificatePem: string | undefined,
): IssuedCertificateFiles {
  mkdirSync(dir, { recursive: true });
  const certificate = join(dir, PKI_FILE_NAMES.certificate);
  const chain = join(dir, PKI_FILE_NAMES.chain);
  const key = join(dir, PKI_FILE_NAMES.key);
  const root = rootCertificatePem === undefined ? undefined : join(dir, PKI_FILE_NAMES.rootCertificate);
  writeNew(key, issued.keyPem, true);
  writeNew(certificate, issued.certificatePem, false);
  writeNew(chain, issued.chainPem, false);
  if (root !== undefined) writeNew(root, rootCertificatePem!, false);
  return { certificate, chain, key, root };
}

/** The PKI material a node is configured with (node.yaml `pki`). */
export interface NodePKIFiles {
  /** The consortium root CA certificate the node trusts. */
  readonly rootCert: string;
  /** The node's certificate followed by its org CA's. */
  readonly certChain: string;
  /** The node certificate's private key (PKCS#8 PEM). */
  readonly key: string;
}

export interface NodePKIMaterial {
  readonly rootCertificatePem: string;
  readonly chainPem: string;
  readonly keyPem: string;
  readonly root: Uint8Array;
  /** The node certificate, then its org CA. */
  readonly chain: readonly [Uint8Array, Uint8Array];
}

/** Reads and splits a node's PKI files; throws `PKIError` naming the file that is missing or wrong. */
export function readNodePKIFiles(files: NodePKIFiles): NodePKIMaterial {
  const rootCertificatePem = readPEMFile(files.rootCert, "root CA certificate");
  const chainPem = readPEMFile(files.certChain, "certificate chain");
  const keyPem = readPEMFile(files.key, "certificate key");
  const root = pemToDer(rootCertificatePem, "CERTIFICATE", `the root CA certificate ${files.rootCert}`)[0]!;
  const chain = pemToDer(chainPem, "CERTIFICATE", `the certificate chain ${files.certChain}`);
  if (chain.length !== 2) {
    throw new PKIError(
      "malformed",
      `The certificate chain ${files.certChain} must hold the node certificate then its org CA (2 certificates); it holds ${chain.length}.`,
    );
  }
  pemToDer(keyPem, "PRIVATE KEY", `the certificate key ${files.key}`);
  return { rootCertificatePem, chainPem, keyPem, root, chain: [chain[0]!, chain[1]!] };
}

/** Reads a PEM file of bounded size; throws `PKIError("file")` with the path when it cannot. */
export function readPEMFile(path: string, what: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new PKIError(
      "file",
      `Cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}.`,
    );
  }
  if (size > PEM_BYTES_MAX) {
    throw new PKIError(
      "file",
      `The ${what} ${path} is ${size} bytes; a PEM file here is at most ${PEM_BYTES_MAX}.`,
    );
  }
  return readFileSync(path, "utf8");
}

function writeNew(path: string, text: string, secret: boolean): void {
  try {
    writeFileSync(path, text, { flag: "wx", ...(secret ? { mode: 0o600 } : {}) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new PKIError("file", `${path} already exists; remove it or choose another --out folder.`);
    }
    throw new PKIError("file", `Cannot write ${path}: ${(error as Error).message}.`);
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
