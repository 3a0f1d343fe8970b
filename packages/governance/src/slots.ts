import { keccak256 } from "@charter/crypto";
import {
  bigintToFixedBytes,
  bytesToBigint,
  bytesToHex,
  bytesToUtf8,
  concatBytes,
  utf8ToBytes,
} from "@charter/utils";
import {
  ACCOUNT_STATUS_ADDRESS,
  CHAIN_PARAMS_ADDRESS,
  COMMITTEE_ADDRESS,
  NODE_REGISTRY_ADDRESS,
  ORG_REGISTRY_ADDRESS,
  PERMISSIONS_ADDRESS,
} from "./addresses.js";
import {
  AccountStatusCode,
  ChainParam,
  NodeRole,
  nameOf,
  ORG_ID_BYTES_MAX,
  PermissionList,
  PolicyMode,
} from "./constants.js";
import { GovernanceError } from "./errors.js";

/**
 * Storage slots of the system contracts that the node reads directly, as it reads the validator set
 * (docs/spec/governance.md section 7). They follow Solidity's storage layout of the contracts' state variables;
 * `slots.test.ts` pins every one by writing through the contract and reading the slot. Slots are computed with
 * Keccak-256, the EVM's hash, whatever the chain's crypto suite.
 */

/** Reads one 32-byte storage word of an account (zeros when unset). */
export type ReadStorage = (address: Uint8Array, slot: Uint8Array) => Uint8Array;

/** The state variables' base slots, per contract (see each contract's declarations). */
export const STORAGE_SLOTS = {
  NodeRegistry: {
    validators: 0n,
    nodes: 1n,
    nodeList: 2n,
    nodeCountOf: 3n,
    validatorWeightTotal: 4n,
    keccakAddresses: 5n,
  },
  OrgRegistry: { orgs: 0n, orgIds: 1n, revoked: 2n },
  Committee: { members: 0n, memberList: 1n, totals: 2n, proposalCount: 3n, proposals: 4n, votes: 5n },
  Permissions: { modes: 0n, lists: 1n, contractAdmin: 9n, restricted: 10n, methodAllowed: 11n },
  AccountStatus: { statusOf: 0n },
  ChainParams: { values: 0n },
} as const;

const WORD = 2n ** 256n;

/** The slot as 32 bytes. */
export function slotBytes(slot: bigint): Uint8Array {
  return bigintToFixedBytes(slot % WORD, 32);
}

/** `keccak256(key ‖ slot)`: the slot of `mapping[key]` for a mapping at `slot` (`key` already 32 bytes). */
export function mappingSlot(key: Uint8Array, slot: bigint | Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError("a mapping key is encoded in 32 bytes");
  return keccak256(concatBytes(key, typeof slot === "bigint" ? slotBytes(slot) : slot));
}

/** `slot + offset`, for the fields of a struct stored at `slot`. */
export function slotPlus(slot: Uint8Array, offset: bigint): Uint8Array {
  return slotBytes(bytesToBigint(slot) + offset);
}

/** An address as a mapping key: left-padded to 32 bytes. */
export function addressKey(address: Uint8Array): Uint8Array {
  if (address.length !== 20) throw new RangeError("an address is 20 bytes");
  const out = new Uint8Array(32);
  out.set(address, 12);
  return out;
}

/** A `bytes4` (a method selector) as a mapping key: left-aligned, zero-padded on the right. */
export function bytes4Key(selector: Uint8Array): Uint8Array {
  if (selector.length !== 4) throw new RangeError("a selector is 4 bytes");
  const out = new Uint8Array(32);
  out.set(selector);
  return out;
}

/** The selector a transaction's data calls: its first four bytes, zero-padded when shorter. */
export function methodSelector(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4);
  out.set(data.subarray(0, 4));
  return out;
}

