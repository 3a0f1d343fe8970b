import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYAML } from "yaml";
import { z } from "zod";
import { ConfigError } from "./errors.js";
import { formatIssues } from "./genesis.js";

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1).max(255);

/**
 * A node's configuration: one YAML file (`node.yaml`), overridable by `CHARTER_*` environment variables, which
 * command-line flags override in turn. Relative paths are relative to the file that names them.
 */
export const NodeConfigSchema = z.strictObject({
  /** Where the node keeps its database. */
  dataDir: z.string().min(1),
  /** Path of the genesis file shared by every member of the chain. */
  genesis: z.string().min(1),
  /** File holding the node's private key (hex). It signs blocks and identifies the node. */
  nodeKeyFile: z.string().min(1),
  rpc: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: host.default("127.0.0.1"),
      port: port.default(8545),
      /** Origins allowed by CORS; `["*"]` allows any. */
      corsOrigins: z.array(z.string()).default(["*"]),
      bodyBytesMax: z
        .number()
        .int()
        .min(1024)
        .max(1 << 30)
        .default(5 * 1024 * 1024),
      batchSizeMax: z.number().int().min(1).max(100_000).default(1000),
      logsBlockRangeMax: z.number().int().min(1).default(10_000),
      logsResultsMax: z.number().int().min(1).default(10_000),
      wsConnectionsMax: z.number().int().min(1).default(1000),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: host.default("127.0.0.1"),
      /** Serves `/metrics` (Prometheus) and `/health`. */
      port: port.default(9545),
    })
    .prefault({}),
  p2p: z
    .strictObject({
      /** Listen address of the node-to-node link (TLS 1.3, authenticated by node keys). */
      host: host.default("127.0.0.1"),
      port: port.default(30300),
      /** Nodes to keep connections to. */
      peers: z
        .array(z.strictObject({ host: host, port: port.min(1) }))
        .max(256)
        .default([]),
    })
    .prefault({}),
  /**
   * The node's consortium certificates (docs/pki.md). With them, p2p links present the node's org-issued chain
   * and accept only peers whose chains lead to the same root; without them links use self-signed certificates
   * and the signed Hello alone.
   */
  pki: z
    .strictObject({
      /** The consortium root CA certificate (PEM) this node trusts. */
      rootCert: z.string().min(1),
      /** The node certificate followed by its org CA certificate (PEM), as `charter pki issue-node` writes it. */
      certChain: z.string().min(1),
      /** The node certificate's private key (PKCS#8 PEM). */
      key: z.string().min(1),
    })
    .optional(),
  log: z
    .strictObject({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    })
    .prefault({}),
  storage: z
    .strictObject({
      engine: z.enum(["level", "lmdb"]).default("level"),
      /**
       * Encryption at rest of every stored value (docs/spec/storage.md, "Encryption at rest"). On by default for
       * `sm` chains, off by default for `ecdsa` chains unless a key source is given (docs/configuration.md).
       */
      encryption: z
        .strictObject({
          /** `true` requires a key, `false` turns encryption off (the only way to run an `sm` chain without it). */
          enabled: z.boolean().optional(),
          /** File holding the 32-byte key as 64 hex digits, readable by the node's user only (mode 0600). */
          keyFile: z.string().min(1).optional(),
          /** Shell command (`/bin/sh -c`) that prints the key as hex on stdout, e.g. a key manager's client. */
          keyCommand: z.string().min(1).max(4096).optional(),
        })
        .superRefine((encryption, ctx) => {
          if (encryption.keyFile !== undefined && encryption.keyCommand !== undefined) {
            ctx.addIssue({
              code: "custom",
              message: "give keyFile or keyCommand, not both: the storage encryption key has one source",
            });
          }
          if (encryption.enabled === false && (encryption.keyFile ?? encryption.keyCommand) !== undefined) {
            ctx.addIssue({
              code: "custom",
              path: ["enabled"],
              message:
                "is false but a key source (keyFile or keyCommand) is given; remove the key source or the enabled: false",
            });
          }
        })
        .prefault({}),
    })
    .prefault({}),
  mempool: z
    .strictObject({
      txCountMax: z.number().int().min(1).default(20_000),
      bytesMax: z
        .number()
        .int()
        .min(1024)
        .default(64 * 1024 * 1024),
      perSenderMax: z.number().int().min(1).default(1000),
      nonceGapMax: z.number().int().min(0).default(64),
    })
    .prefault({}),
  producer: z
    .strictObject({
      /** Most transactions in one block, whatever their gas. */
      blockTxCountMax: z.number().int().min(1).default(5000),
      blockBytesMax: z
        .number()
        .int()
        .min(1024)
        .default(8 * 1024 * 1024),
    })
    .prefault({}),
  devnet: z
    .strictObject({
      /** Sign `eth_sendTransaction` with the publicly known dev accounts. Never enable outside a devnet. */
      devAccounts: z.boolean().default(false),
    })
    .prefault({}),
});

