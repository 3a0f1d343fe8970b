import type { ChainGenesis } from "@charter/chain";
import { type Genesis, genesisAlloc } from "@charter/config";
import type { GovernanceGenesis } from "@charter/governance";
import { hexToBytes } from "@charter/utils";

/**
 * The governance section of a genesis file as the chain takes it, or `undefined` when the file has none (the
 * chain then derives the default from the validators: docs/spec/governance.md section 2). The schema has
 * already checked it (every validator names a listed organization, no duplicates).
 */
export function governanceFromConfig(genesis: Genesis): GovernanceGenesis | undefined {
  const { governance } = genesis;
  if (governance === undefined) return undefined;
  const policy = (p: (typeof governance)["deploy"]) => ({
    mode: p.mode,
    allowlist: p.allowlist.map(hexToBytes),
    denylist: p.denylist.map(hexToBytes),
  });
  return {
    organizations: governance.organizations.map((o) => ({
      id: o.id,
      name: o.name,
      ...(o.caFingerprint === undefined ? {} : { caFingerprint: hexToBytes(o.caFingerprint) }),
    })),
    validatorOrgs: genesis.validators.map((v) => v.org ?? ""),
    committee: governance.committee.map((m) => ({ address: hexToBytes(m.address), weight: m.weight })),
    participationBps: governance.participationBps,
    approvalBps: governance.approvalBps,
    deploy: policy(governance.deploy),
    transact: policy(governance.transact),
  };
}

/** The chain's genesis from a parsed genesis file: what `Chain.open` creates (or checks) the chain from. */
export function chainGenesisFromConfig(genesis: Genesis): ChainGenesis {
  const governance = governanceFromConfig(genesis);
  return {
    chainId: BigInt(genesis.chainId),
    timestampMs: genesis.timestampMs,
    gasLimit: genesis.gasLimit,
    alloc: genesisAlloc(genesis),
    validators: genesis.validators.map((v) => ({
      address: hexToBytes(v.address),
      publicKey: hexToBytes(v.publicKey),
      weight: v.weight,
    })),
    extraData: hexToBytes(genesis.extraData),
    blockIntervalMs: genesis.blockIntervalMs,
    ...(governance === undefined ? {} : { governance }),
  };
}
