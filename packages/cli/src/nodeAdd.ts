import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { loadGenesis, loadNodeConfig, nodeConfigToYAML } from "@charter/config";
import { NodeRole, orgIdToBytes32 } from "@charter/governance";
import { writeEncryptionKeyFile } from "@charter/kv";
import {
  createOrgCA,
  issueNodeCertificate,
  PKI_FILE_NAMES,
  parseCertificate,
  pemToDer,
  readOrgCA,
  readRootCA,
  writeIssuedCertificate,
  writeOrgCA,
} from "@charter/pki";
import { bytesToHex } from "@charter/utils";
import { type Command, Option } from "commander";
import { integer, out } from "./commandLine.js";
import { STORAGE_KEY_FILE, suiteNamed } from "./network.js";

/** A node folder of a network: `node<i>/node.yaml`. */
const NODE_DIR = /^node(\d+)$/;
/** Most nodes one network folder holds: NodeRegistry's limit. */
const NODES_MAX = 256;

export interface AddNodeOptions {
  /** The network folder `charter init` wrote (genesis.json, node<i>/, pki/). */
  readonly dir: string;
  /** The organization that runs the node: its CA in `pki/<org>/` issues the node's certificate. */
  readonly org: string;
  /** The role to propose for the node in NodeRegistry; only printed and returned, nothing is proposed here. */
  readonly role?: "validator" | "observer";
  /** The weight to propose (validators only count it). */
  readonly weight?: number;
}

/** What `addNode` wrote, and the `NodeRegistry.addNode` argument the committee must vote for. */
export interface AddedNode {
  readonly name: string;
  readonly dir: string;
  readonly configFile: string;
  readonly keyFile: string;
  /** 0x + 40 lower-case hex digits. */
  readonly address: string;
  /** 65-byte uncompressed public key, 0x-hex. */
  readonly publicKey: string;
  readonly org: string;
  /** Whether the organization's CA was created now, under the network's root: it must be added to OrgRegistry. */
  readonly orgCreated: boolean;
  /**
   * SHA-256 fingerprints of the node certificate and of its org CA (what OrgRegistry revokes or pins); `null` on
   * an `sm` network, which has no certificates yet.
   */
  readonly certificateFingerprint: string | null;
  readonly orgCAFingerprint: string | null;
  readonly rpcPort: number;
  readonly metricsPort: number;
  readonly p2pPort: number;
  /** `NodeRegistry.addNode((account, org, role, weight, publicKeyX, publicKeyY))`, ABI values as hex and numbers. */
  readonly registryEntry: {
    readonly account: string;
    readonly org: string;
    readonly role: number;
    readonly weight: number;
    readonly publicKeyX: string;
    readonly publicKeyY: string;
  };
}

/**
 * Adds a node to an existing network folder (`charter node add`): a fresh node key, a certificate issued by the
 * organization's CA (`pki/<org>/`; with the network's root key at hand, a missing organization gets a new CA
 * under the root) or, on an `sm` network (no certificates yet), an SM2 key and a storage encryption key, and
 * `node<N>/node.yaml` with the next free ports and every existing node as a static peer.
 * It writes files only: the node may connect once the committee has voted it into NodeRegistry (and a new
 * organization into OrgRegistry); `registryEntry` is the argument of that proposal. Nothing is overwritten.
 *
 * @example
 * const node = await addNode({ dir: "./charter-network", org: "org1", role: "validator" });
 * console.log(`propose NodeRegistry.addNode(${JSON.stringify(node.registryEntry)})`);
 */
