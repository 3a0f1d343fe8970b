import { CharterError } from "@charter/utils";

/**
 * Why a certificate was refused or could not be made. Each verification code names one rule of the chain check
 * (docs/pki.md, section 4), so a refused link or a failed `charter pki verify` says which rule failed.
 */
export const PKIErrorCode = {
  /** Not a parseable X.509 certificate or PEM file, or a field the profile requires is missing or malformed. */
  malformed: "malformed",
  /** The key is not of the chain's certificate algorithm (P-256 for the `ecdsa` suite). */
  algorithm: "algorithm",
  /** A certificate's issuer name is not its issuer's subject: the chain does not lead to the trusted root. */
  wrongIssuer: "wrong-issuer",
  /** A signature does not verify with the issuer's key. */
  badSignature: "bad-signature",
  /** An issuer is not a CA (basicConstraints), or a node or admin certificate claims to be one. */
  basicConstraints: "basic-constraints",
  /** A CA's path length constraint does not allow the certificates below it. */
  pathLength: "path-length",
  /** A key usage or extended key usage the role requires is missing. */
  keyUsage: "key-usage",
  /** The leaf's organization (O) is not its org CA's. */
  orgMismatch: "org-mismatch",
  /** The leaf has no single `charter:node:` / `charter:admin:` URI, or not the role the caller expects. */
  identity: "identity",
  /** The current time is after a certificate's notAfter. */
  expired: "expired",
  /** The current time is before a certificate's notBefore. */
  notYetValid: "not-yet-valid",
  /** The certificate policy (governance) revoked the leaf or its org CA. */
  revoked: "revoked",
  /** The certificate policy (governance) does not know the leaf's organization. */
  unknownOrg: "unknown-org",
  /** A certificate or key file is missing, unreadable, or would be overwritten. */
  file: "file",
  /** An option is out of range (validity days, names, addresses), or the suite has no certificate algorithm yet. */
  invalidArgument: "invalid-argument",
} as const;
export type PKIErrorCode = (typeof PKIErrorCode)[keyof typeof PKIErrorCode];

export class PKIError extends CharterError<PKIErrorCode> {
  override name = "PKIError";
}

export function isPKIError(value: unknown): value is PKIError {
  return value instanceof PKIError;
}