export type NodeConfigInput = z.input<typeof NodeConfigSchema>;
export type NodeConfig = z.output<typeof NodeConfigSchema>;

/** An override that can come from the environment or the command line, with where it lands in the config. */
interface Override {
  readonly path: readonly string[];
  readonly env: string;
  readonly flag: string;
  readonly kind: "string" | "number" | "boolean";
}

export const CONFIG_OVERRIDES: readonly Override[] = [
  { path: ["dataDir"], env: "CHARTER_DATA_DIR", flag: "dataDir", kind: "string" },
  { path: ["genesis"], env: "CHARTER_GENESIS", flag: "genesis", kind: "string" },
  { path: ["nodeKeyFile"], env: "CHARTER_NODE_KEY_FILE", flag: "nodeKeyFile", kind: "string" },
  { path: ["rpc", "host"], env: "CHARTER_RPC_HOST", flag: "rpcHost", kind: "string" },
  { path: ["rpc", "port"], env: "CHARTER_RPC_PORT", flag: "rpcPort", kind: "number" },
  { path: ["metrics", "host"], env: "CHARTER_METRICS_HOST", flag: "metricsHost", kind: "string" },
  { path: ["metrics", "port"], env: "CHARTER_METRICS_PORT", flag: "metricsPort", kind: "number" },
  { path: ["p2p", "host"], env: "CHARTER_P2P_HOST", flag: "p2pHost", kind: "string" },
  { path: ["p2p", "port"], env: "CHARTER_P2P_PORT", flag: "p2pPort", kind: "number" },
  { path: ["log", "level"], env: "CHARTER_LOG_LEVEL", flag: "logLevel", kind: "string" },
  { path: ["storage", "engine"], env: "CHARTER_STORAGE_ENGINE", flag: "storageEngine", kind: "string" },
  {
    path: ["storage", "encryption", "enabled"],
    env: "CHARTER_STORAGE_ENCRYPTION",
    flag: "storageEncryption",
    kind: "boolean",
  },
  {
    path: ["storage", "encryption", "keyFile"],
    env: "CHARTER_STORAGE_ENCRYPTION_KEY_FILE",
    flag: "storageEncryptionKeyFile",
    kind: "string",
  },
  {
    path: ["storage", "encryption", "keyCommand"],
    env: "CHARTER_STORAGE_ENCRYPTION_KEY_COMMAND",
    flag: "storageEncryptionKeyCommand",
    kind: "string",
  },
  { path: ["devnet", "devAccounts"], env: "CHARTER_DEV_ACCOUNTS", flag: "devAccounts", kind: "boolean" },
];

export interface LoadNodeConfigOptions {
  /** Path of the YAML file; optional when everything required comes from env or flags. */
  readonly file?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Parsed command-line flags by camelCase name (see `CONFIG_OVERRIDES`). */
  readonly flags?: Readonly<Record<string, unknown>>;
}

/** A validated config with every path made absolute. */
export interface ResolvedNodeConfig extends NodeConfig {
  /** The file the config came from, if any. */
  readonly file?: string;
}

