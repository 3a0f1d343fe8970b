import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { genesisJSONSchema, loadGenesis, loadNodeConfig, nodeConfigJSONSchema } from "@charter/config";
import { type CryptoSuiteName, checksumAddress } from "@charter/crypto";
import { CHARTER_VERSION, startNode } from "@charter/node";
import { bytesToHex, hexToBytes, isCharterError, isHexData } from "@charter/utils";
import { Command } from "commander";
import { cryptoOption, integer, out } from "./commandLine.js";
import { DEVNET_CHAIN_ID, runDevnet } from "./commands/devnet.js";
import { registerGovCommands } from "./commands/gov.js";
import { registerPKICommands } from "./commands/pki.js";
import { initNetwork, suiteNamed } from "./network.js";
import { registerNodeAddCommand } from "./nodeAdd.js";

const program = new Command()
  .name("charter")
  .description("Charter: a permissioned consortium blockchain with BFT finality and Ethereum tooling")
  .version(CHARTER_VERSION)
  .showHelpAfterError();

program
  .command("init")
  .description(
    "write a new network: genesis, a key and config per validator node, and the consortium certificates (pki/)",
  )
  .option("--dir <path>", "folder to create the network in", "./charter-network")
  .option("--chain-id <id>", "EIP-155 chain id", integer(1, 2 ** 48), DEVNET_CHAIN_ID)
  .option("--validators <n>", "number of validator nodes", integer(1, 256), 1)
  .option("--block-interval-ms <ms>", "target time between blocks", integer(50, 60_000), 1000)
  .option(
    "--dev-accounts",
    "fund the publicly known dev accounts and let nodes sign for them (devnets only)",
    false,
  )
  .addOption(cryptoOption())
  .option("--json", "print the result as JSON", false)
  .action(
    async (opts: {
      dir: string;
      chainId: number;
      validators: number;
      blockIntervalMs: number;
      devAccounts: boolean;
      crypto: CryptoSuiteName;
      json: boolean;
    }) => {
      const { layout, genesis } = await initNetwork({
        dir: opts.dir,
        chainId: opts.chainId,
        validators: opts.validators,
        blockIntervalMs: opts.blockIntervalMs,
        devAccounts: opts.devAccounts,
        crypto: opts.crypto,
      });
      out(
        opts.json,
        {
          dir: layout.dir,
          genesis: layout.genesisFile,
          chainId: genesis.chainId,
          crypto: genesis.crypto,
          pki: genesis.crypto === "ecdsa" ? layout.pkiDir : null,
          nodes: layout.nodes.map((n) => ({ name: n.name, config: n.configFile, org: n.org })),
        },
        [
          `wrote network in ${layout.dir} (chain id ${genesis.chainId}, ${genesis.crypto} suite)`,
          `genesis: ${layout.genesisFile}`,
          genesis.crypto === "ecdsa"
            ? `certificates: ${layout.pkiDir} (root CA in root/; per organization org<i>: its CA, node<i> and admin; see docs/pki.md)`
            : "certificates: none (an sm chain admits nodes by NodeRegistry; storage is SM4-encrypted with node<i>/storage.key)",
          ...layout.nodes.map((n) => `${n.name}: charter node start --config ${n.configFile}`),
        ].join("\n"),
      );
    },
  );

const nodeCommand = program.command("node").description("run a node");
nodeCommand
  .command("start")
  .description(
    "start a node from its config file (flags override CHARTER_* environment variables, which override the file)",
  )
  .option("--config <file>", "node config file (YAML)")
  .option("--data-dir <path>", "data directory")
  .option("--genesis <file>", "genesis file")
  .option("--node-key-file <file>", "node private key file")
  .option("--rpc-host <host>", "JSON-RPC listen address")
  .option("--rpc-port <port>", "JSON-RPC port (HTTP and WebSocket)", integer(0, 65535))
  .option("--metrics-host <host>", "metrics and health listen address")
  .option("--metrics-port <port>", "metrics and health port", integer(0, 65535))
  .option("--p2p-host <host>", "node-to-node listen address")
  .option("--p2p-port <port>", "node-to-node port", integer(0, 65535))
  .option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent")
  .option("--storage-engine <engine>", "level or lmdb")
  .option("--storage-encryption", "encrypt stored values (on by default on sm chains; docs/configuration.md)")
  .option(
    "--no-storage-encryption",
    "store values unencrypted (the only way to run an sm chain's node without a key)",
  )
  .option("--storage-encryption-key-file <file>", "file holding the 32-byte storage key in hex (mode 600)")
  .option(
    "--storage-encryption-key-command <command>",
    "shell command printing the storage key in hex (a key manager)",
  )
  .option("--dev-accounts", "sign eth_sendTransaction with the publicly known dev accounts (devnets only)")
  .action(async (opts: Record<string, unknown> & { config?: string }) => {
    const { config: file, ...flags } = opts;
    const config = loadNodeConfig({ ...(file ? { file } : {}), env: process.env, flags });
    const node = await startNode(config);
    const stop = async () => {
      await node.stop();
      process.exit(0);
    };
    process.once("SIGINT", () => void stop());
    process.once("SIGTERM", () => void stop());
  });