/** An organization id (ASCII, 1 to 31 bytes) as its bytes32: left-aligned, zero-padded. */
export function orgIdToBytes32(id: string): Uint8Array {
  const bytes = utf8ToBytes(id);
  if (bytes.length === 0 || bytes.length > ORG_ID_BYTES_MAX || bytes.length !== id.length)
    throw new RangeError(`organization id "${id}" must be 1 to ${ORG_ID_BYTES_MAX} ASCII characters`);
  const out = new Uint8Array(32);
  out.set(bytes);
  return out;
}

/** The id in an organization's bytes32 (up to the first zero byte). */
export function orgIdFromBytes32(value: Uint8Array): string {
  const end = value.indexOf(0);
  return bytesToUtf8(value.subarray(0, end === -1 ? value.length : end));
}

/** The `width` bytes at byte `offset` (from the low-order end, as Solidity packs) of a 32-byte word. */
function field(word: Uint8Array, offset: number, width: number): bigint {
  return (bytesToBigint(word) >> BigInt(offset * 8)) & ((1n << BigInt(width * 8)) - 1n);
}

// ------------------------------------------------------------------ AccountStatus

/** `AccountStatus.statusOf[account]`: a uint8 in the low byte. */
export function accountStatusSlot(account: Uint8Array): Uint8Array {
  return mappingSlot(addressKey(account), STORAGE_SLOTS.AccountStatus.statusOf);
}

// ------------------------------------------------------------------ Permissions

/** The slot packing `Permissions.deployMode` (byte 0) and `transactMode` (byte 1). */
export function permissionModesSlot(): Uint8Array {
  return slotBytes(STORAGE_SLOTS.Permissions.modes);
}

/** `_lists[list].position[account]`: non-zero exactly when `account` is on `list`. */
export function permissionListSlot(list: PermissionList, account: Uint8Array): Uint8Array {
  const positions = STORAGE_SLOTS.Permissions.lists + 2n * BigInt(PermissionList[list]) + 1n;
  return mappingSlot(addressKey(account), positions);
}

/** `_lists[list].items.length`. */
export function permissionListLengthSlot(list: PermissionList): Uint8Array {
  return slotBytes(STORAGE_SLOTS.Permissions.lists + 2n * BigInt(PermissionList[list]));
}

/** `Permissions.contractAdmin[target]`: an address in the low 20 bytes. */
export function contractAdminSlot(target: Uint8Array): Uint8Array {
  return mappingSlot(addressKey(target), STORAGE_SLOTS.Permissions.contractAdmin);
}

/** `_restricted[target][selector]`: a bool. */
export function methodRestrictedSlot(target: Uint8Array, selector: Uint8Array): Uint8Array {
  return mappingSlot(
    bytes4Key(selector),
    mappingSlot(addressKey(target), STORAGE_SLOTS.Permissions.restricted),
  );
}

/** `_methodAllowed[target][selector][account]`: a bool. */
export function methodAllowedSlot(target: Uint8Array, selector: Uint8Array, account: Uint8Array): Uint8Array {
  const bySelector = mappingSlot(
    bytes4Key(selector),
    mappingSlot(addressKey(target), STORAGE_SLOTS.Permissions.methodAllowed),
  );
  return mappingSlot(addressKey(account), bySelector);
}

// ------------------------------------------------------------------ NodeRegistry

/**
 * `_nodes[account]`, field `field`: 0 packs role (byte 0), weight (bytes 1-12), list index (13-14) and validator
 * index (15-16); 1 the organization; 2 and 3 the public key's x and y.
 */
export function nodeSlot(account: Uint8Array, field: 0 | 1 | 2 | 3 = 0): Uint8Array {
  return slotPlus(mappingSlot(addressKey(account), STORAGE_SLOTS.NodeRegistry.nodes), BigInt(field));
}

// ------------------------------------------------------------------ OrgRegistry

/** `_orgs[id]`, field `field`: 0 packs `exists` (byte 0) and the list index; 1 the CA fingerprint; 2 the name. */
export function orgSlot(id: string, field: 0 | 1 | 2 = 0): Uint8Array {
  return slotPlus(mappingSlot(orgIdToBytes32(id), STORAGE_SLOTS.OrgRegistry.orgs), BigInt(field));
}