export async function addNode(options: AddNodeOptions): Promise<AddedNode> {
  const dir = resolve(options.dir);
  const role = options.role ?? "validator";
  const weight = options.weight ?? 1;
  orgIdToBytes32(options.org); // throws on an id the registry cannot hold
  const genesisFile = join(dir, "genesis.json");
  if (!existsSync(genesisFile))
    throw new Error(`${dir} is not a network folder (no genesis.json); create one with \`charter init\``);
  // An sm network has no consortium certificates yet (docs/pki.md): its node gets an SM2 key and a storage key.
  const crypto = loadGenesis(genesisFile).crypto;

  const existing = readdirSync(dir)
    .map((entry) => ({ entry, match: NODE_DIR.exec(entry) }))
    .filter(({ entry, match }) => match !== null && existsSync(join(dir, entry, "node.yaml")))
    .map(({ entry, match }) => ({
      index: Number(match![1]),
      config: loadNodeConfig({ file: join(dir, entry, "node.yaml"), env: {} }),
    }))
    .sort((a, b) => a.index - b.index);
  if (existing.length === 0) throw new Error(`${dir} has no node folders (node<i>/node.yaml)`);
  if (existing.length >= NODES_MAX)
    throw new Error(`${dir} already holds ${NODES_MAX} nodes, the registry's limit`);
  const index = existing.at(-1)!.index + 1;
  const name = `node${index}`;
  const nodeDir = join(dir, name);
  if (existsSync(nodeDir)) throw new Error(`${nodeDir} already exists; remove it or add the node by hand`);
  const next = (port: (c: (typeof existing)[number]["config"]) => number) =>
    Math.max(...existing.map((node) => port(node.config))) + 1;
  const ports = {
    rpc: next((c) => c.rpc.port),
    metrics: next((c) => c.metrics.port),
    p2p: next((c) => c.p2p.port),
  };

  const pkiDir = join(dir, "pki");
  const orgDir = join(pkiDir, options.org);
  let orgCreated = false;
  if (crypto === "ecdsa" && !existsSync(join(orgDir, PKI_FILE_NAMES.caCertificate))) {
    const rootDir = join(pkiDir, "root");
    if (!existsSync(join(rootDir, PKI_FILE_NAMES.rootKey)))
      throw new Error(
        `organization ${options.org} has no CA in ${orgDir}, and the root key is not in ${rootDir} to create one; create it with \`charter pki add-org\``,
      );
    const root = readRootCA(rootDir);
    writeOrgCA(orgDir, await createOrgCA({ root, org: options.org }), root.certificatePem);
    orgCreated = true;
  }
  const orgCA = crypto === "ecdsa" ? readOrgCA(orgDir) : undefined;

  const suite = suiteNamed(crypto);
  const key = suite.generatePrivateKey();
  const publicKey = suite.publicKeyFromPrivateKey(key);
  const address = bytesToHex(suite.addressFromPublicKey(publicKey));
  mkdirSync(nodeDir, { recursive: true });
  const keyFile = join(nodeDir, "node.key");
  writeFileSync(keyFile, `${bytesToHex(key)}\n`, { mode: 0o600, flag: "wx" });
  const certificate = orgCA ? await issueNodeCertificate({ orgCA, name, address }) : undefined;
  const certificateDir = join(orgDir, name);
  if (orgCA && certificate) writeIssuedCertificate(certificateDir, certificate, orgCA.rootCertificatePem);
  if (crypto === "sm") writeEncryptionKeyFile(join(nodeDir, STORAGE_KEY_FILE));

  const configFile = join(nodeDir, "node.yaml");
  writeFileSync(
    configFile,
    nodeConfigToYAML({
      dataDir: "./data",
      genesis: relative(nodeDir, genesisFile),
      nodeKeyFile: "./node.key",
      rpcPort: ports.rpc,
      metricsPort: ports.metrics,
      p2pPort: ports.p2p,
      peers: existing.map((node) => ({ host: "127.0.0.1", port: node.config.p2p.port })),
      devAccounts: existing[0]!.config.devnet.devAccounts,
      ...(crypto === "sm"
        ? { storageEncryption: { keyFile: `./${STORAGE_KEY_FILE}` } }
        : {
            pki: {
              rootCert: relative(nodeDir, join(certificateDir, PKI_FILE_NAMES.rootCertificate)),
              certChain: relative(nodeDir, join(certificateDir, PKI_FILE_NAMES.chain)),
              key: relative(nodeDir, join(certificateDir, PKI_FILE_NAMES.key)),
            },
          }),
    }),
    { flag: "wx" },
  );
  const orgCAFingerprint = orgCA
    ? parseCertificate(pemToDer(orgCA.certificatePem, "CERTIFICATE", "the org CA certificate")[0]!)
        .fingerprint
    : null;
  return {
    name,
    dir: nodeDir,
    configFile,
    keyFile,
    address,
    publicKey: bytesToHex(publicKey),
    org: options.org,
    orgCreated,
    certificateFingerprint: certificate?.info.fingerprint ?? null,
    orgCAFingerprint,
    rpcPort: ports.rpc,
    metricsPort: ports.metrics,
    p2pPort: ports.p2p,
    registryEntry: {
      account: address,
      org: bytesToHex(orgIdToBytes32(options.org)),
      role: NodeRole[role],
      weight,
      publicKeyX: bytesToHex(publicKey.subarray(1, 33)),
      publicKeyY: bytesToHex(publicKey.subarray(33, 65)),
    },
  };
}

