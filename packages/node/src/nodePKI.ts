import { createPrivateKey } from "node:crypto";
import type { PeerPKIOptions } from "@charter/p2p";
import {
  type CertificateIdentity,
  type ExpiringCertificate,
  isPKIError,
  type NodePKIFiles,
  parseCertificate,
  readNodePKIFiles,
  verifyCertificateChain,
} from "@charter/pki";
import { NodeError } from "./errors.js";

/** Labels of the node's three certificates, in logs and in `charter_certificate_expiry_seconds{cert}`. */
export const NodeCertificateLabel = { node: "node", org: "org", root: "root" } as const;
export type NodeCertificateLabel = (typeof NodeCertificateLabel)[keyof typeof NodeCertificateLabel];

export interface NodePKI {
  /** What the peer network presents and trusts. */
  readonly p2p: PeerPKIOptions;
  readonly identity: CertificateIdentity;
  /** node, org and root certificates with their notAfter, for the expiry monitor. */
  readonly certificates: readonly (ExpiringCertificate & { label: NodeCertificateLabel })[];
}

/**
 * Reads and checks the node's own certificates before anything starts: the chain must verify up to the configured
 * root now (so an expired certificate stops the node with a clear message instead of every peer refusing it), be a
 * node certificate bound to this node key's address, and the key file must hold the certificate's key.
 */
export function loadNodePKI(
  files: NodePKIFiles,
  node: { readonly address: string; readonly now: number },
): NodePKI {
  let material: ReturnType<typeof readNodePKIFiles>;
  try {
    material = readNodePKIFiles(files);
  } catch (error) {
    throw new NodeError("certificate", `cannot load the node's certificates: ${(error as Error).message}`);
  }
  const [leaf, orgCA] = material.chain;
  let identity: CertificateIdentity;
  try {
    identity = verifyCertificateChain({ leaf, orgCA, root: material.root, now: node.now, role: "node" });
  } catch (error) {
    if (!isPKIError(error)) throw error;
    const advice =
      error.code === "expired"
        ? "issue a new one with `charter pki issue-node` (or renew the CA) and point pki.certChain at it"
        : error.code === "not-yet-valid"
          ? "check this machine's clock, or wait until the certificate becomes valid"
          : "check pki.rootCert and pki.certChain in the node config (docs/pki.md)";
    throw new NodeError(
      "certificate",
      `refusing to start: the certificate chain ${files.certChain} cannot be used with the root ${files.rootCert} (${error.code}). ${error.message} To fix it, ${advice}.`,
    );
  }
  if (identity.address !== node.address) {
    throw new NodeError(
      "certificate",
      `refusing to start: the node certificate ${files.certChain} is bound to ${identity.address}, but this node's key (nodeKeyFile) has the address ${node.address}; issue a certificate for this node key with \`charter pki issue-node --key <node key file>\`.`,
    );
  }
  let keyMatches: boolean;
  try {
    keyMatches = parseCertificate(leaf).x509.checkPrivateKey(createPrivateKey(material.keyPem));
  } catch (error) {
    throw new NodeError(
      "certificate",
      `the certificate key ${files.key} is not a valid private key: ${(error as Error).message}`,
    );
  }
  if (!keyMatches) {
    throw new NodeError(
      "certificate",
      `refusing to start: the key ${files.key} does not belong to the node certificate ${files.certChain}.`,
    );
  }
  return {
    p2p: {
      certificateChainPem: material.chainPem,
      keyPem: material.keyPem,
      rootCertificatePem: material.rootCertificatePem,
    },
    identity,
    certificates: [
      { label: NodeCertificateLabel.node, notAfter: identity.notAfter },
      { label: NodeCertificateLabel.org, notAfter: identity.orgCA.notAfter },
      { label: NodeCertificateLabel.root, notAfter: identity.root.notAfter },
    ],
  };
}