/** `OrgRegistry.revoked[fingerprint]`: a bool. */
export function revokedCertificateSlot(fingerprint: Uint8Array): Uint8Array {
  if (fingerprint.length !== 32) throw new RangeError("a certificate fingerprint is 32 bytes (SHA-256)");
  return mappingSlot(fingerprint, STORAGE_SLOTS.OrgRegistry.revoked);
}

// ------------------------------------------------------------------ Committee

/** `_members[account]`: weight (bytes 0-11) and list index (bytes 12-13); weight 0 for a non-member. */
export function committeeMemberSlot(account: Uint8Array): Uint8Array {
  return mappingSlot(addressKey(account), STORAGE_SLOTS.Committee.members);
}

/** The slot packing `totalWeight` (bytes 0-11), `participationBps` (12-13), `approvalBps` (14-15), `version`. */
export function committeeTotalsSlot(): Uint8Array {
  return slotBytes(STORAGE_SLOTS.Committee.totals);
}

// ------------------------------------------------------------------ ChainParams

/** `ChainParams._values[param]`. */
export function chainParamSlot(param: ChainParam): Uint8Array {
  return slotBytes(STORAGE_SLOTS.ChainParams.values + BigInt(ChainParam[param]));
}

// ------------------------------------------------------------------ typed reads

export interface GovernanceNode {
  readonly role: Exclude<NodeRole, "none">;
  readonly weight: number;
  readonly org: string;
  /** 65-byte uncompressed, `0x04 ‖ x ‖ y`. */
  readonly publicKey: Uint8Array;
}

/** Typed answers from the system contracts' storage, for the rules the node enforces. */
export interface GovernanceView {
  accountStatus(account: Uint8Array): AccountStatusCode;
  policyModes(): { readonly deploy: PolicyMode; readonly transact: PolicyMode };
  isListed(list: PermissionList, account: Uint8Array): boolean;
  /** Rule 3: the deploy policy lets `account` create contracts. */
  mayDeploy(account: Uint8Array): boolean;
  /** Rule 2 (without the exemption for calls to the Committee, which is the caller's). */
  mayTransact(account: Uint8Array): boolean;
  contractAdmin(target: Uint8Array): Uint8Array | undefined;
  /** Rule 5: `target`'s method `selector` is unrestricted, or `account` is on its allowlist. */
  mayCall(account: Uint8Array, target: Uint8Array, selector: Uint8Array): boolean;
  node(account: Uint8Array): GovernanceNode | undefined;
  isOrg(id: string): boolean;
  /** The organization's CA certificate fingerprint; `undefined` when it has none or does not exist. */
  orgCAFingerprint(id: string): Uint8Array | undefined;
  isCertificateRevoked(fingerprint: Uint8Array): boolean;
  committeeWeight(account: Uint8Array): number;
  committeeTotals(): {
    readonly totalWeight: number;
    readonly participationBps: number;
    readonly approvalBps: number;
    readonly version: number;
  };
  chainParam(param: ChainParam): bigint;
}

/**
 * A `GovernanceView` over a state reader (`read(address, slot)`): the latest state, or the state of the block
 * whose rules apply. Every answer is a few slot reads.
 *
 * @example
 * const gov = createGovernanceView((address, slot) => stateReader.getStorage(address, slot));
 * if (gov.accountStatus(sender) !== "normal") refuse("the sender is frozen");
 */
