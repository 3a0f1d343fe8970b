import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { Executor } from "@charter/execution";
import {
  accountStatusArtifact,
  COMMITTEE_ADDRESS,
  committeeArtifact,
  createGovernanceView,
  defaultGovernanceGenesis,
  NODE_REGISTRY_ADDRESS,
  NodeRole,
  nodeRegistryArtifact,
  orgIdToBytes32,
  SYSTEM_ADDRESSES,
} from "@charter/governance";
import { createMemoryKv, type KvStore } from "@charter/kv";
import { StateDB } from "@charter/state";
import { type Receipt, signTx, TxType, type VerifiedTx } from "@charter/types";
import { bytesToHex, hexToBytes } from "@charter/utils";
import { type Abi, decodeEventLog, encodeFunctionData, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { Chain, type ChainGenesis } from "./chain.js";
import { ChainError } from "./errors.js";
import { type ChainValidator, VALIDATOR_REGISTRY_ADDRESS, validatorSetHash } from "./validatorRegistry.js";

const suite = createEcdsaSuite();
const CHAIN_ID = 7345n;
const GENESIS_MS = 1_700_000_000_000;
// Validators 0-3 are the genesis set (and, by default, the committee); 4 is voted in.
const keys = [0, 1, 2, 3, 4].map((i) => keccak256(new Uint8Array([i, 9])));
const members: ChainValidator[] = keys.map((key) => {
  const publicKey = suite.publicKeyFromPrivateKey(key);
  return { address: suite.addressFromPublicKey(publicKey), publicKey, weight: 1 };
});
const addr = (i: number) => members[i]!.address;
const GENESIS_SET = members.slice(0, 4);
const userKey = keccak256(new Uint8Array([77]));
const user = suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(userKey));

function genesis(overrides: Partial<ChainGenesis> = {}): ChainGenesis {
  return {
    chainId: CHAIN_ID,
    timestampMs: GENESIS_MS,
    gasLimit: 30_000_000n,
    alloc: new Map([[bytesToHex(user), { balance: 10n ** 21n }]]),
    validators: GENESIS_SET,
    extraData: new Uint8Array(0),
    ...overrides,
  };
}

async function openChain(kv: KvStore = createMemoryKv(), g: ChainGenesis = genesis()): Promise<Chain> {
  return Chain.open({
    kv,
    suite,
    state: new StateDB({ kv, hash: suite.hash, codeHash: keccak256 }),
    executor: new Executor({ chainId: CHAIN_ID, blockHash: async () => undefined }),
    genesis: g,
  });
}

const nonces = new Map<string, bigint>();
/** A transaction from `key` calling `abi.functionName(args)` at `to` (gas is free: no balance needed). */
function call(
  key: Uint8Array,
  to: Uint8Array,
  abi: Abi,
  functionName: string,
  args: readonly unknown[],
): VerifiedTx {
  const sender = suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(key));
  const nonce = nonces.get(bytesToHex(sender)) ?? 0n;
  nonces.set(bytesToHex(sender), nonce + 1n);
  const data = hexToBytes(encodeFunctionData({ abi, functionName, args } as never) as Hex);
  const tx = signTx(
    {
      type: TxType.feeMarket,
      chainId: CHAIN_ID,
      nonce,
      gasPrice: 0n,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
      gasLimit: 2_000_000n,
      to,
      value: 0n,
      data,
      accessList: [],
    },
    key,
    suite,
  );
  return { ...tx, sender };
}

const committee = committeeArtifact.abi as unknown as Abi;
const nodeRegistry = nodeRegistryArtifact.abi as unknown as Abi;
const accountStatus = accountStatusArtifact.abi as unknown as Abi;
/** Member `i` proposes that the Committee call `abi.functionName(args)` at `target`. */
function propose(
  i: number,
  target: Uint8Array,
  abi: Abi,
  functionName: string,
  args: readonly unknown[],
): VerifiedTx {
  const data = encodeFunctionData({ abi, functionName, args } as never);
  return call(keys[i]!, COMMITTEE_ADDRESS, committee, "propose", [
    bytesToHex(target),
    data,
    functionName,
    50n,
  ]);
}
const vote = (i: number, id: bigint) => call(keys[i]!, COMMITTEE_ADDRESS, committee, "vote", [id, true]);

/** Event names of a block's receipts, in order. */
function events(receipts: readonly Receipt[]): string[] {
  const abis = [committee, nodeRegistry, accountStatus];
  return receipts.flatMap((r) =>
    r.logs.map((log) => {
      for (const abi of abis) {
        try {
          return String(
            decodeEventLog({
              abi,
              topics: log.topics.map((t) => bytesToHex(t)) as [Hex, ...Hex[]],
              data: bytesToHex(log.data) as Hex,
            }).eventName,
          );
        } catch {
          // Another contract's event.
        }
      }
      return "?";
    }),
  );
}

/** Proposes on `a` (by validator `proposer`), validates on `b`, commits on both. */
async function step(a: Chain, b: Chain, proposer: number, transactions: VerifiedTx[] = []) {
  const executed = await a.propose({
    timestampMs: a.head.block.header.timestampMs + 1000,
    proposer: addr(proposer),
    transactions,
    lastCommit: null,
  });
  expect(executed.execution.rejected).toEqual([]);
  const validated = await b.validate(executed.block);
  await a.commit(executed);
  await b.commit(validated);
  return executed;
}

const addresses = (chain: Chain, height: number) =>
  chain.validatorsAt(height).validators.map((v) => bytesToHex(v.address));

