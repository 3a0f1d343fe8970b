import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import {
  DEV_ACCOUNT_COUNT,
  deriveDevPrivateKeys,
  type Genesis,
  genesisToJSON,
  nodeConfigToYAML,
  parseGenesis,
} from "@charter/config";
import { type CryptoSuite, type CryptoSuiteName, createEcdsaSuite, createSmSuite } from "@charter/crypto";
import { writeEncryptionKeyFile } from "@charter/kv";
import {
  type CertificateAuthority,
  createOrgCA,
  createRootCA,
  issueAdminCertificate,
  issueNodeCertificate,
  PKI_FILE_NAMES,
  writeIssuedCertificate,
  writeOrgCA,
  writeRootCA,
} from "@charter/pki";
import { bytesToHex } from "@charter/utils";

/** Chain id of devnets: not 1, 1337 or 31337, which wallets and tools associate with other chains. */
export const DEVNET_CHAIN_ID = 7345;

/** Balance of each dev account: 10,000 units of 10^18, as anvil and Hardhat fund theirs. */
export const DEV_ACCOUNT_BALANCE = 10_000n * 10n ** 18n;

export const RPC_PORT_BASE = 8545;
export const METRICS_PORT_BASE = 9545;
export const P2P_PORT_BASE = 30300;

/** Where a node's consortium certificates live (the `pki` section of its node.yaml). */
export interface NodePKIPaths {
  readonly rootCert: string;
  readonly certChain: string;
  readonly key: string;
}

