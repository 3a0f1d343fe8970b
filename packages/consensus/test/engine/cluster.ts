import { type Chain, Chain as ChainClass, createChainApplication, type ExecutedBlock } from "@charter/chain";
import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { Executor, type GenesisAccount } from "@charter/execution";
import { createMemoryKv, type KvStore } from "@charter/kv";
import { StateDB } from "@charter/state";
import { type Block, decodeBlock, encodeBlock, signTx, TxType, type VerifiedTx } from "@charter/types";
import { bytesToHex } from "@charter/utils";
import {
  ConsensusEngine,
  type ConsensusMessage,
  type ConsensusTimeouts,
  type ConsensusTransport,
  createLastCommitVerifier,
  createValidatorSet,
  KvConsensusWAL,
  type ValidatorSet,
} from "../../src/index.js";
import { Prng } from "../sim/prng.js";
import { VirtualClock } from "./virtualClock.js";

export const suite = createEcdsaSuite();
export const CHAIN_ID = 7345n;
const GENESIS_MS = 1_700_000_000_000;
export const TIMEOUTS: ConsensusTimeouts = {
  proposeMs: 300,
  prevoteMs: 100,
  precommitMs: 100,
  deltaMs: 100,
  timeoutMaxMs: 2000,
  rebroadcastMs: 150,
};
const BLOCK_INTERVAL_MS = 500;

const keys = [1, 2, 3, 4].map((i) => keccak256(new Uint8Array([i])));
const publicKeys = keys.map((k) => suite.publicKeyFromPrivateKey(k));
export const addresses = publicKeys.map((p) => suite.addressFromPublicKey(p));
export const validatorSet: ValidatorSet = createValidatorSet(
  publicKeys.map((publicKey, i) => ({ address: addresses[i]!, publicKey, weight: 1 })),
);
const userKey = keccak256(new Uint8Array([99]));
const user = suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(userKey));
export const RECIPIENT = new Uint8Array(20).fill(0x42);

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** One message as it left a node, for the double-sign check. */
export interface Sent {
  readonly from: number;
  readonly message: ConsensusMessage<Block>;
}

export interface NetworkFaults {
  readonly dropProbability: number;
  readonly delayMsMax: number;
}

interface Member {
  readonly kv: KvStore;
  chain: Chain;
  engine: ConsensusEngine<ExecutedBlock>;
  handler: ((from: string, message: ConsensusMessage<Block>) => void) | undefined;
}

/**
 * Four real engines, each on a real `Chain` over its own memory KV, connected by an in-memory transport that
 * drops and delays messages with a seeded PRNG, all on one virtual clock.
 */
export class EngineCluster {
  readonly clock = new VirtualClock(GENESIS_MS + 1000);
  readonly sent: Sent[] = [];
  readonly fatal: unknown[] = [];
  readonly #prng: Prng;
  readonly #faults: NetworkFaults;
  readonly #members: Member[] = [];
  /** Transfers from one user with nonces 0, 1, 2, …; proposers take those not yet included. */
  readonly #txs: VerifiedTx[] = [];

  private constructor(seed: number, faults: NetworkFaults) {
    this.#prng = new Prng(seed);
    this.#faults = faults;
  }

  static async create(options: { seed: number; faults?: NetworkFaults }): Promise<EngineCluster> {
    const cluster = new EngineCluster(options.seed, options.faults ?? { dropProbability: 0, delayMsMax: 5 });
    for (let i = 0; i < 4; i++) {
      const kv = createMemoryKv();
      const chain = await openChain(kv);
      const member: Member = { kv, chain, engine: undefined as never, handler: undefined };
      cluster.#members.push(member);
      member.engine = cluster.#newEngine(i);
    }
    for (let n = 0; n < 40; n++) cluster.#txs.push(transfer(BigInt(n)));
    return cluster;
  }

  chain(i: number): Chain {
    return this.#members[i]!.chain;
  }

  engine(i: number): ConsensusEngine<ExecutedBlock> {
    return this.#members[i]!.engine;
  }

