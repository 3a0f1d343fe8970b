import { type KeyObject, webcrypto, type X509Certificate } from "node:crypto";
import type { CryptoSuiteName } from "@charter/crypto";
import { PKIError } from "./errors.js";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/**
 * What a certificate profile needs from its signature algorithm. The `ecdsa` suite uses ECDSA P-256 with
 * SHA-256 (what TLS 1.3 and every X.509 tool support); the `sm` suite will add an SM2-with-SM3 implementation of
 * this interface without touching the issuing or verification code.
 */
export interface CertificateAlgorithm {
  /** Shown by `charter pki show`. */
  readonly name: string;
  /** WebCrypto parameters for signing a certificate (@peculiar/x509 `signingAlgorithm`). */
  readonly signingAlgorithm: { readonly name: string; readonly hash?: string; readonly namedCurve?: string };
  generateKeyPair(): Promise<CryptoKeyPair>;
  /** Imports a PKCS#8 (DER) private key for signing certificates. */
  importSigningKey(pkcs8: Uint8Array): Promise<CryptoKey>;
  /** Whether a parsed certificate's public key is of this algorithm (for example on the right curve). */
  isPublicKey(key: KeyObject): boolean;
  /** Whether `certificate`'s signature verifies with `issuer`'s public key. */
  verifySignature(certificate: X509Certificate, issuer: X509Certificate): boolean;
}

const P256_KEY = { name: "ECDSA", namedCurve: "P-256" } as const;

/** ECDSA on NIST P-256 with SHA-256: the certificate algorithm of the `ecdsa` suite. */
export const p256Algorithm: CertificateAlgorithm = {
  name: "ECDSA P-256 with SHA-256",
  signingAlgorithm: { name: "ECDSA", hash: "SHA-256", namedCurve: "P-256" },
  generateKeyPair: () => webcrypto.subtle.generateKey(P256_KEY, true, ["sign", "verify"]),
  importSigningKey: (pkcs8) => webcrypto.subtle.importKey("pkcs8", pkcs8, P256_KEY, true, ["sign"]),
  isPublicKey: (key) =>
    key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1",
  verifySignature: (certificate, issuer) => {
    try {
      return certificate.verify(issuer.publicKey);
    } catch {
      return false;
    }
  },
};

/**
 * The certificate algorithm of a crypto suite. Only `ecdsa` has one today; `sm` (SM2 certificates, GB/T 20518)
 * comes with the SM suite.
 */
export function certificateAlgorithmFor(suite: CryptoSuiteName): CertificateAlgorithm {
  if (suite === "ecdsa") return p256Algorithm;
  throw new PKIError(
    "invalid-argument",
    `Certificates for the "${suite}" crypto suite are not available in this version; use "ecdsa".`,
  );
}