export interface NetworkLayout {
  readonly dir: string;
  readonly genesisFile: string;
  /** The consortium PKI (docs/pki.md): `root/`, and per organization its CA, its node and its admin. */
  readonly pkiDir: string;
  /** `root.pem` and `root.key` of the consortium root CA. */
  readonly rootCADir: string;
  /** One organization per validator: `org<i>` runs node *i*. */
  readonly orgs: readonly {
    readonly id: string;
    /** `ca.pem`, `ca.key` and a copy of `root.pem`. */
    readonly dir: string;
    /** The org's admin: certificate files and `account.key`, the admin's account key (hex). */
    readonly adminDir: string;
    readonly adminAccountKeyFile: string;
  }[];
  readonly nodes: readonly {
    readonly name: string;
    readonly dir: string;
    readonly configFile: string;
    readonly rpcPort: number;
    readonly metricsPort: number;
    readonly p2pPort: number;
    readonly org: string;
    readonly pki: NodePKIPaths;
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
  /**
   * The chain's crypto suite (default `ecdsa`). An `sm` network has SM2 node and account keys, SM3 chain hashes,
   * SM channel links and SM4-encrypted storage (a `storage.key` per node); it has no consortium certificates
   * yet (they are ECDSA P-256), so its layout has no `pki/` folder and nodes are admitted by NodeRegistry alone.
   */
  readonly crypto?: CryptoSuiteName;
}

/** The suite object of a suite name. */
export function suiteNamed(name: CryptoSuiteName): CryptoSuite {
  return name === "sm" ? createSmSuite() : createEcdsaSuite();
}

/** Where each file of a network folder lives (the layout `charter init` writes and `charter devnet` reuses). */
export function networkLayout(
  dir: string,
  validators: number,
  ports: { rpc?: number; metrics?: number; p2p?: number } = {},
): NetworkLayout {
  const root = resolve(dir);
  const pkiDir = join(root, "pki");
  const orgs = Array.from({ length: validators }, (_, i) => ({
    id: `org${i}`,
    dir: join(pkiDir, `org${i}`),
    adminDir: join(pkiDir, `org${i}`, "admin"),
    adminAccountKeyFile: join(pkiDir, `org${i}`, "admin", ADMIN_ACCOUNT_KEY_FILE),
  }));
  return {
    dir: root,
    genesisFile: join(root, "genesis.json"),
    pkiDir,
    rootCADir: join(pkiDir, "root"),
    orgs,
    nodes: Array.from({ length: validators }, (_, i) => {
      const certificates = join(orgs[i]!.dir, `node${i}`);
      return {
        name: `node${i}`,
        dir: join(root, `node${i}`),
        configFile: join(root, `node${i}`, "node.yaml"),
        rpcPort: (ports.rpc ?? RPC_PORT_BASE) + i,
        metricsPort: (ports.metrics ?? METRICS_PORT_BASE) + i,
        p2pPort: (ports.p2p ?? P2P_PORT_BASE) + i,
        org: orgs[i]!.id,
        pki: {
          rootCert: join(certificates, PKI_FILE_NAMES.rootCertificate),
          certChain: join(certificates, PKI_FILE_NAMES.chain),
          key: join(certificates, PKI_FILE_NAMES.key),
        },
      };
    }),
  };
}

/** A node's storage encryption key in its folder (hex, mode 600), written for `sm` networks. */
export const STORAGE_KEY_FILE = "storage.key";

/** The admin's account key in an org's admin folder (hex, mode 600): the address its certificate is bound to. */
export const ADMIN_ACCOUNT_KEY_FILE = "account.key";

/**
 * Writes a new network: a key and a config per validator node, the genesis that lists them, and (on `ecdsa`) the
 * consortium PKI (a root CA; per validator an organization `org<i>` with its CA, the node's certificate and an
 * admin certificate with its account key). Refuses to overwrite an existing network folder.
 */
export async function initNetwork(
  options: InitNetworkOptions,
): Promise<{ layout: NetworkLayout; genesis: Genesis }> {
  const layout = networkLayout(options.dir, options.validators, {
    ...(options.rpcPortBase === undefined ? {} : { rpc: options.rpcPortBase }),
    ...(options.metricsPortBase === undefined ? {} : { metrics: options.metricsPortBase }),
    ...(options.p2pPortBase === undefined ? {} : { p2p: options.p2pPortBase }),
  });
  for (const existing of [layout.genesisFile, layout.pkiDir]) {
    if (existsSync(existing)) {
      throw new Error(`${existing} already exists; remove the folder or choose another --dir`);
    }
  }
  const crypto = options.crypto ?? "ecdsa";
  const suite = suiteNamed(crypto);
  const withPKI = crypto === "ecdsa";
  const rootCA = withPKI
    ? await createRootCA({ name: `Charter root CA (chain ${options.chainId})` })
    : undefined;
  if (rootCA) writeRootCA(layout.rootCADir, rootCA);
  const validators: { name: string; address: string; publicKey: string; weight: number }[] = [];
  for (const [i, node] of layout.nodes.entries()) {
    const org = layout.orgs[i]!;
    const key = suite.generatePrivateKey();
    const publicKey = suite.publicKeyFromPrivateKey(key);
    const address = bytesToHex(suite.addressFromPublicKey(publicKey));
    mkdirSync(node.dir, { recursive: true });
    writeFileSync(join(node.dir, "node.key"), `${bytesToHex(key)}\n`, { mode: 0o600 });
    // An sm chain encrypts its storage by default: each node gets its own key (docs/configuration.md).
    if (crypto === "sm") writeEncryptionKeyFile(join(node.dir, STORAGE_KEY_FILE));
    if (rootCA)
      await writeOrganization(org, rootCA, { name: node.name, address, dir: dirname(node.pki.certChain) });
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
        ...(crypto === "sm" ? { storageEncryption: { keyFile: `./${STORAGE_KEY_FILE}` } } : {}),
        ...(withPKI
          ? {
              pki: {
                rootCert: relative(node.dir, node.pki.rootCert),
                certChain: relative(node.dir, node.pki.certChain),
                key: relative(node.dir, node.pki.key),
              },
            }
          : {}),
      }),
    );
    validators.push({ name: node.name, address, publicKey: bytesToHex(publicKey), weight: 1 });
  }
  const alloc: Record<string, { balance: string }> = {};
  if (options.devAccounts) {
    for (const key of deriveDevPrivateKeys(DEV_ACCOUNT_COUNT)) {
      const address = bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(key)));
      alloc[address] = { balance: DEV_ACCOUNT_BALANCE.toString() };
    }
  }
  const genesis = parseGenesis({
    chainId: options.chainId,
    crypto,
    timestampMs: Date.now(),
    gasLimit: (options.gasLimit ?? 100_000_000n).toString(),
    blockIntervalMs: options.blockIntervalMs,
    validators,
    alloc,
  });
  writeFileSync(layout.genesisFile, genesisToJSON(genesis));
  return { layout, genesis };
}

/** Writes an organization: its CA, its node's certificate and an admin with a fresh account key. */
async function writeOrganization(
  org: NetworkLayout["orgs"][number],
  root: CertificateAuthority,
  node: { readonly name: string; readonly address: string; readonly dir: string },
): Promise<void> {
  const orgCA = await createOrgCA({ root, org: org.id });
  writeOrgCA(org.dir, orgCA, root.certificatePem);
  const nodeCertificate = await issueNodeCertificate({ orgCA, name: node.name, address: node.address });
  writeIssuedCertificate(node.dir, nodeCertificate, root.certificatePem);
  const suite = createEcdsaSuite();
  const adminKey = suite.generatePrivateKey();
  const adminAddress = bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(adminKey)));
  const admin = await issueAdminCertificate({ orgCA, name: `${org.id} admin`, address: adminAddress });
  writeIssuedCertificate(org.adminDir, admin, root.certificatePem);
  writeFileSync(org.adminAccountKeyFile, `${bytesToHex(adminKey)}\n`, { mode: 0o600, flag: "wx" });
}
