import { keccak256 } from "@charter/crypto";
import { type Hex, hex, quantity } from "../format.js";
import { defineMethod } from "../method.js";
import { parseData, required } from "../params.js";

/** Chain identity and node status. */

export const eth_chainId = defineMethod({
  name: "eth_chainId",
  description: "The chain id (EIP-155) transactions must be signed for.",
  params: [],
  handler: ({ backend }): Hex => quantity(backend.chainId),
});

export const net_version = defineMethod({
  name: "net_version",
  description: "The network id as a decimal string; equal to the chain id.",
  params: [],
  handler: ({ backend }): string => backend.chainId.toString(10),
});

export const net_listening = defineMethod({
  name: "net_listening",
  description: "Always true: a node that answers is listening for peers.",
  params: [],
  handler: (): boolean => true,
});

export const net_peerCount = defineMethod({
  name: "net_peerCount",
  description: "Number of connected peers.",
  params: [],
  handler: ({ backend }): Hex => quantity(backend.peerCount()),
});

export const web3_clientVersion = defineMethod({
  name: "web3_clientVersion",
  description: "The node software and version, `charter/v<semver>/<os>-<arch>/node<version>`.",
  params: [],
  handler: ({ backend }): string => backend.clientVersion,
});

export const web3_sha3 = defineMethod({
  name: "web3_sha3",
  description:
    "Keccak-256 of the given data (not the chain's hash: the `sm` suite still answers Keccak-256).",
  params: [required("data", parseData)],
  handler: (_context, [data]): Hex => hex(keccak256(data)),
});

export interface RPCSyncStatus {
  readonly startingBlock: Hex;
  readonly currentBlock: Hex;
  readonly highestBlock: Hex;
}

export const eth_syncing = defineMethod({
  name: "eth_syncing",
  description: "`false` when the node is at the head of the network, else its catch-up progress.",
  params: [],
  handler: ({ backend }): false | RPCSyncStatus => {
    const status = backend.syncing();
    if (status === false) return false;
    return {
      startingBlock: quantity(status.startingBlock),
      currentBlock: quantity(status.currentBlock),
      highestBlock: quantity(status.highestBlock),
    };
  },
});

export const eth_mining = defineMethod({
  name: "eth_mining",
  description: "Always false: Charter has no mining (validators propose blocks under BFT consensus).",
  params: [],
  handler: (): boolean => false,
});
