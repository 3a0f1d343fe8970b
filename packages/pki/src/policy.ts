import { PKIError } from "./errors.js";
import type { CertificateRole } from "./profile.js";
import type { CertificateIdentity } from "./verify.js";

/** A certificate as the policy sees it: governance revokes by fingerprint (or by serial). */
export interface CertificateRef {
  readonly role: CertificateRole;
  readonly subject: string;
  /** `0x` + lower-case hex. Unique per issuer; with 128 random bits, in practice unique in a consortium. */
  readonly serial: string;
  /** `0x` + SHA-256 of the DER: unique, and what `OrgRegistry` records (docs/spec/governance.md). */
  readonly fingerprint: string;
}

/**
 * What the consortium's governance says about certificates, asked on every handshake after the chain verifies
 * (and by `PeerNetwork.revalidatePeers`). The on-chain implementation reads `OrgRegistry` at the node's head;
 * implementations must answer from memory, quickly and without throwing.
 */
export interface CertificatePolicy {
  /** Whether this certificate was revoked. Asked for the leaf and for its org CA. */
  isRevoked(certificate: CertificateRef): boolean;
  /**
   * Whether `org` is an active organization of the consortium. `orgCAFingerprint` lets the registry also pin
   * which CA the org registered; an implementation may ignore it.
   */
  isKnownOrg(org: string, orgCAFingerprint: string): boolean;
}

/** Revokes nothing and knows every organization the root certified: the policy until governance provides one. */
export const openCertificatePolicy: CertificatePolicy = {
  isRevoked: () => false,
  isKnownOrg: () => true,
};

/**
 * Applies a policy to a verified chain; throws `PKIError("revoked")` if the leaf or its org CA is revoked, or
 * `PKIError("unknown-org")` if the policy does not know the organization.
 */
export function checkCertificatePolicy(identity: CertificateIdentity, policy: CertificatePolicy): void {
  const leaf: CertificateRef = {
    role: identity.role,
    subject: `CN=${identity.name}, O=${identity.org}`,
    serial: identity.serial,
    fingerprint: identity.fingerprint,
  };
  if (policy.isRevoked(leaf)) {
    throw new PKIError(
      "revoked",
      `The ${identity.role} certificate ${identity.fingerprint} (serial ${identity.serial}) of organization "${identity.org}" was revoked.`,
    );
  }
  if (policy.isRevoked({ role: "org", ...identity.orgCA })) {
    throw new PKIError(
      "revoked",
      `The CA of organization "${identity.org}" (${identity.orgCA.fingerprint}) was revoked, and with it every certificate it issued.`,
    );
  }
  if (!policy.isKnownOrg(identity.org, identity.orgCA.fingerprint)) {
    throw new PKIError("unknown-org", `Organization "${identity.org}" is not a member of the consortium.`);
  }
}

/** A policy held in memory: for tests, and for tools that load a revocation list. */
export interface InMemoryCertificatePolicy extends CertificatePolicy {
  /** Revokes by fingerprint or serial (`0x…`, case-insensitive). */
  revoke(serialOrFingerprint: string): void;
  addOrg(org: string): void;
  removeOrg(org: string): void;
}

/**
 * @example
 * const policy = createInMemoryCertificatePolicy({ orgs: ["org0", "org1"] });
 * policy.revoke(identity.fingerprint);
 */
export function createInMemoryCertificatePolicy(
  options: {
    /** Known organizations; every organization is known when absent. */
    readonly orgs?: Iterable<string>;
    readonly revoked?: Iterable<string>;
  } = {},
): InMemoryCertificatePolicy {
  const orgs = options.orgs === undefined ? undefined : new Set(options.orgs);
  /** Organizations removed while every organization was known. */
  const removed = new Set<string>();
  const revoked = new Set([...(options.revoked ?? [])].map((value) => value.toLowerCase()));
  return {
    isRevoked: (certificate) => revoked.has(certificate.fingerprint) || revoked.has(certificate.serial),
    isKnownOrg: (org) => (orgs === undefined ? !removed.has(org) : orgs.has(org)),
    revoke: (value) => {
      revoked.add(value.toLowerCase());
    },
    addOrg: (org) => {
      if (orgs === undefined) removed.delete(org);
      else orgs.add(org);
    },
    removeOrg: (org) => {
      if (orgs === undefined) removed.add(org);
      else orgs.delete(org);
    },
  };
}