describe("a chain governed by its system contracts", () => {
  it("is created with the system contracts, the NodeRegistry holding the genesis set where consensus reads it", async () => {
    const chain = await openChain();
    const state = chain.worldState.latest();
    for (const [name, address] of Object.entries(SYSTEM_ADDRESSES)) {
      const account = state.getAccount(address);
      expect(account?.nonce, name).toBe(1n);
      expect(account!.codeHash, name).not.toEqual(keccak256(new Uint8Array(0)));
    }
    expect(bytesToHex(state.getCode(state.getAccount(VALIDATOR_REGISTRY_ADDRESS)!.codeHash))).toBe(
      nodeRegistryArtifact.deployedBytecode,
    );
    const genesisHash = validatorSetHash(GENESIS_SET, suite);
    for (const height of [0, 1, 2]) expect(chain.validatorsAt(height).hash).toEqual(genesisHash);
    expect(chain.head.block.header.validatorsHash).toEqual(genesisHash);
    const gov = createGovernanceView((address, slot) => state.getStorage(address, slot));
    expect(gov.node(addr(2))).toEqual({
      role: "validator",
      weight: 1,
      org: "org2",
      publicKey: members[2]!.publicKey,
    });
    expect(gov.committeeWeight(addr(3))).toBe(1);
    expect(gov.chainParam("blockGasLimit")).toBe(30_000_000n);
  });

  it("admits a validator by proposal and vote: in the set from two heights after the block that executes it", async () => {
    nonces.clear();
    const a = await openChain();
    const b = await openChain();
    const candidate = members[4]!;
    const node = [
      bytesToHex(candidate.address),
      bytesToHex(orgIdToBytes32("org1")),
      NodeRole.validator,
      1n,
      bytesToHex(candidate.publicKey.slice(1, 33)),
      bytesToHex(candidate.publicKey.slice(33)),
    ];
    // Block 1: the proposal. Block 2: three of the four members vote for it; the third vote executes it.
    const first = await step(a, b, 0, [propose(0, NODE_REGISTRY_ADDRESS, nodeRegistry, "addNode", [node])]);
    expect(events(first.receipts)).toEqual(["ProposalCreated"]);
    const second = await step(a, b, 1, [vote(0, 1n), vote(1, 1n), vote(2, 1n)]);
    expect(second.receipts.map((r) => r.status)).toEqual([1, 1, 1]);
    expect(events(second.receipts)).toEqual([
      "Voted",
      "Voted",
      "Voted",
      "ProposalPassed",
      "NodeAdded",
      "ValidatorSetChanged",
      "ProposalExecuted",
    ]);
    const genesisSet = GENESIS_SET.map((v) => bytesToHex(v.address));
    expect(addresses(a, 3)).toEqual(genesisSet);
    expect(addresses(a, 4)).toEqual([...genesisSet, bytesToHex(candidate.address)]);
    expect(b.validatorsAt(4).hash).toEqual(a.validatorsAt(4).hash);

    // The newcomer may not propose height 3, but may propose height 4.
    await expect(
      a.propose({
        timestampMs: GENESIS_MS + 10_000,
        proposer: candidate.address,
        transactions: [],
        lastCommit: null,
      }),
    ).rejects.toThrow(/not a validator at that height/);
    await step(a, b, 2);
    const fourth = await step(a, b, 4);
    expect(fourth.block.header.proposer).toEqual(candidate.address);
    expect(fourth.block.header.validatorsHash).toEqual(a.validatorsAt(4).hash);
  });

  it("freezes an account by proposal: recorded in AccountStatus and read by the node from the block's state", async () => {
    nonces.clear();
    const a = await openChain();
    const b = await openChain();
    await step(a, b, 0, [
      propose(3, SYSTEM_ADDRESSES.AccountStatus, accountStatus, "freeze", [bytesToHex(user)]),
    ]);
    const before = a.head.block.header.stateRoot;
    const executed = await step(a, b, 1, [vote(3, 1n), vote(2, 1n), vote(1, 1n)]);
    expect(events(executed.receipts)).toContain("StatusChanged");
    const statusAt = (root: Uint8Array) => {
      const state = a.worldState.at(root);
      return createGovernanceView((address, slot) => state.getStorage(address, slot)).accountStatus(user);
    };
    expect(statusAt(before)).toBe("normal");
    expect(statusAt(a.head.block.header.stateRoot)).toBe("frozen");
  });

  it("refuses allocations in the system range and a governance section that breaks a rule", async () => {
    const inRange = new Map([["0x0000000000000000000000000000000000001007", { balance: 1n }]]);
    await expect(openChain(createMemoryKv(), genesis({ alloc: inRange }))).rejects.toMatchObject({
      code: "invalid-genesis",
      message: expect.stringMatching(/reserved for system contracts/),
    });
    const governance = {
      ...defaultGovernanceGenesis(GENESIS_SET),
      validatorOrgs: ["org0", "org0", "org0", "nowhere"],
    };
    const error = await openChain(createMemoryKv(), genesis({ governance })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).code).toBe("invalid-genesis");
    expect((error as ChainError).message).toMatch(/validator 3 in organization "nowhere"/);
  });

  it("covers the governance in the genesis digest: a store opens only with the governance it was created with", async () => {
    const kv = createMemoryKv();
    await openChain(kv);
    // The default written out is the same genesis.
    await expect(
      openChain(kv, genesis({ governance: defaultGovernanceGenesis(GENESIS_SET) })),
    ).resolves.toBeDefined();
    await expect(openChain(kv, genesis({ blockIntervalMs: 1000 }))).resolves.toBeDefined();
    for (const changed of [
      genesis({ governance: { ...defaultGovernanceGenesis(GENESIS_SET), approvalBps: 7500 } }),
      genesis({ blockIntervalMs: 500 }),
      genesis({ governance: null }),
    ])
      await expect(openChain(kv, changed)).rejects.toMatchObject({ code: "genesis-mismatch" });
  });
});
