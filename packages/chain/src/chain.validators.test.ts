import { readFileSync } from "node:fs";
import { createLastCommitVerifier, createValidatorSet, SignedType, signBytes } from "@charter/consensus";
import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { Executor } from "@charter/execution";
import { createMemoryKv, type KvStore } from "@charter/kv";
import { StateDB } from "@charter/state";
import { compileSolidity } from "@charter/testing";
import {
  type Block,
  type CommitCertificate,
  type Header,
  logsBloom,
  receiptsRoot,
  signTx,
  TxType,
  transactionsRoot,
  type VerifiedTx,
} from "@charter/types";
import { bytesToHex, hexToBytes } from "@charter/utils";
import { type Abi, encodeFunctionData, type Hex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { Chain, type ChainGenesis } from "./chain.js";
import { ChainError } from "./errors.js";
import {
  type ChainValidator,
  VALIDATOR_REGISTRY_ADDRESS,
  VALIDATOR_REGISTRY_DEFAULT_CODE,
  validatorSetHash,
} from "./validatorRegistry.js";

const suite = createEcdsaSuite();
const CHAIN_ID = 7345n;
const GENESIS_MS = 1_700_000_000_000;
// Validators 0-3 are the genesis set; 4 joins by transaction, 5 never does.
const keys = [0, 1, 2, 3, 4, 5].map((i) => keccak256(new Uint8Array([i, 7])));
const members: ChainValidator[] = keys.map((key, i) => {
  const publicKey = suite.publicKeyFromPrivateKey(key);
  return { address: suite.addressFromPublicKey(publicKey), publicKey, weight: i === 4 ? 2 : 1 };
});
const addr = (i: number) => members[i]!.address;
const GENESIS_SET = members.slice(0, 4);
const userKey = keccak256(new Uint8Array([99]));
const user = suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(userKey));

let registry: { abi: Abi; code: Uint8Array };
beforeAll(() => {
  const source = readFileSync(
    new URL("../../testing/src/contracts/TestValidatorRegistry.sol", import.meta.url),
    "utf8",
  );
  const compiled = compileSolidity({ "TestValidatorRegistry.sol": source }, { evmVersion: "prague" })
    .TestValidatorRegistry!;
  registry = { abi: compiled.abi as Abi, code: hexToBytes(compiled.deployedBytecode) };
});

function genesis(overrides: Partial<ChainGenesis> = {}): ChainGenesis {
  return {
    chainId: CHAIN_ID,
    timestampMs: GENESIS_MS,
    gasLimit: 30_000_000n,
    alloc: new Map([
      [bytesToHex(user), { balance: 10n ** 21n }],
      [bytesToHex(VALIDATOR_REGISTRY_ADDRESS), { balance: 0n, code: registry.code }],
    ]),
    validators: GENESIS_SET,
    extraData: new Uint8Array(0),
    // No system contracts: these tests place a permissive registry (TestValidatorRegistry) at 0x…1000 to write
    // any set, valid or not. chain.governance.test.ts covers the NodeRegistry the genesis creates by default.
    governance: null,
    ...overrides,
  };
}

/** A BFT chain: its lastCommit rule checks the parent's certificate under `validatorsAt(parent height)`. */
async function openChain(kv: KvStore = createMemoryKv(), g: ChainGenesis = genesis()): Promise<Chain> {
  let chain: Chain | undefined;
  chain = await Chain.open({
    kv,
    suite,
    state: new StateDB({ kv, hash: suite.hash, codeHash: keccak256 }),
    executor: new Executor({ chainId: CHAIN_ID, blockHash: async () => undefined }),
    genesis: g,
    verifyLastCommit: createLastCommitVerifier({
      chainId: CHAIN_ID,
      crypto: suite,
      validatorSet: (height) => createValidatorSet(chain!.validatorsAt(height).validators),
    }),
  });
  return chain;
}

