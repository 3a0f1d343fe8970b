import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  DEV_ACCOUNT_COUNT,
  deriveDevPrivateKeys,
  type Genesis,
  genesisToJSON,
  nodeConfigToYAML,
  parseGenesis,
} from "@charter/config";
import { createEcdsaSuite } from "@charter/crypto";
import { bytesToHex } from "@charter/utils";

/** Chain id of devnets: not 1, 1337 or 31337, which wallets and tools associate with other chains. */
export const DEVNET_CHAIN_ID = 7345;

/** Balance of each dev account: 10,000 units of 10^18, as anvil and Hardhat fund theirs. */
export const DEV_ACCOUNT_BALANCE = 10_000n * 10n ** 18n;

export const RPC_PORT_BASE = 8545;
export const METRICS_PORT_BASE = 9545;
export const P2P_PORT_BASE = 30300;

export interface NetworkLayout {
  readonly dir: string;
  readonly genesisFile: string;
  readonly nodes: readonly {
    readonly name: string;
    readonly dir: string;
    readonly configFile: string;
    readonly rpcPort: number;
    readonly metricsPort: number;
    readonly p2pPort: number;
  }[];
}

export interface InitNetworkOptions {
  readonly dir: string;
  readonly chainId: number;
  readonly validators: number;
  readonly blockIntervalMs: number;
  /** Fund the dev accounts and let the nodes sign for them (devnets only). */
  readonly devAccounts: boolean;
  readonly rpcPortBase?: number;
  readonly metricsPortBase?: number;
  readonly p2pPortBase?: number;
  readonly gasLimit?: bigint;
}

/** Where each file of a network folder lives (the layout `charter init` writes and `charter devnet` reuses). */
export function networkLayout(
  dir: string,
  validators: number,
  ports: { rpc?: number; metrics?: number; p2p?: number } = {},
): NetworkLayout {
  const root = resolve(dir);
  return {
    dir: root,
    genesisFile: join(root, "genesis.json"),
    nodes: Array.from({ length: validators }, (_, i) => ({
      name: `node${i}`,
      dir: join(root, `node${i}`),
      configFile: join(root, `node${i}`, "node.yaml"),
      rpcPort: (ports.rpc ?? RPC_PORT_BASE) + i,
      metricsPort: (ports.metrics ?? METRICS_PORT_BASE) + i,
      p2pPort: (ports.p2p ?? P2P_PORT_BASE) + i,
    })),
  };
}

/**
 * Writes a new network: a key and a config per validator node, and the genesis that lists them. Refuses to
 * overwrite an existing network folder.
 */
export function initNetwork(options: InitNetworkOptions): { layout: NetworkLayout; genesis: Genesis } {
  const layout = networkLayout(options.dir, options.validators, {
    ...(options.rpcPortBase === undefined ? {} : { rpc: options.rpcPortBase }),
    ...(options.metricsPortBase === undefined ? {} : { metrics: options.metricsPortBase }),
    ...(options.p2pPortBase === undefined ? {} : { p2p: options.p2pPortBase }),
  });
  if (existsSync(layout.genesisFile)) {
    throw new Error(`${layout.genesisFile} already exists; remove the folder or choose another --dir`);
  }
  const suite = createEcdsaSuite();
  const validators = layout.nodes.map((node) => {
    const key = suite.generatePrivateKey();
    const publicKey = suite.publicKeyFromPrivateKey(key);
    mkdirSync(node.dir, { recursive: true });
    writeFileSync(join(node.dir, "node.key"), `${bytesToHex(key)}\n`, { mode: 0o600 });
    writeFileSync(
      node.configFile,
      nodeConfigToYAML({
        dataDir: "./data",
        genesis: "../genesis.json",
        nodeKeyFile: "./node.key",
        rpcPort: node.rpcPort,
        metricsPort: node.metricsPort,
        p2pPort: node.p2pPort,
        peers: layout.nodes
          .filter((other) => other !== node)
          .map((other) => ({ host: "127.0.0.1", port: other.p2pPort })),
        devAccounts: options.devAccounts,
      }),
    );
    return {
      name: node.name,
      address: bytesToHex(suite.addressFromPublicKey(publicKey)),
      publicKey: bytesToHex(publicKey),
      weight: 1,
    };
  });
  const alloc: Record<string, { balance: string }> = {};
  if (options.devAccounts) {
    for (const key of deriveDevPrivateKeys(DEV_ACCOUNT_COUNT)) {
      const address = bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(key)));
      alloc[address] = { balance: DEV_ACCOUNT_BALANCE.toString() };
    }
  }
  const genesis = parseGenesis({
    chainId: options.chainId,
    crypto: "ecdsa",
    timestampMs: Date.now(),
    gasLimit: (options.gasLimit ?? 100_000_000n).toString(),
    blockIntervalMs: options.blockIntervalMs,
    validators,
    alloc,
  });
  writeFileSync(layout.genesisFile, genesisToJSON(genesis));
  return { layout, genesis };
}
