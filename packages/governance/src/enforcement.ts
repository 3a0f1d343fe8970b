import { bytesToHex, equalBytes } from "@charter/utils";
import { COMMITTEE_ADDRESS } from "./addresses.js";
import { type GovernanceView, methodSelector } from "./slots.js";

/** The enforcement rules of docs/spec/governance.md section 6, numbered as there. */
export type PermissionRule = 1 | 2 | 3 | 4 | 5;

/** Why a transaction may not be included: the rule it breaks and a message naming the account. */
export interface PermissionRefusal {
  readonly rule: PermissionRule;
  readonly message: string;
}

/** What the rules look at in a transaction. */
export interface PermissionSubject {
  readonly sender: Uint8Array;
  /** `null` for a contract creation. */
  readonly to: Uint8Array | null;
  readonly data: Uint8Array;
}

/**
 * Checks a transaction against the enforcement rules (governance.md section 6) in the governance state `view`
 * (the state of the parent of the block that would include it), and returns the first rule it breaks, or
 * `undefined` when it may be included. `hasCode(address)` tells whether `to` is a contract (rule 4 applies to
 * contracts only) in the same state.
 *
 * 1. the sender is not frozen or abolished;
 * 2. the sender may transact (transact policy), unless the transaction calls the Committee;
 * 3. a contract creation comes from a sender the deploy policy allows;
 * 4. `to` is not a frozen or abolished contract;
 * 5. if `to` restricts the called method (first four bytes of the data, zero-padded), the sender is on that
 *    method's allowlist.
 */
export function permissionRefusal(
  view: GovernanceView,
  tx: PermissionSubject,
  hasCode: (address: Uint8Array) => boolean,
): PermissionRefusal | undefined {
  const sender = bytesToHex(tx.sender);
  const status = view.accountStatus(tx.sender);
  if (status !== "normal") return { rule: 1, message: `sender ${sender} is ${status}` };
  const toCommittee = tx.to !== null && equalBytes(tx.to, COMMITTEE_ADDRESS);
  if (!toCommittee && !view.mayTransact(tx.sender))
    return {
      rule: 2,
      message: `sender ${sender} may not transact (transact policy: ${view.policyModes().transact})`,
    };
  if (tx.to === null) {
    if (!view.mayDeploy(tx.sender))
      return {
        rule: 3,
        message: `sender ${sender} may not deploy contracts (deploy policy: ${view.policyModes().deploy})`,
      };
    return undefined;
  }
  const target = bytesToHex(tx.to);
  const targetStatus = view.accountStatus(tx.to);
  if (targetStatus !== "normal" && hasCode(tx.to))
    return { rule: 4, message: `contract ${target} is ${targetStatus}` };
  const selector = methodSelector(tx.data);
  if (!view.mayCall(tx.sender, tx.to, selector))
    return {
      rule: 5,
      message: `sender ${sender} may not call method ${bytesToHex(selector)} of ${target}`,
    };
  return undefined;
}
