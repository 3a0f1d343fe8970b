import { Chain } from "@charter/chain";
import { createLastCommitVerifier, createValidatorSet, SignedType, signBytes } from "@charter/consensus";
import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { Executor } from "@charter/execution";
import { createMemoryKv } from "@charter/kv";
import { createPeerNetwork, type PeerNetwork } from "@charter/p2p";
import { StateDB } from "@charter/state";
import type { CommitCertificate } from "@charter/types";
import { bytesToHex, systemClock } from "@charter/utils";
import { afterEach, describe, expect, it } from "vitest";
import { BlockSync, type BlockSyncModules, type BlockSyncOptions } from "./blockSync.js";
import { chainSyncAdapter } from "./chainSync.js";
import { PeerMessageType } from "./txGossip.js";

const suite = createEcdsaSuite();
const CHAIN_ID = 7345n;
const validatorKeys = [1, 2, 3, 4].map((i) => keccak256(new Uint8Array([i])));
const validatorSet = createValidatorSet(
  validatorKeys.map((key) => {
    const publicKey = suite.publicKeyFromPrivateKey(key);
    return { address: suite.addressFromPublicKey(publicKey), publicKey, weight: 1 };
  }),
);
const silent = { debug() {}, info() {}, warn() {} };

async function openChain(): Promise<Chain> {
  const kv = createMemoryKv();
  return Chain.open({
    kv,
    suite,
    state: new StateDB({ kv, hash: suite.hash, codeHash: keccak256 }),
    executor: new Executor({ chainId: CHAIN_ID, blockHash: async () => undefined }),
    genesis: {
      chainId: CHAIN_ID,
      timestampMs: 1_700_000_000_000,
      gasLimit: 30_000_000n,
      alloc: new Map(),
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

function certify(height: number, blockHash: Uint8Array, signers: readonly number[]): CommitCertificate {
  const digest = suite.hash(
    signBytes({ chainId: CHAIN_ID, type: SignedType.precommit, height, round: 0, blockHash }),
  );
  return {
    height,
    round: 0,
    blockHash,
    signatures: signers.map((i) => ({
      validator: validatorSet.validators[i]!.address,
      signature: suite.sign(digest, validatorKeys[i]!),
    })),
  };
}

/** Extends `chain` by `count` empty blocks, each committed with a certificate of validators 0-2. */
async function grow(chain: Chain, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const executed = await chain.propose({
      timestampMs: chain.head.block.header.timestampMs + 1000,
      proposer: validatorSet.validators[0]!.address,
      transactions: [],
      lastCommit: chain.headCertificate,
    });
    await chain.commit(executed, certify(executed.block.header.height, executed.hash, [0, 1, 2]));
  }
}

interface Member {
  readonly chain: Chain;
  readonly network: PeerNetwork;
  readonly sync: BlockSync;
  readonly events: string[];
}

let running: Member[] = [];
afterEach(async () => {
  for (const m of running) {
    await m.sync.stop();
    await m.network.stop();
  }
  running = [];
});

const nodeKeys = [11, 12, 13].map((i) => keccak256(new Uint8Array([i, 42])));
const nodeAddresses = new Set(
  nodeKeys.map((k) => bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(k)))),
);

/** Real p2p nodes on 127.0.0.1, fully connected, each with its own in-memory chain and block sync. */
async function cluster(
  chains: readonly Chain[],
  configure: (index: number, modules: BlockSyncModules) => BlockSyncModules = (_, m) => m,
  optionsFor: (index: number) => Partial<BlockSyncOptions> = () => ({}),
): Promise<Member[]> {
  const members: Member[] = [];
  const ports: number[] = [];
  for (const [i, chain] of chains.entries()) {
    const network = createPeerNetwork(
      { chainId: CHAIN_ID, nodeKey: nodeKeys[i]!, port: 0 },
      { isAllowed: (a) => nodeAddresses.has(a) },
    );
    ports.push((await network.start()).port);
    const events: string[] = [];
    const modules = configure(i, {
      network,
      clock: systemClock,
      logger: silent,
      ...chainSyncAdapter(chain, { chainId: CHAIN_ID, validatorSet: () => validatorSet }),
    });
    const sync = new BlockSync(
      { statusIntervalMs: 50, blocksPerResponseMax: 8, lagToStart: 1, ...optionsFor(i) },
      modules,
    );
    members.push({ chain, network, sync, events });
    running.push(members.at(-1)!);
  }
  for (const [i, member] of members.entries())
    for (const [j, port] of ports.entries()) if (j > i) member.network.connect(undefined, "127.0.0.1", port);
  const deadline = Date.now() + 10_000;
  while (members.some((m) => m.network.peers().length < chains.length - 1)) {
    if (Date.now() > deadline) throw new Error("the test cluster did not connect");
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const m of members) m.sync.start();
  return members;
}

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("block sync", () => {
  it("a new node fetches 40 certified blocks in ranges and ends with the same head and state", async () => {
    const source = await openChain();
    await grow(source, 40);
    const fresh = await openChain();
    const [, follower] = await cluster([source, fresh]);
    await until("the follower to reach height 40", () => fresh.head.block.header.height === 40);
    expect(fresh.head.hash).toEqual(source.head.hash);
    expect(fresh.head.block.header.stateRoot).toEqual(source.head.block.header.stateRoot);
    expect(fresh.headCertificate?.height).toBe(40);
    // 8 blocks per response: at least 5 requests.
    expect(follower!.sync.stats().requests).toBeGreaterThanOrEqual(5);
    expect(follower!.sync.stats().imported).toBe(40);
  });

  it("reports progress for eth_syncing while more than one block behind, and none at the tip", async () => {
    const source = await openChain();
    await grow(source, 20);
    const fresh = await openChain();
    const seen: unknown[] = [];
    let members: Member[] = [];
    members = await cluster([source, fresh], (index, modules) =>
      index === 0
        ? modules
        : {
            ...modules,
            importBlock: async (block, certificate) => {
              seen.push(members[1]?.sync.progress());
              await modules.importBlock(block, certificate);
            },
          },
    );
    await until("height 20", () => fresh.head.block.header.height === 20);
    expect(seen).toContainEqual({ startingBlock: 0, currentBlock: 10, highestBlock: 20 });
    expect(members[1]!.sync.progress()).toBeUndefined();
  });

  it("keeps following a chain that grows", async () => {
    const source = await openChain();
    await grow(source, 3);
    const fresh = await openChain();
    await cluster([source, fresh]);
    await until("height 3", () => fresh.head.block.header.height === 3);
    await grow(source, 5);
    await until("height 8", () => fresh.head.block.header.height === 8);
    expect(fresh.head.hash).toEqual(source.head.hash);
  });

  it("refuses blocks whose certificate is not a quorum, and syncs from an honest peer instead", async () => {
    const honest = await openChain();
    await grow(honest, 12);
    const liar = await openChain();
    await grow(liar, 12);
    const fresh = await openChain();
    // The liar claims a far higher head and serves its blocks with two of four signatures.
    const [, , follower] = await cluster([honest, liar, fresh], (index, modules) =>
      index !== 1
        ? modules
        : {
            ...modules,
            headHeight: () => 100,
            readDecided: async (height) => {
              const decided = await modules.readDecided(height);
              return (
                decided && { ...decided, certificate: certify(height, decided.certificate.blockHash, [0, 1]) }
              );
            },
          },
    );
    await until("the follower to reach the honest head", () => fresh.head.block.header.height === 12);
    expect(fresh.head.hash).toEqual(honest.head.hash);
    expect(follower!.sync.stats().badResponses).toBeGreaterThanOrEqual(1);
  });

  it("a validator is not talked out of consensus by one peer claiming a height nobody else has", async () => {
    const chains = [await openChain(), await openChain(), await openChain()];
    for (const chain of chains) await grow(chain, 5);
    const entered: number[] = [];
    const lie = (modules: BlockSyncModules): BlockSyncModules => ({ ...modules, headHeight: () => 1_000 });
    const validator = (modules: BlockSyncModules): BlockSyncModules => ({
      ...modules,
      enterSync: async () => {
        entered.push(chains[2]!.head.block.header.height);
      },
      leaveSync: () => {},
    });
    const [, , member] = await cluster(
      chains,
      (index, modules) => (index === 1 ? lie(modules) : index === 2 ? validator(modules) : modules),
      (index) => (index === 2 ? { lagToStart: 3, claimsToTrust: 2 } : {}),
    );
    await new Promise((r) => setTimeout(r, 600));
    expect(member!.sync.peersHeight()).toBe(5);
    expect(entered).toEqual([]);
  });

  it("a liar's height claim stops counting once it fails to serve, so a validator rejoins consensus", async () => {
    const chains = [await openChain(), await openChain(), await openChain()];
    for (const chain of chains) await grow(chain, 5);
    const calls: string[] = [];
    const [, , member] = await cluster(
      chains,
      (index, modules) =>
        index === 1
          ? { ...modules, headHeight: () => 1_000 }
          : index === 2
            ? {
                ...modules,
                enterSync: async () => {
                  calls.push("enter");
                },
                leaveSync: () => calls.push("leave"),
              }
            : modules,
      (index) => (index === 2 ? { lagToStart: 3, requestTimeoutMs: 200 } : {}),
    );
    await until("the validator to give up on the liar", () => calls.length >= 2);
    expect(calls.slice(0, 2)).toEqual(["enter", "leave"]);
    expect(member!.sync.stats().requests).toBeGreaterThanOrEqual(1);
    expect(member!.sync.syncing).toBe(false);
    expect(chains[2]!.head.block.header.height).toBe(5);
  });

  it("a validator leaves consensus while behind and rejoins when caught up", async () => {
    const source = await openChain();
    await grow(source, 20);
    const fresh = await openChain();
    const calls: string[] = [];
    const [, follower] = await cluster([source, fresh], (index, modules) =>
      index === 0
        ? modules
        : {
            ...modules,
            enterSync: async () => {
              calls.push(`enter@${fresh.head.block.header.height}`);
            },
            leaveSync: () => calls.push(`leave@${fresh.head.block.header.height}`),
          },
    );
    await until("the validator to rejoin", () => calls.length === 2);
    expect(calls[0]).toBe("enter@0");
    expect(Number(calls[1]!.split("@")[1])).toBeGreaterThanOrEqual(19);
    expect(follower!.sync.syncing).toBe(false);
  });

  it("hands the chain to consensus when the node joins the validator set, and takes it back when it leaves", async () => {
    const source = await openChain();
    await grow(source, 10);
    const fresh = await openChain();
    const [, follower] = await cluster([source, fresh]);
    const member = follower!;
    await until("the follower to reach height 10", () => fresh.head.block.header.height === 10);
    expect(member.sync.consensusRunning).toBe(false);

    const calls: string[] = [];
    const consensus = {
      claimsToTrust: 1,
      enterSync: async () => {
        calls.push(`stop@${fresh.head.block.header.height}`);
      },
      leaveSync: () => calls.push(`start@${fresh.head.block.header.height}`),
    };
    member.sync.setConsensus(consensus);
    // Not applied inside the call: the caller may be the engine's own commit callback.
    expect(calls).toEqual([]);
    await until("the engine to start", () => calls.length === 1);
    expect(calls).toEqual(["start@10"]);
    expect(member.sync.consensusRunning).toBe(true);
    expect(member.sync.syncing).toBe(false);

    // Updating a validator's claimsToTrust changes nothing else.
    member.sync.setConsensus({ ...consensus, claimsToTrust: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toEqual(["start@10"]);

    // Leaving the set stops the engine; the node then follows the chain by sync, a block behind at most.
    member.sync.setConsensus(undefined);
    await until("the engine to stop", () => calls.length === 2);
    expect(calls[1]).toBe("stop@10");
    expect(member.sync.consensusRunning).toBe(false);
    await grow(source, 3);
    await until("the follower to reach height 13", () => fresh.head.block.header.height === 13);
    expect(member.sync.syncing).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it("a node that joins the set while far behind syncs first and starts its engine once caught up", async () => {
    const source = await openChain();
    await grow(source, 30);
    const fresh = await openChain();
    const calls: string[] = [];
    const [, follower] = await cluster([source, fresh], (index, modules) =>
      index === 0
        ? modules
        : {
            ...modules,
            importBlock: async (block, certificate) => {
              // Joins the set while importing its first range.
              if (block.header.height === 2)
                follower?.sync.setConsensus({
                  claimsToTrust: 1,
                  enterSync: async () => {
                    calls.push("stop");
                  },
                  leaveSync: () => calls.push(`start@${fresh.head.block.header.height}`),
                });
              await modules.importBlock(block, certificate);
            },
          },
    );
    await until("the engine to start", () => calls.length === 1);
    expect(Number(calls[0]!.split("@")[1])).toBeGreaterThanOrEqual(29);
    expect(follower!.sync.consensusRunning).toBe(true);
  });

  it("ignores malformed and unsolicited sync messages", async () => {
    const source = await openChain();
    await grow(source, 2);
    const fresh = await openChain();
    const [a, b] = await cluster([source, fresh]);
    await until("height 2", () => fresh.head.block.header.height === 2);
    const peer = b!.network.address;
    for (const payload of [Uint8Array.of(0xff), Uint8Array.of(0xc1, 0x80), new Uint8Array(64).fill(0xc0)]) {
      a!.network.send(peer, PeerMessageType.syncStatus, payload);
      a!.network.send(peer, PeerMessageType.syncRequest, payload);
      a!.network.send(peer, PeerMessageType.syncBlocks, payload);
    }
    await grow(source, 1);
    await until("height 3", () => fresh.head.block.header.height === 3);
    expect(fresh.head.hash).toEqual(source.head.hash);
  });
});
