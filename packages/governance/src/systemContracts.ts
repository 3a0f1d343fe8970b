import { SYSTEM_ADDRESSES, type SystemContractName } from "./addresses.js";
import {
  accountStatusArtifact,
  chainParamsArtifact,
  committeeArtifact,
  nodeRegistryArtifact,
  orgRegistryArtifact,
  permissionsArtifact,
} from "./artifacts.js";

/** A compiled system contract: its ABI and creation and runtime bytecode (0x-hex). */
export interface SystemContractArtifact {
  readonly contractName: string;
  readonly abi: readonly unknown[];
  readonly bytecode: string;
  readonly deployedBytecode: string;
}

/** Each system contract's fixed address and artifact, by name. */
export const SYSTEM_CONTRACTS: Readonly<
  Record<SystemContractName, { readonly address: Uint8Array; readonly artifact: SystemContractArtifact }>
> = {
  NodeRegistry: { address: SYSTEM_ADDRESSES.NodeRegistry, artifact: nodeRegistryArtifact },
  OrgRegistry: { address: SYSTEM_ADDRESSES.OrgRegistry, artifact: orgRegistryArtifact },
  Committee: { address: SYSTEM_ADDRESSES.Committee, artifact: committeeArtifact },
  Permissions: { address: SYSTEM_ADDRESSES.Permissions, artifact: permissionsArtifact },
  AccountStatus: { address: SYSTEM_ADDRESSES.AccountStatus, artifact: accountStatusArtifact },
  ChainParams: { address: SYSTEM_ADDRESSES.ChainParams, artifact: chainParamsArtifact },
};