  start(i?: number): void {
    for (const [index, m] of this.#members.entries()) if (i === undefined || i === index) m.engine.start();
  }

  async stop(i: number): Promise<void> {
    await this.#members[i]!.engine.stop();
  }

  /** Starts the same engine object of node `i` again after `stop` (as the node does after block sync). */
  resume(i: number): void {
    this.#members[i]!.engine.start();
  }

  /** Restarts node `i` from what its store holds: a reopened chain and the sign state in its WAL. */
  async restart(i: number): Promise<void> {
    const m = this.#members[i]!;
    await m.engine.stop();
    m.chain = await openChain(m.kv);
    m.engine = this.#newEngine(i);
    m.engine.start();
  }

  /** Advances virtual time event by event until `done` holds or `virtualMs` passes. */
  async runUntil(done: () => boolean, virtualMs: number): Promise<boolean> {
    const deadline = this.clock.now() + virtualMs;
    for (;;) {
      for (const m of this.#members) await m.engine.settled();
      if (done()) return true;
      if (this.fatal.length > 0) throw this.fatal[0];
      if (!this.clock.fireNext(deadline)) return done();
    }
  }

  heights(): number[] {
    return this.#members.map((m) => m.chain.head.block.header.height);
  }

  #newEngine(i: number): ConsensusEngine<ExecutedBlock> {
    const m = this.#members[i]!;
    const chain = (): Chain => m.chain;
    const transport: ConsensusTransport<Block> = {
      broadcast: (message) => {
        this.sent.push({ from: i, message });
        for (let to = 0; to < 4; to++) if (to !== i) this.#deliver(i, to, message);
      },
      send: (to, message) => {
        this.sent.push({ from: i, message });
        this.#deliver(i, Number(to), message);
      },
      onMessage: (handler) => {
        m.handler = handler;
        return () => {
          if (m.handler === handler) m.handler = undefined;
        };
      },
    };
    const wal = new KvConsensusWAL<Block>(
      {},
      {
        store: m.kv,
        crypto: suite,
        codec: { encode: encodeBlock, decode: (bytes) => decodeBlock(bytes, { suite, chainId: CHAIN_ID }) },
      },
    );
    return new ConsensusEngine<ExecutedBlock>(
      { chainId: CHAIN_ID, address: addresses[i]!, timeouts: TIMEOUTS, blockIntervalMs: BLOCK_INTERVAL_MS },
      {
        app: createChainApplication(m.chain, { nowMs: () => this.clock.now() }),
        transport,
        wal,
        clock: this.clock,
        crypto: suite,
        sign: (digest) => suite.sign(digest, keys[i]!),
        validatorSet: () => validatorSet,
        selectTransactions: () => {
          const nonce = chain().worldState.latest().getAccount(user)?.nonce ?? 0n;
          // A few per block, so every block of a run carries transactions.
          return this.#txs.filter((tx) => tx.nonce >= nonce).slice(0, 3);
        },
        logger: silent,
        onFatal: (error) => this.fatal.push(error),
      },
    );
  }

  #deliver(from: number, to: number, message: ConsensusMessage<Block>): void {
    if (this.#prng.chance(this.#faults.dropProbability)) return;
    const delay = this.#prng.int(0, this.#faults.delayMsMax);
    this.clock.setTimer(delay, () => this.#members[to]!.handler?.(String(from), message));
  }
}

async function openChain(kv: KvStore): Promise<Chain> {
  const alloc = new Map<string, GenesisAccount>([[bytesToHex(user), { balance: 10n ** 21n }]]);
  const executor = new Executor({ chainId: CHAIN_ID, blockHash: async () => undefined });
  const state = new StateDB({ kv, hash: suite.hash, codeHash: keccak256 });
  return ChainClass.open({
    kv,
    suite,
    state,
    executor,
    genesis: {
      chainId: CHAIN_ID,
      timestampMs: GENESIS_MS,
      gasLimit: 30_000_000n,
      alloc,
      validators: validatorSet.validators,
      extraData: new Uint8Array(0),
    },
    verifyLastCommit: createLastCommitVerifier({
      chainId: CHAIN_ID,
      crypto: suite,
      validatorSet: () => validatorSet,
    }),
  });
}

function transfer(nonce: bigint): VerifiedTx {
  const tx = signTx(
    {
      type: TxType.feeMarket,
      chainId: CHAIN_ID,
      nonce,
      gasPrice: 0n,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
      gasLimit: 21_000n,
      to: RECIPIENT,
      value: 1n,
      data: new Uint8Array(0),
      accessList: [],
    },
    userKey,
    suite,
  );
  return { ...tx, sender: user };
}