registerNodeAddCommand(nodeCommand);

program
  .command("devnet")
  .description("run a local network of validator processes on 127.0.0.1 with funded dev accounts")
  .option("--dir <path>", "data folder of the devnet", ".devnet")
  .option("--validators <n>", "number of validators", integer(1, 64), 4)
  .option("--reset", "delete the data folder and start a new chain", false)
  .option(
    "--block-interval-ms <ms>",
    "target time between blocks (new chains only)",
    integer(50, 60_000),
    1000,
  )
  .option("--chain-id <id>", "chain id (new chains only)", integer(1, 2 ** 48), DEVNET_CHAIN_ID)
  .addOption(cryptoOption("(new chains only)"))
  .option("--json", "print the ready banner as JSON", false)
  .action(
    async (opts: {
      dir: string;
      validators: number;
      reset: boolean;
      blockIntervalMs: number;
      chainId: number;
      crypto: CryptoSuiteName;
      json: boolean;
    }) => {
      await runDevnet({ ...opts, dir: resolve(opts.dir), readyTimeoutMs: 60_000 });
    },
  );

const configCommand = program.command("config").description("inspect and check node configuration");
configCommand
  .command("schema")
  .description("print the JSON Schema of the node config (node.yaml) or of the genesis file")
  .option("--genesis", "print the genesis schema instead", false)
  .action((opts: { genesis: boolean }) => {
    process.stdout.write(
      `${JSON.stringify(opts.genesis ? genesisJSONSchema() : nodeConfigJSONSchema(), null, 2)}\n`,
    );
  });
configCommand
  .command("check")
  .description("validate a node config (with CHARTER_* overrides applied) and the genesis it names")
  .requiredOption("--config <file>", "node config file (YAML)")
  .option("--json", "print the resolved config as JSON", false)
  .action((opts: { config: string; json: boolean }) => {
    const config = loadNodeConfig({ file: opts.config, env: process.env });
    const genesis = loadGenesis(config.genesis);
    out(
      opts.json,
      {
        config,
        genesis: { chainId: genesis.chainId, crypto: genesis.crypto, validators: genesis.validators.length },
      },
      `${opts.config} is valid: data ${config.dataDir}, RPC ${config.rpc.host}:${config.rpc.port}, chain ${genesis.chainId} (${genesis.crypto}, ${genesis.validators.length} validator(s))`,
    );
  });

const keys = program.command("keys").description("generate and inspect node and account keys");
keys
  .command("generate")
  .description("generate a private key; prints its address (and the key itself unless --out is given)")
  .option("--out <file>", "write the private key to this file (mode 600) instead of printing it")
  .addOption(cryptoOption())
  .option("--json", "print as JSON", false)
  .action((opts: { out?: string; crypto: CryptoSuiteName; json: boolean }) => {
    const suite = suiteNamed(opts.crypto);
    const key = suite.generatePrivateKey();
    const address = checksumAddress(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(key)));
    if (opts.out) {
      writeFileSync(opts.out, `${bytesToHex(key)}\n`, { mode: 0o600, flag: "wx" });
      out(
        opts.json,
        { address, file: resolve(opts.out) },
        `address: ${address}\nkey file: ${resolve(opts.out)}`,
      );
    } else {
      out(
        opts.json,
        { address, privateKey: bytesToHex(key) },
        `address:     ${address}\nprivate key: ${bytesToHex(key)}`,
      );
    }
  });
keys
  .command("show")
  .description("show the address and public key of a private key file")
  .argument("<file>", "file holding a hex private key")
  .addOption(cryptoOption())
  .option("--json", "print as JSON", false)
  .action((file: string, opts: { crypto: CryptoSuiteName; json: boolean }) => {
    const text = readFileSync(file, "utf8").trim();
    const hex = text.startsWith("0x") ? text : `0x${text}`;
    if (!isHexData(hex) || hex.length !== 66)
      throw new Error(`${file} does not hold a 32-byte private key in hex`);
    const suite = suiteNamed(opts.crypto);
    const publicKey = suite.publicKeyFromPrivateKey(hexToBytes(hex));
    const address = checksumAddress(suite.addressFromPublicKey(publicKey));
    out(
      opts.json,
      { address, publicKey: bytesToHex(publicKey) },
      `address:    ${address}\npublic key: ${bytesToHex(publicKey)}`,
    );
  });

registerPKICommands(program);
registerGovCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const message = isCharterError(error) || error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}