export function createGovernanceView(readSlot: ReadStorage): GovernanceView {
  // State readers may return a word without its leading zeros.
  const read = (address: Uint8Array, slot: Uint8Array): Uint8Array => {
    const value = readSlot(address, slot);
    if (value.length === 32) return value;
    const out = new Uint8Array(32);
    out.set(value.subarray(Math.max(0, value.length - 32)), 32 - Math.min(32, value.length));
    return out;
  };
  const corrupt = (what: string, value: bigint) =>
    new GovernanceError("corrupt-state", `${what} holds ${value}, which its contract never writes`);
  const enumAt = <T extends Record<string, number>>(values: T, what: string, code: bigint): keyof T => {
    const name = nameOf(values, Number(code));
    if (code > 255n || name === undefined) throw corrupt(what, code);
    return name;
  };
  const bool = (address: Uint8Array, slot: Uint8Array) => field(read(address, slot), 0, 1) !== 0n;
  const modes = () => read(PERMISSIONS_ADDRESS, permissionModesSlot());
  const listed = (list: PermissionList, account: Uint8Array) =>
    bytesToBigint(read(PERMISSIONS_ADDRESS, permissionListSlot(list, account))) !== 0n;
  const allowed = (mode: PolicyMode, allow: PermissionList, deny: PermissionList, account: Uint8Array) =>
    mode === "allowlist" ? listed(allow, account) : mode === "denylist" ? !listed(deny, account) : true;
  const policyModes = () => {
    const word = modes();
    return {
      deploy: enumAt(PolicyMode, "Permissions.deployMode", field(word, 0, 1)),
      transact: enumAt(PolicyMode, "Permissions.transactMode", field(word, 1, 1)),
    };
  };
  return {
    accountStatus: (account) =>
      enumAt(
        AccountStatusCode,
        `AccountStatus.statusOf[${bytesToHex(account)}]`,
        field(read(ACCOUNT_STATUS_ADDRESS, accountStatusSlot(account)), 0, 1),
      ),
    policyModes,
    isListed: listed,
    mayDeploy: (account) => allowed(policyModes().deploy, "deployAllow", "deployDeny", account),
    mayTransact: (account) => allowed(policyModes().transact, "transactAllow", "transactDeny", account),
    contractAdmin: (target) => {
      const admin = field(read(PERMISSIONS_ADDRESS, contractAdminSlot(target)), 0, 20);
      return admin === 0n ? undefined : bigintToFixedBytes(admin, 20);
    },
    mayCall: (account, target, selector) =>
      !bool(PERMISSIONS_ADDRESS, methodRestrictedSlot(target, selector)) ||
      bool(PERMISSIONS_ADDRESS, methodAllowedSlot(target, selector, account)),
    node: (account) => {
      const word = read(NODE_REGISTRY_ADDRESS, nodeSlot(account, 0));
      const role = enumAt(NodeRole, `NodeRegistry node ${bytesToHex(account)}`, field(word, 0, 1));
      if (role === "none") return undefined;
      return {
        role,
        weight: Number(field(word, 1, 12)),
        org: orgIdFromBytes32(read(NODE_REGISTRY_ADDRESS, nodeSlot(account, 1))),
        publicKey: concatBytes(
          Uint8Array.of(0x04),
          read(NODE_REGISTRY_ADDRESS, nodeSlot(account, 2)),
          read(NODE_REGISTRY_ADDRESS, nodeSlot(account, 3)),
        ),
      };
    },
    isOrg: (id) => bool(ORG_REGISTRY_ADDRESS, orgSlot(id, 0)),
    orgCAFingerprint: (id) => {
      if (!bool(ORG_REGISTRY_ADDRESS, orgSlot(id, 0))) return undefined;
      const fingerprint = read(ORG_REGISTRY_ADDRESS, orgSlot(id, 1));
      return fingerprint.some((b) => b !== 0) ? fingerprint : undefined;
    },
    isCertificateRevoked: (fingerprint) => bool(ORG_REGISTRY_ADDRESS, revokedCertificateSlot(fingerprint)),
    committeeWeight: (account) => Number(field(read(COMMITTEE_ADDRESS, committeeMemberSlot(account)), 0, 12)),
    committeeTotals: () => {
      const word = read(COMMITTEE_ADDRESS, committeeTotalsSlot());
      return {
        totalWeight: Number(field(word, 0, 12)),
        participationBps: Number(field(word, 12, 2)),
        approvalBps: Number(field(word, 14, 2)),
        version: Number(field(word, 16, 4)),
      };
    },
    chainParam: (param) => bytesToBigint(read(CHAIN_PARAMS_ADDRESS, chainParamSlot(param))),
  };
}