function certify(height: number, blockHash: Uint8Array, signers: readonly number[]): CommitCertificate {
  const digest = suite.hash(
    signBytes({ chainId: CHAIN_ID, type: SignedType.precommit, height, round: 0, blockHash }),
  );
  return {
    height,
    round: 0,
    blockHash,
    signatures: signers.map((i) => ({ validator: addr(i), signature: suite.sign(digest, keys[i]!) })),
  };
}

let nonce = 0n;
/** A call from the funded user to the registry contract. */
function call(functionName: string, args: readonly unknown[]): VerifiedTx {
  const data = encodeFunctionData({ abi: registry.abi, functionName, args } as never) as Hex;
  const tx = signTx(
    {
      type: TxType.feeMarket,
      chainId: CHAIN_ID,
      nonce: nonce++,
      gasPrice: 0n,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
      gasLimit: 300_000n,
      to: VALIDATOR_REGISTRY_ADDRESS,
      value: 0n,
      data: hexToBytes(data),
      accessList: [],
    },
    userKey,
    suite,
  );
  return { ...tx, sender: user };
}
const add = (i: number) =>
  call("add", [
    bytesToHex(addr(i)),
    BigInt(members[i]!.weight),
    bytesToHex(members[i]!.publicKey.slice(1, 33)),
    bytesToHex(members[i]!.publicKey.slice(33)),
  ]);

const next = (chain: Chain, proposer: number, transactions: VerifiedTx[] = []) =>
  chain.propose({
    timestampMs: chain.head.block.header.timestampMs + 1000,
    proposer: addr(proposer),
    transactions,
    lastCommit: chain.headCertificate,
  });

/** Proposes on `a`, validates on `b`, commits on both with a certificate by `signers`. */
async function step(a: Chain, b: Chain, proposer: number, signers: number[], txs: VerifiedTx[] = []) {
  const executed = await next(a, proposer, txs);
  const validated = await b.validate(executed.block);
  const certificate = certify(executed.block.header.height, executed.hash, signers);
  await a.commit(executed, certificate);
  await b.commit(validated, certificate);
  return executed;
}

function tampered(block: Block, change: Partial<Header>): Block {
  return { header: { ...block.header, ...change }, transactions: block.transactions };
}

async function rejection(chain: Chain, block: Block): Promise<ChainError> {
  const error = await chain.validate(block).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChainError);
  expect((error as ChainError).code).toBe("invalid-block");
  return error as ChainError;
}

const addresses = (chain: Chain, height: number) =>
  chain.validatorsAt(height).validators.map((v) => [bytesToHex(v.address), v.weight]);
const expected = (...entries: [number, number][]) => entries.map(([i, w]) => [bytesToHex(addr(i)), w]);

