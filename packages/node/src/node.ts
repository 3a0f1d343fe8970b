import { mkdirSync, readFileSync } from "node:fs";
import { arch, platform } from "node:os";
import { dirname } from "node:path";
import { Chain, createChainApplication, type ExecutedBlock } from "@charter/chain";
import { deriveDevPrivateKeys, type Genesis, loadGenesis, type ResolvedNodeConfig } from "@charter/config";
import {
  type Clock,
  ConsensusEngine,
  createLastCommitVerifier,
  KvConsensusWAL,
  SoloProducer,
  systemClock,
} from "@charter/consensus";
import { type CryptoSuite, createEcdsaSuite, createSmSuite, ecrecover, keccak256 } from "@charter/crypto";
import { Executor } from "@charter/execution";
import { createGovernanceView, NODE_REGISTRY_ADDRESS, ORG_REGISTRY_ADDRESS } from "@charter/governance";
import type { KvStore } from "@charter/kv";
import { createMempool, type Mempool } from "@charter/mempool";
import { createPeerNetwork, type PeerNetwork } from "@charter/p2p";
import { type CertificatePolicy, checkCertificatePolicy } from "@charter/pki";
import { createRPCServer, type EstimateGasResult, type RPCServer } from "@charter/rpc";
import { StateDB } from "@charter/state";
import { type Block, type CommitCertificate, decodeBlock, encodeBlock } from "@charter/types";
import { bytesToHex, equalBytes, hexToBytes, isHexData } from "@charter/utils";
import { BlockSync, type SyncConsensus } from "./blockSync.js";
import { CertificateExpiryMonitor } from "./certificateExpiry.js";
import { chainGenesisFromConfig } from "./chainGenesis.js";
import { chainSyncAdapter } from "./chainSync.js";
import { nodeRPCMethods } from "./charterMethods.js";
import { createConsensusTransport } from "./consensusTransport.js";
import { createDevSigner } from "./devSigner.js";
import { NodeError } from "./errors.js";
import { applyPoolCap, readGovernedParams } from "./governedParams.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetricsServer, NodeMetrics } from "./metrics.js";
import { loadNodePKI } from "./nodePKI.js";
import { createRegistryAdmission, createRegistryCertificatePolicy } from "./registryAdmission.js";
import { NodeRPCBackend } from "./rpcBackend.js";
import { openNodeKv } from "./storageEncryption.js";
import { TxGossip } from "./txGossip.js";
import { createValidatorSetSource } from "./validatorSet.js";

export const CHARTER_VERSION = "0.1.0";

/** How many block gas limits' worth of declared gas the producer takes from the pool as candidates. */
const SELECT_GAS_OVERCOMMIT = 4n;

export function clientVersion(): string {
  return `charter/v${CHARTER_VERSION}/${platform()}-${arch()}/node${process.versions.node}`;
}

export interface NodeModules {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /**
   * Revoked certificates and member organizations, asked on every p2p handshake when the node runs with
   * consortium certificates. Defaults to `OrgRegistry` at the node's head (`createRegistryCertificatePolicy`).
   */
  readonly certificatePolicy?: CertificatePolicy;
  /**
   * The storage encryption key (32 bytes) from a key manager, instead of `storage.encryption.keyFile` or
   * `keyCommand`; giving it turns encryption at rest on (docs/configuration.md).
   */
  readonly encryptionKey?: () => Promise<Uint8Array>;
}

/** A running node: what `charter node start` and the tests hold. */
export interface CharterNode {
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly rpcPort: number | undefined;
  readonly metricsPort: number | undefined;
  readonly address: Uint8Array;
  readonly logger: Logger;
  /** Stops producing, closes servers, waits for the block in progress and closes the store. */
  stop(): Promise<void>;
}

/**
 * Builds and starts a node from its configuration: the one place where every component is created and wired
 * (store → state → executor → chain → pool → producer → RPC and metrics).
 */