/** `charter node add`: registered on the `node` command by main.ts. */
export function registerNodeAddCommand(nodeCommand: Command): void {
  nodeCommand
    .command("add")
    .description(
      "add a node to a network folder: a node key, a certificate from its organization's CA and node<N>/node.yaml; prints the NodeRegistry.addNode entry the committee must vote for",
    )
    .requiredOption(
      "--org <id>",
      "organization that runs the node (its CA in pki/<id>/ issues the certificate)",
    )
    .option("--dir <path>", "the network folder", "./charter-network")
    .addOption(
      new Option("--role <role>", "role to propose in NodeRegistry")
        .choices(["validator", "observer"])
        .default("validator"),
    )
    .option("--weight <n>", "weight to propose (validators)", integer(1, 2 ** 20), 1)
    .option("--json", "print the result as JSON", false)
    .action(
      async (opts: {
        org: string;
        dir: string;
        role: "validator" | "observer";
        weight: number;
        json: boolean;
      }) => {
        const node = await addNode(opts);
        const entry = node.registryEntry;
        out(
          opts.json,
          { ...node },
          [
            `wrote ${node.name} in ${node.dir} (organization ${node.org}, address ${node.address})`,
            `config: ${node.configFile} (rpc ${node.rpcPort}, metrics ${node.metricsPort}, p2p ${node.p2pPort})`,
            node.certificateFingerprint === null
              ? `no certificate (an sm network admits nodes by NodeRegistry alone); storage key: ${node.dir}/${STORAGE_KEY_FILE}`
              : `certificate fingerprint: ${node.certificateFingerprint}`,
            ...(node.orgCreated
              ? [
                  `organization ${node.org} is new: its CA (fingerprint ${node.orgCAFingerprint}) was created under the root`,
                ]
              : []),
            "peers refuse the node until the committee has voted for (charter gov propose …, then charter gov vote):",
            ...(node.orgCreated
              ? [
                  `  charter gov propose add-org --id ${node.org} --name ${node.org} --ca-fingerprint ${node.orgCAFingerprint} --description "…"`,
                ]
              : []),
            ...(node.certificateFingerprint === null
              ? [
                  `  (if organization ${node.org} is not registered yet) charter gov propose add-org --id ${node.org} --name ${node.org} --crypto sm --description "…"`,
                ]
              : []),
            `  charter gov propose add-node --address ${entry.account} --org ${node.org} --role ${opts.role} --weight ${entry.weight} --public-key ${node.publicKey}${node.certificateFingerprint === null ? " --crypto sm" : ""} --description "…"`,
            `then start it: charter node start --config ${node.configFile}`,
          ].join("\n"),
        );
      },
    );
}