/** Loads a node config with CLI > env > file precedence and validates it, naming each bad field. */
export function loadNodeConfig(options: LoadNodeConfigOptions): ResolvedNodeConfig {
  let raw: Record<string, unknown> = {};
  const baseDir = options.file ? dirname(resolve(options.file)) : process.cwd();
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, "utf8");
    } catch (error) {
      throw new ConfigError(
        "not-found",
        `cannot read the config file ${options.file}: ${(error as Error).message}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = parseYAML(text);
    } catch (error) {
      throw new ConfigError(
        "parse",
        `config file ${options.file} is not valid YAML: ${(error as Error).message}`,
      );
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new ConfigError("parse", `config file ${options.file} must hold a mapping at the top level`);
      }
      raw = parsed as Record<string, unknown>;
    }
  }
  const env = options.env ?? {};
  for (const override of CONFIG_OVERRIDES) {
    const fromEnv = env[override.env];
    if (fromEnv !== undefined && fromEnv !== "") {
      setPath(raw, override.path, convert(fromEnv, override, `environment variable ${override.env}`));
    }
  }
  for (const override of CONFIG_OVERRIDES) {
    const fromFlag = options.flags?.[override.flag];
    if (fromFlag !== undefined) {
      setPath(raw, override.path, convert(fromFlag, override, `flag --${kebab(override.flag)}`));
    }
  }
  const result = NodeConfigSchema.safeParse(raw);
  if (!result.success) {
    const where = options.file ? `config ${options.file}` : "config";
    throw new ConfigError("invalid", `${where} is invalid:\n${formatIssues(result.error)}`);
  }
  const config = result.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...config,
    dataDir: abs(config.dataDir),
    genesis: abs(config.genesis),
    nodeKeyFile: abs(config.nodeKeyFile),
    ...(config.storage.encryption.keyFile === undefined
      ? {}
      : {
          storage: {
            ...config.storage,
            encryption: { ...config.storage.encryption, keyFile: abs(config.storage.encryption.keyFile) },
          },
        }),
    ...(config.pki === undefined
      ? {}
      : {
          pki: {
            rootCert: abs(config.pki.rootCert),
            certChain: abs(config.pki.certChain),
            key: abs(config.pki.key),
          },
        }),
    ...(options.file ? { file: resolve(options.file) } : {}),
  };
}

function convert(value: unknown, override: Override, source: string): unknown {
  if (override.kind === "string") return String(value);
  if (override.kind === "number") {
    const n = typeof value === "number" ? value : Number(value);
    if (!Number.isInteger(n))
      throw new ConfigError("invalid", `${source} must be an integer, got "${String(value)}"`);
    return n;
  }
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new ConfigError("invalid", `${source} must be true or false, got "${String(value)}"`);
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The node configuration schema as JSON Schema (for editors and operators' tooling). */
export function nodeConfigJSONSchema(): Record<string, unknown> {
  return z.toJSONSchema(NodeConfigSchema, { io: "input" }) as Record<string, unknown>;
}

/** The YAML written by `charter init`, with comments a new operator can follow. */
export function nodeConfigToYAML(config: {
  dataDir: string;
  genesis: string;
  nodeKeyFile: string;
  rpcPort: number;
  metricsPort: number;
  p2pPort: number;
  peers: readonly { host: string; port: number }[];
  devAccounts: boolean;
  /** Paths of the node's certificates, relative to the config file or absolute. */
  pki?: { rootCert: string; certChain: string; key: string };
  /**
   * Storage encryption: the key file `writeEncryptionKeyFile` (`@charter/kv`) created, relative to the config file
   * or absolute, or `enabled: false` to run an `sm` chain's node unencrypted. Absent: the suite's default.
   */
  storageEncryption?: { readonly keyFile: string } | { readonly enabled: false };
}): string {
  return `# Charter node configuration. Environment variables (CHARTER_*) override this file, and
# command-line flags override both. Relative paths are relative to this file.
dataDir: ${config.dataDir}
genesis: ${config.genesis}
nodeKeyFile: ${config.nodeKeyFile}
rpc:
  host: 127.0.0.1
  port: ${config.rpcPort}
  corsOrigins: ["*"]
metrics:
  host: 127.0.0.1
  port: ${config.metricsPort}
p2p:
  host: 127.0.0.1
  port: ${config.p2pPort}
  peers:${config.peers.length === 0 ? " []" : config.peers.map((p) => `\n    - { host: ${p.host}, port: ${p.port} }`).join("")}
${
  config.pki === undefined
    ? ""
    : `# Consortium certificates (docs/pki.md): p2p links present this chain and accept only peers certified by the root.
pki:
  rootCert: ${config.pki.rootCert}
  certChain: ${config.pki.certChain}
  key: ${config.pki.key}
`
}log:
  level: info
storage:
  engine: level
${storageEncryptionYAML(config.storageEncryption)}devnet:
  # Signs eth_sendTransaction with the publicly known dev accounts. Never enable outside a devnet.
  devAccounts: ${config.devAccounts}
`;
}

function storageEncryptionYAML(encryption: { keyFile: string } | { enabled: false } | undefined): string {
  if (encryption === undefined) return "";
  if ("keyFile" in encryption) {
    return `  # Every stored value is encrypted with the key in this file (mode 0600). Keep a copy apart from the data:
  # without it the data directory cannot be read.
  encryption:
    keyFile: ${encryption.keyFile}
`;
  }
  return `  # Storage encryption is turned off explicitly (it is on by default for sm chains).
  encryption:
    enabled: false
`;
}