describe("validator sets from the registry in the chain's state", () => {
  it("a change made in block h is in force from h + 2, and headers, proposers and lastCommit follow it", async () => {
    nonce = 0n;
    const kv = createMemoryKv();
    const a = await openChain(kv);
    const b = await openChain();
    const oldHash = validatorSetHash(GENESIS_SET, suite);
    expect(a.head.block.header.validatorsHash).toEqual(oldHash);
    expect(a.validatorsAt(0).hash).toEqual(oldHash);
    expect(addresses(a, 2)).toEqual(expected([0, 1], [1, 1], [2, 1], [3, 1]));

    // Block 1: validator 4 joins with weight 2, validator 3 leaves (moved out by the last member).
    const first = await step(a, b, 0, [0, 1, 2], [add(4), call("remove", [3n])]);
    expect(first.receipts.map((r) => r.status)).toEqual([1, 1]);
    expect(first.block.header.validatorsHash).toEqual(oldHash);
    const newSet = [members[0]!, members[1]!, members[2]!, members[4]!];
    const newHash = validatorSetHash(newSet, suite);
    expect(a.validatorsAt(2).hash).toEqual(oldHash);
    expect(addresses(a, 3)).toEqual(expected([0, 1], [1, 1], [2, 1], [4, 2]));
    expect(a.validatorsAt(3).hash).toEqual(newHash);
    expect(b.validatorsAt(3).hash).toEqual(newHash);

    // Height 2 still has the old set: validator 4 may not propose yet, and the header names the old set.
    await expect(next(a, 4)).rejects.toThrow(/not a validator at that height/);
    const early = await next(a, 0);
    expect(early.block.header.validatorsHash).toEqual(oldHash);
    expect((await rejection(b, tampered(early.block, { proposer: addr(4) }))).message).toMatch(
      /proposer 0x[0-9a-f]{40} is not a validator at height 2/,
    );
    expect((await rejection(b, tampered(early.block, { validatorsHash: newHash }))).message).toMatch(
      /validatorsHash .* is not the hash of the validator set of height 2/,
    );
    // Validator 3 is still a member at height 2: it proposes and signs the certificate.
    const second = await step(a, b, 3, [1, 2, 3]);
    expect(second.block.header.validatorsHash).toEqual(oldHash);

    // Height 3: the new set. Its lastCommit certifies block 2 under the set of height 2 (the old one).
    const third = await next(a, 4);
    expect(third.block.header.validatorsHash).toEqual(newHash);
    expect((await rejection(b, tampered(third.block, { validatorsHash: oldHash }))).message).toMatch(
      /validatorsHash .* is not the hash of the validator set of height 3/,
    );
    expect((await rejection(b, tampered(third.block, { proposer: addr(3) }))).message).toMatch(
      /proposer .* is not a validator at height 3/,
    );
    expect((await rejection(b, tampered(third.block, { proposer: addr(5) }))).message).toMatch(
      /is not a validator at height 3/,
    );
    const validatedThird = await b.validate(third.block);
    const thirdCertificate = certify(3, third.hash, [0, 1, 4]);
    await a.commit(third, thirdCertificate);
    await b.commit(validatedThird, thirdCertificate);

    // Height 4: block 3's certificate must be a quorum of the new set (weight 5: it needs 4).
    const fourth = await next(a, 1, [call("setWeight", [0n, 3n])]);
    const withCommit = (lastCommit: CommitCertificate) => tampered(fourth.block, { lastCommit });
    expect((await rejection(b, withCommit(certify(3, third.hash, [0, 1, 2, 3])))).message).toMatch(
      /signed by 0x[0-9a-f]{40}, not a validator at height 3/,
    );
    expect((await rejection(b, withCommit(certify(3, third.hash, [0, 1, 2])))).message).toMatch(
      /weight 3 of 5, not more than two thirds/,
    );
    const validatedFourth = await b.validate(fourth.block);
    expect(validatedFourth.hash).toEqual(fourth.hash);
    const fourthCertificate = certify(4, fourth.hash, [0, 1, 4]);
    await a.commit(fourth, fourthCertificate);
    await b.commit(validatedFourth, fourthCertificate);

    // setWeight in block 4: height 5 keeps the set of height 3, height 6 has validator 0 at weight 3.
    expect(a.validatorsAt(5).hash).toEqual(newHash);
    expect(addresses(a, 6)).toEqual(expected([0, 3], [1, 1], [2, 1], [4, 2]));
    const fifth = await step(a, b, 2, [0, 1, 4]);
    expect(fifth.block.header.validatorsHash).toEqual(newHash);
    const sixth = await step(a, b, 0, [0, 4]);
    expect(sixth.block.header.validatorsHash).toEqual(a.validatorsAt(6).hash);
    expect(sixth.block.header.validatorsHash).not.toEqual(newHash);

    // Sets are known up to head + 2, and a reopened chain answers for its recent heights at once.
    expect(() => a.validatorsAt(9)).toThrow(expect.objectContaining({ code: "unavailable" }));
    const reopened = await openChain(kv);
    for (const height of [6, 7, 8])
      expect(reopened.validatorsAt(height).hash).toEqual(a.validatorsAt(height).hash);
    expect((await reopened.loadValidatorsAt(2)).hash).toEqual(oldHash);
    expect((await reopened.loadValidatorsAt(3)).hash).toEqual(newHash);
  });

  it("keeps a transaction that would leave the registry malformed out of a block, and rejects a block with it", async () => {
    nonce = 0n;
    const a = await openChain();
    const b = await openChain();
    const good = add(4);
    const bad = call("setWeight", [1n, 0n]);
    const executed = await next(a, 0, [good, bad]);
    expect(executed.block.transactions.map((t) => bytesToHex(t.hash))).toEqual([bytesToHex(good.hash)]);
    expect(executed.execution.rejected.map((r) => [bytesToHex(r.tx.hash), r.error.code])).toEqual([
      [bytesToHex(bad.hash), "system-state"],
    ]);
    expect(executed.execution.rejected[0]!.error.message).toMatch(/member 1 .* weight 0/);
    await b.validate(executed.block);

    // A byzantine proposer includes it anyway, with every root right: the block is invalid.
    const txs = [good, bad];
    const execution = await new Executor({
      chainId: CHAIN_ID,
      blockHash: async () => undefined,
    }).executeBlock({
      base: b.worldState.latest(),
      env: { height: 1, timestampMs: GENESIS_MS + 1000, proposer: addr(0), gasLimit: 30_000_000n },
      transactions: txs,
      mode: "validate",
    });
    expect(execution.receipts.map((r) => r.status)).toEqual([1, 1]);
    const forged: Block = {
      header: {
        ...executed.block.header,
        transactionsRoot: transactionsRoot(txs, suite),
        receiptsRoot: receiptsRoot(execution.receipts, suite),
        logsBloom: logsBloom(execution.receipts.flatMap((r) => r.logs)),
        gasUsed: execution.gasUsed,
        stateRoot: (await b.worldState.commit(execution.diff)).root,
      },
      transactions: txs,
    };
    expect((await rejection(b, forged)).message).toMatch(
      /leaves the validator registry malformed \(the set of height 3\): .*member 1 .* weight 0/,
    );
    expect(b.head.block.header.height).toBe(0);

    // The rule is about the registry the block leaves: a later transaction that repairs it makes the block valid.
    const repair = call("setWeight", [1n, 1n]);
    const repaired = await next(a, 0, [good, bad, repair]);
    expect(repaired.block.transactions).toHaveLength(3);
    await b.validate(repaired.block);
  });

  it("gives the registry nonce 1 and always-reverting code when the genesis does not place a contract there", async () => {
    nonce = 0n;
    const plain = genesis({ alloc: new Map([[bytesToHex(user), { balance: 10n ** 21n }]]) });
    const chain = await openChain(createMemoryKv(), plain);
    const account = chain.worldState.latest().getAccount(VALIDATOR_REGISTRY_ADDRESS)!;
    expect(account.nonce).toBe(1n);
    expect(account.codeHash).toEqual(keccak256(VALIDATOR_REGISTRY_DEFAULT_CODE));
    const executed = await next(chain, 0, [add(4)]);
    expect(executed.receipts.map((r) => r.status)).toEqual([0]);
    await chain.commit(executed, certify(1, executed.hash, [0, 1, 2]));
    expect(chain.validatorsAt(3).hash).toEqual(validatorSetHash(GENESIS_SET, suite));
  });

  it("refuses a genesis whose validators are invalid or that allocates registry storage", async () => {
    const wrongAddress = [{ ...GENESIS_SET[0]!, address: addr(5) }, ...GENESIS_SET.slice(1)];
    await expect(openChain(createMemoryKv(), genesis({ validators: wrongAddress }))).rejects.toMatchObject({
      code: "invalid-genesis",
      message: expect.stringMatching(/public key belongs to/),
    });
    await expect(openChain(createMemoryKv(), genesis({ validators: [] }))).rejects.toMatchObject({
      code: "invalid-genesis",
    });
    const storage = new Map([[bytesToHex(new Uint8Array(32)), new Uint8Array([1])]]);
    const alloc = new Map([[bytesToHex(VALIDATOR_REGISTRY_ADDRESS), { balance: 0n, storage }]]);
    await expect(openChain(createMemoryKv(), genesis({ alloc }))).rejects.toMatchObject({
      code: "invalid-genesis",
      message: expect.stringMatching(/sets storage/),
    });
  });
});