export async function startNode(config: ResolvedNodeConfig, modules: NodeModules = {}): Promise<CharterNode> {
  const logger = modules.logger ?? createLogger({ level: config.log.level });
  const clock = modules.clock ?? systemClock;
  const genesis = loadGenesis(config.genesis);
  const suite = suiteFor(genesis);
  const privateKey = readNodeKey(config.nodeKeyFile);
  const address = suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(privateKey));
  const chainId = BigInt(genesis.chainId);
  // The node's own certificates are checked before anything opens: an expired one stops the node here, with a
  // message that says what to renew, rather than every peer refusing it later.
  if (config.pki && suite.name === "sm") {
    throw new NodeError(
      "unsupported",
      "the pki section is not available on an sm chain yet: consortium certificates are ECDSA P-256, and SM2 " +
        "certificates are not implemented; remove the pki section (links then run on the SM channel with node " +
        "keys checked against NodeRegistry)",
    );
  }
  const pki = config.pki
    ? loadNodePKI(config.pki, { address: bytesToHex(address), now: clock.now() })
    : undefined;
  if (pki) {
    logger.info(
      {
        org: pki.identity.org,
        name: pki.identity.name,
        serial: pki.identity.serial,
        notAfter: pki.identity.notAfter.toISOString(),
      },
      "consortium certificate loaded",
    );
  }

  mkdirSync(config.dataDir, { recursive: true });
  // Encrypted or not as the config and the genesis' suite decide; the key is fetched before the store opens.
  const kv: KvStore = await openNodeKv({
    path: `${config.dataDir}/db`,
    engine: config.storage.engine,
    suite: genesis.crypto,
    encryption: config.storage.encryption,
    encryptionKey: modules.encryptionKey,
    configDir: config.file === undefined ? process.cwd() : dirname(config.file),
    logger,
  });
  let stopped = false;
  /** Stops producing, closes servers and links, waits for the block in progress and closes the store. */
  let stop: () => Promise<void> = async () => {
    if (stopped) return;
    stopped = true;
    await kv.close();
  };
  try {
    const state = new StateDB({ kv, hash: (data: Uint8Array) => suite.hash(data), codeHash: keccak256 });
    const executor = new Executor({
      chainId,
      blockHash: async (height) => chain.store.hashAt(height),
      ecrecover: evmEcrecover,
      suite: suite.name,
    });
    // The set of each height comes from the validator registry in the chain's state (consensus.md section 9).
    const validatorSet = createValidatorSetSource((height) => chain.validatorsAt(height));
    const bft = genesis.validators.length > 1;
    const chain: Chain = await Chain.open({
      kv,
      suite,
      state,
      executor,
      genesis: chainGenesisFromConfig(genesis),
      // With more than one validator every block from height 2 must carry its parent's commit certificate.
      ...(bft
        ? {
            verifyLastCommit: createLastCommitVerifier({
              chainId,
              crypto: suite,
              validatorSet,
            }),
          }
        : {}),
    });
    // The system contracts at the head: who may connect, which certificates are revoked, the node-local parameters
    // (governance.md sections 5 and 7). Each answer is a few reads of the latest state.
    const governance = createGovernanceView((account, slot) =>
      chain.worldState.latest().getStorage(account, slot),
    );
    const selfHex = bytesToHex(address);
    /** Whether `peer` (0x-hex address) is a validator of the next height or the one after. */
    const isUpcomingValidator = (peer: string) => {
      const next = chain.head.block.header.height + 1;
      return validatorSet(next).weightOfHex(peer) > 0 || validatorSet(next + 1).weightOfHex(peer) > 0;
    };
    // The node runs a consensus engine exactly while it votes at the next height.
    const isValidator = validatorSet(chain.head.block.header.height + 1).weightOfHex(selfHex) > 0;
    let params = readGovernedParams(governance, { fallbackBlockIntervalMs: genesis.blockIntervalMs });
    logger.info(
      {
        chainId: genesis.chainId,
        crypto: suite.name,
        height: chain.head.block.header.height,
        address: selfHex,
        validator: isValidator,
      },
      "chain opened",
    );
    const certificatePolicy = modules.certificatePolicy ?? createRegistryCertificatePolicy(governance);
    if (pki) {
      // Peers ask the same policy of this node's certificate; say so now rather than through refused links.
      try {
        checkCertificatePolicy(pki.identity, certificatePolicy);
      } catch (error) {
        // A node of an organization voted in after its head (a new node still syncing) sees this until it catches up.
        logger.warn(
          { height: chain.head.block.header.height, reason: (error as Error).message },
          "governance at this node's head does not admit its certificate; if the head is behind (a new node), this clears once it has synced, otherwise peers will refuse its links",
        );
      }
    }

    const metrics = new NodeMetrics();
    const mempool = createMempool({
      // The committee's caps (ChainParams) are read when the node starts; a later change applies at the next start.
      txCountMax: applyPoolCap(config.mempool.txCountMax, params.poolTxCountMax),
      bytesMax: config.mempool.bytesMax,
      perSenderMax: applyPoolCap(config.mempool.perSenderMax, params.poolPerSenderMax),
      nonceGapMax: BigInt(config.mempool.nonceGapMax),
      txGasMax: genesis.gasLimit,
    });
    const selectLimits = {
      // Candidates are chosen by their declared gas limits, which usually exceed the gas they use two- to
      // threefold; execution stops the block at its real gas limit, and what does not fit stays in the pool.
      gasMax: genesis.gasLimit * SELECT_GAS_OVERCOMMIT,
      bytesMax: config.producer.blockBytesMax,
      countMax: config.producer.blockTxCountMax,
    };

    const updatePoolMetrics = () => {
      const status = mempool.status();
      metrics.mempoolPending.set(status.pending);
      metrics.mempoolQueued.set(status.queued);
    };
    chain.onBlock((stored) => {
      metrics.headHeight.set(stored.block.header.height);
      metrics.headTimestamp.set(Math.floor(stored.block.header.timestampMs / 1000));
      metrics.blocksCommitted.inc();
      metrics.txsCommitted.inc(stored.block.transactions.length);
    });
    metrics.headHeight.set(chain.head.block.header.height);

    let produceTimer: (() => number) | undefined;
    let producer: SoloProducer<ExecutedBlock> | undefined;
    let engine: ConsensusEngine<ExecutedBlock> | undefined;
    let network: PeerNetwork | undefined;
    let gossip: TxGossip | undefined;
    let sync: BlockSync | undefined;
    /** Whether this node was a validator of the next height after the previous commit. */
    let validator = isValidator;
    /** The validator sets that admit peers besides the registry, to close links when they move on. */
    const upcomingSetsKey = () => {
      const next = chain.head.block.header.height + 1;
      return `${bytesToHex(chain.validatorsAt(next).hash)}/${bytesToHex(chain.validatorsAt(next + 1).hash)}`;
    };
    let upcomingSets = upcomingSetsKey();
    let warnedSoloGrowth = false;

    /**
     * After every commit, whoever made it (engine, block sync, solo producer), the node follows the registry: it
     * joins or leaves consensus when it enters or leaves the validator set of the next height, closes the links
     * of nodes the registry no longer admits or whose certificates were revoked, and applies `ChainParams`.
     */
    const followGovernance = (executed: ExecutedBlock) => {
      const height = executed.block.header.height;
      const nextSet = validatorSet(height + 1);
      const nowValidator = nextSet.weightOfHex(selfHex) > 0;
      if (sync !== undefined) {
        if (nowValidator && !validator) {
          logger.info(
            { height: height + 1 },
            "this node is a validator from this height on; consensus starts once it is caught up",
          );
        } else if (!nowValidator && validator) {
          logger.info(
            { height: height + 1 },
            "this node is no longer a validator from this height on; stopping consensus and following the chain by block sync",
          );
        }
        // Also when the set changed under a validator: its claimsToTrust follows the set's size.
        if (nowValidator !== validator || (nowValidator && nextSet !== validatorSet(height)))
          sync.setConsensus(nowValidator ? syncConsensus(nextSet) : undefined);
      } else if (producer !== undefined) {
        if (!nowValidator && validator) {
          logger.error(
            { height: height + 1 },
            "this node is no longer the validator of this single-validator chain; it stops producing blocks (handing a single-validator chain to other validators is not supported)",
          );
          void producer.stop();
        } else if (nextSet.validators.length > 1 && !warnedSoloGrowth) {
          warnedSoloGrowth = true;
          logger.warn(
            { height: height + 1, validators: nextSet.validators.length },
            "the validator set grew beyond one validator, but a chain started with one validator keeps its solo producer: growing it into a BFT network is not supported",
          );
        }
      }
      validator = nowValidator;

      const registryChanged = executed.receipts.some((receipt) =>
        receipt.logs.some(
          (log) =>
            equalBytes(log.address, NODE_REGISTRY_ADDRESS) || equalBytes(log.address, ORG_REGISTRY_ADDRESS),
        ),
      );
      const sets = upcomingSetsKey();
      if (network !== undefined && (registryChanged || sets !== upcomingSets)) {
        const closed = network.revalidatePeers();
        if (closed > 0) logger.info({ height, closed }, "closed links that governance no longer admits");
      }
      upcomingSets = sets;

      const next = readGovernedParams(governance, { fallbackBlockIntervalMs: genesis.blockIntervalMs });
      if (next.blockIntervalMs !== params.blockIntervalMs)
        logger.info(
          { height, from: params.blockIntervalMs, to: next.blockIntervalMs },
          "block interval changed by governance (ChainParams)",
        );
      if (next.poolTxCountMax !== params.poolTxCountMax || next.poolPerSenderMax !== params.poolPerSenderMax)
        logger.info(
          { height, poolTxCountMax: next.poolTxCountMax ?? 0, poolPerSenderMax: next.poolPerSenderMax ?? 0 },
          "pool caps changed by governance (ChainParams); they apply when the node restarts",
        );
      params = next;
    };

    /** Pool and metrics work after any committed block, whoever proposed it. */
    const afterCommit = (executed: ExecutedBlock) => {
      produceTimer?.();
      produceTimer = undefined;
      for (const { tx, error } of executed.execution.rejected) {
        // A transaction that only missed this block (no gas left in it, or a gap left by a sender's earlier
        // transaction that missed it) waits for the next one; the others can never be included.
        if (error.code === "block-gas" || error.code === "nonce-too-high") continue;
        mempool.remove(tx.hash);
        metrics.txsRejected.inc({ reason: error.code });
        logger.debug({ tx: bytesToHex(tx.hash), reason: error.message }, "transaction dropped from the pool");
      }
      mempool.onBlockCommitted(
        executed.execution.transactions,
        (sender) => chain.worldState.latest().getAccount(sender)?.nonce ?? 0n,
      );
      updatePoolMetrics();
      const header = executed.block.header;
      logger.debug(
        { height: header.height, txs: executed.block.transactions.length, gasUsed: Number(header.gasUsed) },
        "block committed",
      );
      followGovernance(executed);
    };

    const fatal = (error: unknown, message: string) => {
      logger.fatal({ err: error }, message);
      process.exitCode = 1;
      void stop();
    };

    /** This node's consensus engine, created the first time the node is a validator; stopped and started after. */
    const consensusEngine = (peers: PeerNetwork): ConsensusEngine<ExecutedBlock> => {
      if (engine !== undefined) return engine;
      const app = createChainApplication(chain, { nowMs: () => clock.now() });
      const created: ConsensusEngine<ExecutedBlock> = new ConsensusEngine<ExecutedBlock>(
        {
          chainId,
          address,
          // A getter, so a ChainParams change paces the next block: the engine reads it after every commit.
          get blockIntervalMs() {
            return params.blockIntervalMs;
          },
        },
        {
          app: {
            ...app,
            propose: (input) => {
              produceTimer = metrics.blockCommitSeconds.startTimer();
              return app.propose(input);
            },
          },
          transport: createConsensusTransport({
            network: peers,
            suite,
            chainId,
            headHeight: () => chain.head.block.header.height,
            holdsProposal: (height, round, signature) => created.holdsProposal(height, round, signature),
            onMalformed: (peer, error) =>
              logger.warn({ peer, reason: error.message }, "dropped a malformed consensus message"),
          }),
          wal: new KvConsensusWAL<Block>(
            {},
            {
              store: kv,
              crypto: suite,
              codec: { encode: encodeBlock, decode: (bytes) => decodeBlock(bytes, { suite, chainId }) },
            },
          ),
          clock,
          crypto: suite,
          sign: (digest) => suite.sign(digest, privateKey),
          validatorSet,
          selectTransactions: () => mempool.select(selectLimits),
          afterCommit: (executed) => afterCommit(executed),
          logger,
          onFatal: (error) => fatal(error, "consensus stopped; the node shuts down"),
        },
      );
      engine = created;
      return created;
    };
    /**
     * How block sync shares the chain with the engine while this node is a validator: sync stops the engine before
     * it imports, and starts it when caught up or when the node joins the set. A validator believes a height only
     * when f+1 peers report it, so f byzantine peers cannot make it leave consensus by claiming heights nobody has.
     */
    const syncConsensus = (set: { readonly validators: readonly unknown[] }): SyncConsensus => ({
      claimsToTrust: Math.floor((set.validators.length - 1) / 3) + 1,
      enterSync: () => engine?.stop() ?? Promise.resolve(),
      leaveSync: () => {
        if (network === undefined) return;
        try {
          consensusEngine(network).start();
        } catch (error) {
          // A sign state that cannot be read back: the node must not vote without it.
          fatal(error, "the consensus engine cannot start; the node shuts down");
        }
      },
    });

    if (bft) {
      network = createPeerNetwork(
        {
          chainId,
          host: config.p2p.host,
          port: config.p2p.port,
          nodeKey: privateKey,
          peers: config.p2p.peers,
          ...(pki ? { pki: pki.p2p } : {}),
        },
        {
          // Any node of the registry at the head, whatever its role, and the validators of the next two heights.
          isAllowed: createRegistryAdmission({ governance, isUpcomingValidator }),
          suite,
          logger,
          clock,
          certificatePolicy,
        },
      );
      const p2pPort = (await network.start()).port;
      logger.info({ host: config.p2p.host, port: p2pPort, peers: config.p2p.peers.length }, "p2p listening");
      const peers = network;
      gossip = new TxGossip(
        {},
        {
          network: peers,
          clock,
          admit: (raw) => {
            try {
              backend.admit(raw);
              return true;
            } catch {
              return false;
            }
          },
        },
      );
      gossip.start();
      const consensus = isValidator
        ? syncConsensus(validatorSet(chain.head.block.header.height + 1))
        : undefined;
      // The engine of a validator starts with the node (below); sync then shares the chain with it. A node outside
      // consensus follows the chain through sync alone, one block behind at most, until it joins the set.
      if (consensus !== undefined) consensusEngine(peers);
      sync = new BlockSync(consensus === undefined ? {} : { claimsToTrust: consensus.claimsToTrust }, {
        network: peers,
        clock,
        logger,
        ...chainSyncAdapter(chain, {
          chainId,
          validatorSet,
          afterImport: afterCommit,
        }),
        ...(consensus === undefined
          ? {}
          : { enterSync: consensus.enterSync, leaveSync: consensus.leaveSync }),
      });
    } else if (isValidator) {
      producer = new SoloProducer<ExecutedBlock>(
        {
          proposer: address,
          // A getter, so a ChainParams change paces the next block: the producer reads it for every block.
          get blockIntervalMs() {
            return params.blockIntervalMs;
          },
        },
        {
          app: {
            headHeight: () => chain.head.block.header.height,
            propose: async (input) => {
              produceTimer = metrics.blockCommitSeconds.startTimer();
              return chain.propose(input);
            },
            validate: (block) => chain.validate(block),
            commit: (executed: ExecutedBlock, _certificate: CommitCertificate | null) =>
              chain.commit(executed),
          },
          clock,
          selectTransactions: () => mempool.select(selectLimits),
          hasFullBlock: () => mempool.status().pending >= selectLimits.countMax,
          afterCommit,
          onError: (error) =>
            logger.error({ err: error }, "block production failed; retrying at the next interval"),
        },
      );
    }

    const backend: NodeRPCBackend = new NodeRPCBackend(
      { clientVersion: clientVersion() },
      {
        chain,
        executor,
        mempool,
        getProof: (root, account, slots) => state.getProof(root, account, slots),
        onAdmitted: (tx) => {
          updatePoolMetrics();
          producer?.poke();
          gossip?.announce(tx.raw);
        },
        peerCount: () => network?.peers().length ?? 0,
        syncProgress: () => sync?.progress(),
        ...(config.devnet.devAccounts
          ? {
              devSigner: createDevSigner({
                suite,
                chainId,
                privateKeys: deriveDevPrivateKeys(),
                pendingNonce: (addr) => backend.pendingNonce(addr),
                estimateGas: async (request) => {
                  const result: EstimateGasResult = await backend.estimateGas(
                    request,
                    chain.head.block.header.height,
                  );
                  if (result.kind === "success") return result.gas;
                  return chain.gasLimit;
                },
              }),
            }
          : {}),
      },
    );

    let rpc: RPCServer | undefined;
    let rpcPort: number | undefined;
    if (config.rpc.enabled) {
      rpc = createRPCServer({
        backend,
        host: config.rpc.host,
        port: config.rpc.port,
        cors: { allowedOrigins: config.rpc.corsOrigins.includes("*") ? "*" : config.rpc.corsOrigins },
        limits: {
          bodyBytesMax: config.rpc.bodyBytesMax,
          batchSizeMax: config.rpc.batchSizeMax,
          logsBlockRangeMax: config.rpc.logsBlockRangeMax,
          logsResultsMax: config.rpc.logsResultsMax,
          wsConnectionsMax: config.rpc.wsConnectionsMax,
        },
        logger,
        methods: nodeRPCMethods(backend),
      });
      rpcPort = (await rpc.start()).port;
      logger.info({ url: `http://${config.rpc.host}:${rpcPort}` }, "JSON-RPC listening (HTTP and WebSocket)");
    }

    const metricsServer = config.metrics.enabled
      ? createMetricsServer({
          host: config.metrics.host,
          port: config.metrics.port,
          metrics,
          health: () => {
            const ageMs = clock.now() - chain.head.block.header.timestampMs;
            const stalled = producer !== undefined && ageMs > Math.max(10 * params.blockIntervalMs, 10_000);
            return {
              status: stalled ? "stalled" : sync?.progress() !== undefined ? "syncing" : "ok",
              height: chain.head.block.header.height,
              headAgeMs: ageMs,
              chainId: String(genesis.chainId),
            };
          },
        })
      : undefined;
    const metricsPort = metricsServer ? await metricsServer.start() : undefined;
    if (metricsPort !== undefined) {
      logger.info(
        { url: `http://${config.metrics.host}:${metricsPort}` },
        "metrics listening (/metrics, /health)",
      );
    }

    const expiry = pki
      ? new CertificateExpiryMonitor(
          { certificates: pki.certificates },
          // Each hourly check also drops links whose certificates expired or were revoked since their handshake.
          { clock, logger, onCheck: () => network?.revalidatePeers() },
        )
      : undefined;
    if (expiry) metrics.observeCertificates(() => expiry.secondsLeft());

    stop = async () => {
      if (stopped) return;
      stopped = true;
      expiry?.stop();
      await producer?.stop();
      await sync?.stop();
      await engine?.stop();
      gossip?.stop();
      await network?.stop();
      await rpc?.close();
      await metricsServer?.close();
      await kv.close();
      logger.info({ height: chain.head.block.header.height }, "node stopped");
    };
    expiry?.start();
    producer?.start();
    engine?.start();
    sync?.start();
    const syncer = sync;
    const peerNetwork = network;
    if (syncer !== undefined && peerNetwork !== undefined)
      metrics.observeNetwork({
        peers: () => peerNetwork.peers().length,
        syncing: () => syncer.progress() !== undefined,
        peersHeight: () => syncer.peersHeight(),
      });

    return {
      chain,
      mempool,
      rpcPort,
      metricsPort,
      address,
      logger,
      stop,
    };
  } catch (error) {
    await kv.close().catch(() => {});
    throw error;
  }
}

