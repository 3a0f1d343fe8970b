import type tls from "node:tls";
import {
  type CertificateIdentity,
  type CertificateInfo,
  type CertificatePolicy,
  checkCertificatePolicy,
  isPKIError,
  type PKIErrorCode,
  parseCertificate,
  pemToDer,
  verifyCertificateChain,
} from "@charter/pki";
import { certificateFingerprint, type TLSIdentity } from "./certificate.js";
import { P2PError, type P2PErrorCode } from "./errors.js";

/** The node's org-issued certificate material (docs/pki.md); without it a node presents a self-signed certificate. */
export interface PeerPKIOptions {
  /** PEM: the node certificate, then the org CA certificate that issued it. */
  readonly certificateChainPem: string;
  /** PKCS#8 PEM of the node certificate's private key. */
  readonly keyPem: string;
  /** PEM of the consortium root CA: every peer's chain must lead to it. */
  readonly rootCertificatePem: string;
}

/** Certificates read from a peer's TLS chain: its node certificate and the org CA; more are ignored. */
const PRESENTED_CERTIFICATES_MAX = 4;

/** PKI mode of the peer network: the identity presented in TLS, and the check of what peers present. */
export interface PeerCertificates {
  readonly identity: TLSIdentity;
  /** The node's own verified identity; `ownChainError` is set if the chain failed its time check. */
  readonly own: CertificateIdentity | undefined;
  readonly ownChainError: P2PError | undefined;
  /**
   * Verifies a presented chain (node certificate first) up to the trusted root at `now`, then asks the policy.
   * Throws `P2PError` with a certificate code.
   */
  verify(chain: readonly Uint8Array[], now: number): CertificateIdentity;
}

/**
 * Loads the node's certificate chain and the root it trusts. The chain must verify and be bound to the node's own
 * address (`charter:node:<address>`); if it is only outside its validity window, the network still starts (peers
 * will refuse it; the node warns and refuses to start long before that) and `ownChainError` says why.
 */
export function createPeerCertificates(
  options: PeerPKIOptions,
  modules: { readonly address: string; readonly policy: CertificatePolicy; readonly now: number },
): PeerCertificates {
  let root: CertificateInfo;
  let chain: Uint8Array[];
  try {
    root = parseCertificate(
      pemToDer(options.rootCertificatePem, "CERTIFICATE", "the root CA certificate")[0]!,
      "the root CA certificate",
    );
    chain = pemToDer(options.certificateChainPem, "CERTIFICATE", "the node's certificate chain");
  } catch (error) {
    throw new P2PError("invalid-state", (error as Error).message, { cause: error });
  }
  if (chain.length !== 2) {
    throw new P2PError(
      "invalid-state",
      `The node's certificate chain must hold the node certificate then its org CA; it holds ${chain.length} certificates.`,
    );
  }
  /** The chain check, then (for peers) the certificate policy; PKI errors become P2P errors. */
  const check = (presented: readonly Uint8Array[], now: number, askPolicy: boolean): CertificateIdentity => {
    const [leaf, orgCA] = presented;
    if (leaf === undefined || orgCA === undefined) {
      throw new P2PError(
        "certificate-invalid",
        "The peer presented no org CA certificate with its node certificate (a consortium chain is required).",
      );
    }
    try {
      const identity = verifyCertificateChain({ leaf, orgCA, root, now, role: "node" });
      if (askPolicy) checkCertificatePolicy(identity, modules.policy);
      return identity;
    } catch (error) {
      if (!isPKIError(error)) throw error;
      throw new P2PError(P2P_CODE[error.code] ?? "certificate-invalid", error.message, { cause: error });
    }
  };
  let own: CertificateIdentity | undefined;
  let ownChainError: P2PError | undefined;
  try {
    // The node's own chain is checked for structure, root and time; what governance thinks of it is for peers.
    own = check(chain, modules.now, false);
  } catch (error) {
    const code = (error as P2PError).code;
    if (code !== "certificate-expired" && code !== "certificate-not-yet-valid") {
      throw new P2PError(
        "invalid-state",
        `The node's own certificate chain is not valid: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    ownChainError = error as P2PError;
  }
  const boundTo = own?.address ?? parseCertificate(chain[0]!).address;
  if (boundTo !== modules.address) {
    throw new P2PError(
      "invalid-state",
      `The node certificate is bound to ${boundTo ?? "no address"}, but the node key's address is ${modules.address}; issue a certificate for this node key.`,
    );
  }
  return {
    identity: {
      keyPem: options.keyPem,
      certificatePem: options.certificateChainPem,
      certificateDer: chain[0]!,
      fingerprint: certificateFingerprint(chain[0]!),
    },
    own,
    ownChainError,
    verify: (presented, now) => check(presented, now, true),
  };
}

/** PKI refusals that are the peer's state or governance's decision, reported under their own codes. */
const P2P_CODE: Partial<Record<PKIErrorCode, P2PErrorCode>> = {
  expired: "certificate-expired",
  "not-yet-valid": "certificate-not-yet-valid",
  revoked: "certificate-revoked",
  "unknown-org": "unknown-org",
};

/** The DER certificates a peer presented in TLS, its own first, in the order it sent them. */
export function presentedCertificates(socket: tls.TLSSocket): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  let certificate: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (certificate?.raw && certificate.raw.length > 0 && out.length < PRESENTED_CERTIFICATES_MAX) {
    // A self-signed certificate is its own issuer in Node's chain.
    if (seen.has(certificate.fingerprint256)) break;
    seen.add(certificate.fingerprint256);
    out.push(new Uint8Array(certificate.raw));
    certificate = certificate.issuerCertificate;
  }
  return out;
}
