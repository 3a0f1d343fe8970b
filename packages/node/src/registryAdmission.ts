import type { GovernanceView } from "@charter/governance";
import type { CertificatePolicy } from "@charter/pki";
import { equalBytes, hexToBytes, isHexData } from "@charter/utils";

/**
 * Who may hold a p2p link to this node, from the governance contracts at the node's head
 * (docs/spec/governance.md section 5, docs/spec/p2p.md section 4): any node in `NodeRegistry`, whatever its role,
 * and the members of the validator sets of the next two heights (a validator removed by the head block still
 * votes at the next height, so its links stay up until then).
 *
 * @example
 * const isAllowed = createRegistryAdmission({ governance, isUpcomingValidator });
 * createPeerNetwork(options, { isAllowed, certificatePolicy: createRegistryCertificatePolicy(governance) });
 */
export function createRegistryAdmission(options: {
  /** Reads the system contracts at the node's head. */
  readonly governance: GovernanceView;
  /** Whether `address` (0x-hex) is a member of the validator set of the next height or the one after. */
  readonly isUpcomingValidator: (address: string) => boolean;
}): (address: string) => boolean {
  const { governance, isUpcomingValidator } = options;
  return (address) => {
    if (isUpcomingValidator(address)) return true;
    if (!isHexData(address) || address.length !== 42) return false;
    try {
      return governance.node(hexToBytes(address)) !== undefined;
    } catch {
      // A registry the contract could not have written (corrupt state) admits nobody it does not list as a validator.
      return false;
    }
  };
}

/**
 * The consortium's certificate policy from `OrgRegistry` at the node's head (docs/pki.md section 5): a
 * certificate whose SHA-256 fingerprint is revoked is refused (asked for the node certificate and for its org
 * CA, so revoking an org CA refuses every certificate it issued); an organization is known when it is registered
 * and, if it registered a CA fingerprint, the peer's org CA has exactly that fingerprint. The answers never
 * throw: a fingerprint or an organization id the registry cannot hold is refused.
 *
 * @example
 * const policy = createRegistryCertificatePolicy(createGovernanceView(readLatestSlot));
 * policy.isKnownOrg("org0", "0x3f…"); // false once the committee removed org0, or pinned another CA
 */
export function createRegistryCertificatePolicy(governance: GovernanceView): CertificatePolicy {
  return {
    isRevoked: (certificate) => {
      const fingerprint = fingerprintBytes(certificate.fingerprint);
      if (fingerprint === undefined) return true;
      try {
        return governance.isCertificateRevoked(fingerprint);
      } catch {
        return true;
      }
    },
    isKnownOrg: (org, orgCAFingerprint) => {
      try {
        if (!governance.isOrg(org)) return false;
        const registered = governance.orgCAFingerprint(org);
        if (registered === undefined) return true;
        const presented = fingerprintBytes(orgCAFingerprint);
        return presented !== undefined && equalBytes(presented, registered);
      } catch {
        // An id longer than a bytes32 holds, or not ASCII: no registered organization has it.
        return false;
      }
    },
  };
}

/** A `0x` + 64 hex digit SHA-256 fingerprint as bytes, or `undefined` if it is not one. */
function fingerprintBytes(fingerprint: string): Uint8Array | undefined {
  if (!isHexData(fingerprint) || fingerprint.length !== 66) return undefined;
  return hexToBytes(fingerprint);
}
