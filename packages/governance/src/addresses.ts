import { hexToBytes } from "@charter/utils";

/**
 * The fixed addresses of the system contracts, in the range `0x…1000`–`0x…10ff` reserved for them
 * (docs/spec/governance.md section 1). `contracts/System.sol` declares the same constants.
 */
export const SYSTEM_ADDRESSES = {
  NodeRegistry: hexToBytes("0x0000000000000000000000000000000000001000"),
  OrgRegistry: hexToBytes("0x0000000000000000000000000000000000001001"),
  Committee: hexToBytes("0x0000000000000000000000000000000000001002"),
  Permissions: hexToBytes("0x0000000000000000000000000000000000001003"),
  AccountStatus: hexToBytes("0x0000000000000000000000000000000000001004"),
  ChainParams: hexToBytes("0x0000000000000000000000000000000000001005"),
} as const;
export type SystemContractName = keyof typeof SYSTEM_ADDRESSES;

export const NODE_REGISTRY_ADDRESS = SYSTEM_ADDRESSES.NodeRegistry;
export const ORG_REGISTRY_ADDRESS = SYSTEM_ADDRESSES.OrgRegistry;
export const COMMITTEE_ADDRESS = SYSTEM_ADDRESSES.Committee;
export const PERMISSIONS_ADDRESS = SYSTEM_ADDRESSES.Permissions;
export const ACCOUNT_STATUS_ADDRESS = SYSTEM_ADDRESSES.AccountStatus;
export const CHAIN_PARAMS_ADDRESS = SYSTEM_ADDRESSES.ChainParams;

const SYSTEM_FIRST = 0x1000;
const SYSTEM_LAST = 0x10ff;

/** Whether `address` (20 bytes) is in the range reserved for system contracts, `0x…1000` to `0x…10ff`. */
export function isSystemAddress(address: Uint8Array): boolean {
  if (address.length !== 20) return false;
  for (let i = 0; i < 18; i++) if (address[i] !== 0) return false;
  const low = (address[18]! << 8) | address[19]!;
  return low >= SYSTEM_FIRST && low <= SYSTEM_LAST;
}