function suiteFor(genesis: Genesis): CryptoSuite {
  return genesis.crypto === "sm" ? createSmSuite() : createEcdsaSuite();
}

function readNodeKey(path: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new NodeError(
      "config",
      `cannot read the node key file ${path}: ${(error as Error).message}; create one with \`charter keys generate\``,
    );
  }
  const hex = text.startsWith("0x") ? text : `0x${text}`;
  if (!isHexData(hex) || hex.length !== 66) {
    throw new NodeError("config", `the node key file ${path} must hold a 32-byte private key in hex`);
  }
  return hexToBytes(hex);
}

/** ECRECOVER for the EVM through libsecp256k1, in the shape `@ethereumjs/common` expects. */
function evmEcrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array): Uint8Array {
  const recovery = v - 27n;
  if (recovery !== 0n && recovery !== 1n) throw new Error("invalid signature v");
  const signature = new Uint8Array(65);
  signature.set(r.slice(-32), 32 - Math.min(32, r.length));
  signature.set(s.slice(-32), 64 - Math.min(32, s.length));
  signature[64] = Number(recovery);
  const publicKey = ecrecover(msgHash, signature);
  if (publicKey === null) throw new Error("invalid signature");
  // @ethereumjs expects the 64-byte public key without the 0x04 prefix.
  return publicKey.length === 65 ? publicKey.slice(1) : publicKey;
}
