import { PKIError } from "./errors.js";

/**
 * The certificate profile of a Charter consortium (docs/pki.md): a root CA, one CA per organization, and node and
 * admin certificates issued by an org CA.
 */
export const CertificateRole = {
  /** The consortium root CA: self-signed, CA with path length 1. */
  root: "root",
  /** An organization's CA: signed by the root, CA with path length 0, subject O = the org id. */
  org: "org",
  /** A node: TLS server and client, bound to the node's chain key address. */
  node: "node",
  /** An organization's administrator: TLS client, bound to the admin's account address. */
  admin: "admin",
} as const;
export type CertificateRole = (typeof CertificateRole)[keyof typeof CertificateRole];

/** Roles of end-entity (leaf) certificates, the ones that carry an address. */
export type LeafRole = typeof CertificateRole.node | typeof CertificateRole.admin;

/** The subjectAltName URI prefix of each leaf role; the address follows (`charter:node:0x…`). */
export const IDENTITY_URI_PREFIX = {
  node: "charter:node:",
  admin: "charter:admin:",
} as const satisfies Record<LeafRole, string>;

/** Default validity in days: root 10 years, org CA 5 years, node and admin 1 year. */
export const VALIDITY_DAYS_DEFAULT = {
  root: 3650,
  org: 1825,
  node: 365,
  admin: 365,
} as const satisfies Record<CertificateRole, number>;

/** Longest validity `--days` accepts (about 30 years). */
export const VALIDITY_DAYS_MAX = 11_000;

/**
 * notBefore is set this far before the moment of issue, so a peer whose clock runs a little behind the issuer's
 * accepts a certificate issued a moment ago (the practice of public CAs).
 */
export const NOT_BEFORE_BACKDATE_MS = 60 * 60 * 1000;

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Org ids go into subject names, file paths and governance records: short, plain and case-sensitive. */
const ORG_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Common names of roots, nodes and admins: printable, without the characters DN strings escape. */
const COMMON_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._@()-]{0,63}$/;
const ADDRESS = /^0x[0-9a-f]{40}$/;

export function validateOrgId(org: string): string {
  if (!ORG_ID.test(org)) {
    throw new PKIError(
      "invalid-argument",
      `Organization id "${org}" is not valid: use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
    );
  }
  return org;
}

export function validateCommonName(name: string, what: string): string {
  if (!COMMON_NAME.test(name)) {
    throw new PKIError(
      "invalid-argument",
      `The ${what} name "${name}" is not valid: use 1 to 64 letters, digits, spaces or ". _ @ ( ) -", starting with a letter or digit.`,
    );
  }
  return name;
}

/** Returns the address in the canonical form certificates carry: `0x` + 40 lower-case hex digits. */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  if (!ADDRESS.test(lower)) {
    throw new PKIError("invalid-argument", `"${address}" is not an address (0x followed by 40 hex digits).`);
  }
  return lower;
}

export function validateValidityDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > VALIDITY_DAYS_MAX) {
    throw new PKIError(
      "invalid-argument",
      `Validity must be a whole number of days from 1 to ${VALIDITY_DAYS_MAX}; it is ${days}.`,
    );
  }
  return days;
}
