import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { Executor, type GenesisAccount } from "@charter/execution";
import { createMemoryKv, type KvStore } from "@charter/kv";
import { StateDB } from "@charter/state";
import {
  type Block,
  encodeBlock,
  type Header,
  signTx,
  TxType,
  transactionsRoot,
  type VerifiedTx,
} from "@charter/types";
import { bytesToHex, concatBytes, equalBytes, hexToBytes } from "@charter/utils";
import { describe, expect, it } from "vitest";
import { Chain, type ChainGenesis } from "./chain.js";
import { ChainError } from "./errors.js";

const suite = createEcdsaSuite();
const CHAIN_ID = 7345n;
const keys = [1, 2, 3].map((i) => keccak256(new Uint8Array([i])));
const addresses = keys.map((k) => suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(k)));
const PROPOSER = addresses[2]!;
const VALIDATORS = [{ address: PROPOSER, publicKey: suite.publicKeyFromPrivateKey(keys[2]!), weight: 1 }];

function genesis(overrides: Partial<ChainGenesis> = {}): ChainGenesis {
  const alloc = new Map<string, GenesisAccount>([
    [bytesToHex(addresses[0]!), { balance: 10n ** 21n }],
    [bytesToHex(addresses[1]!), { balance: 5n }],
  ]);
  return {
    chainId: CHAIN_ID,
    timestampMs: 1_700_000_000_000,
    gasLimit: 30_000_000n,
    alloc,
    validators: VALIDATORS,
    extraData: new Uint8Array(0),
    ...overrides,
  };
}

async function openChain(kv: KvStore = createMemoryKv(), g: ChainGenesis = genesis()): Promise<Chain> {
  const executor = new Executor({ chainId: g.chainId, blockHash: async () => undefined });
  const state = new StateDB({ kv, hash: suite.hash, codeHash: keccak256 });
  return Chain.open({ kv, suite, state, executor, genesis: g });
}

function transfer(from: number, nonce: bigint, value: bigint, to = addresses[1]!): VerifiedTx {
  const tx = signTx(
    {
      type: TxType.feeMarket,
      chainId: CHAIN_ID,
      nonce,
      gasPrice: 0n,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
      gasLimit: 21_000n,
      to,
      value,
      data: new Uint8Array(0),
      accessList: [],
    },
    keys[from]!,
    suite,
  );
  return { ...tx, sender: addresses[from]! };
}

async function proposeAndCommit(chain: Chain, txs: VerifiedTx[], timestampMs?: number) {
  const executed = await chain.propose({
    timestampMs: timestampMs ?? chain.head.block.header.timestampMs + 1000,
    proposer: PROPOSER,
    transactions: txs,
    lastCommit: null,
  });
  await chain.commit(executed);
  return executed;
}

/** Rebuilds a header hash-consistently after tampering with a field, as a byzantine proposer would. */
function tampered(block: Block, change: Partial<Header>, transactions = block.transactions): Block {
  return { header: { ...block.header, ...change }, transactions };
}

describe("Chain", () => {
  it("writes genesis into an empty store and resumes from the head on reopen", async () => {
    const kv = createMemoryKv();
    const chain = await openChain(kv);
    expect(chain.head.block.header.height).toBe(0);
    expect(chain.worldState.latest().getAccount(addresses[0]!)?.balance).toBe(10n ** 21n);
    // The predeployed Multicall3 is in the genesis state.
    const multicall = chain.worldState
      .latest()
      .getAccount(hexToBytes("0xca11bde05977b3631167028862be2a173976ca11"));
    expect(bytesToHex(multicall!.codeHash)).toBe(
      "0xd5c15df687b16f2ff992fc8d767b4216323184a2bbc6ee2f9c398c318e770891",
    );
    await proposeAndCommit(chain, [transfer(0, 0n, 100n)]);
    await proposeAndCommit(chain, []);
    const headHash = chain.head.hash;

    const reopened = await openChain(kv);
    expect(reopened.head.block.header.height).toBe(2);
    expect(equalBytes(reopened.head.hash, headHash)).toBe(true);
    expect(reopened.worldState.latest().getAccount(addresses[1]!)?.balance).toBe(105n);
  });

  it("refuses a store that belongs to another genesis", async () => {
    const kv = createMemoryKv();
    await openChain(kv);
    await expect(openChain(kv, genesis({ chainId: 9999n }))).rejects.toMatchObject({
      code: "genesis-mismatch",
    });
    const otherAlloc = new Map([[bytesToHex(addresses[0]!), { balance: 1n }]]);
    await expect(openChain(kv, genesis({ alloc: otherAlloc }))).rejects.toMatchObject({
      code: "genesis-mismatch",
    });
  });

  it("commits transactions with receipts, a transaction index and the new head", async () => {
    const chain = await openChain();
    const seen: number[] = [];
    chain.onBlock((stored) => seen.push(stored.block.header.height));
    const tx0 = transfer(0, 0n, 7n);
    const tx1 = transfer(0, 1n, 8n);
    const executed = await proposeAndCommit(chain, [tx0, tx1]);
    expect(executed.block.transactions).toHaveLength(2);
    expect(executed.block.header.gasUsed).toBe(42_000n);
    expect(seen).toEqual([1]);
    const location = await chain.store.txLocation(tx1.hash);
    expect(location).toEqual({ height: 1, index: 1 });
    const receipts = await chain.store.receiptsByHeight(1);
    expect(receipts?.map((r) => [r.status, r.cumulativeGasUsed])).toEqual([
      [1, 21_000n],
      [1, 42_000n],
    ]);
    const byHash = await chain.store.blockByHash(executed.hash);
    expect(byHash?.senders.map(bytesToHex)).toEqual([bytesToHex(addresses[0]!), bytesToHex(addresses[0]!)]);
    expect(chain.worldState.latest().getAccount(addresses[0]!)?.nonce).toBe(2n);
  });

  it("leaves out transactions that are not valid at their position", async () => {
    const chain = await openChain();
    const executed = await proposeAndCommit(chain, [
      transfer(0, 5n, 1n),
      transfer(1, 0n, 1_000n),
      transfer(0, 0n, 1n),
    ]);
    expect(executed.block.transactions.map((t) => t.nonce)).toEqual([0n]);
    expect(executed.execution.rejected.map((r) => r.error.code)).toEqual([
      "nonce-too-high",
      "insufficient-funds",
    ]);
  });

  it("lets a second node validate and commit the first node's blocks to the same state", async () => {
    const a = await openChain();
    const b = await openChain();
    for (let i = 0; i < 3; i++) {
      const executed = await proposeAndCommit(a, [transfer(0, BigInt(i), 10n), transfer(1, BigInt(i), 1n)]);
      const validated = await b.validate(executed.block);
      await b.commit(validated);
      expect(bytesToHex(b.head.hash)).toBe(bytesToHex(a.head.hash));
      expect(bytesToHex(b.head.block.header.stateRoot)).toBe(bytesToHex(a.head.block.header.stateRoot));
    }
  });

  it("checks each transaction's signature once per node: a block of verified transactions costs no recovery", async () => {
    let recoveries = 0;
    const counting = {
      ...suite,
      recoverPublicKey: (digest: Uint8Array, signature: Uint8Array) => {
        recoveries++;
        return suite.recoverPublicKey(digest, signature);
      },
    };
    const a = await openChain();
    const kv = createMemoryKv();
    const b = await Chain.open({
      kv,
      suite: counting,
      state: new StateDB({ kv, hash: suite.hash, codeHash: keccak256 }),
      executor: new Executor({ chainId: CHAIN_ID, blockHash: async () => undefined }),
      genesis: genesis(),
    });
    const txs = [transfer(0, 0n, 10n), transfer(1, 0n, 1n)];
    const executed = await proposeAndCommit(a, txs);
    // Node b saw the first transaction arrive (RPC or gossip) and checked it then.
    b.verifySender(txs[0]!, () => new Error("invalid"));
    expect(recoveries).toBe(1);
    await b.commit(await b.validate(executed.block));
    expect(recoveries).toBe(2);
    expect(bytesToHex(b.head.hash)).toBe(bytesToHex(a.head.hash));
    // A transaction whose signature does not recover is not remembered as valid.
    const forged = { ...transfer(0, 1n, 1n), r: 0n };
    expect(() => b.verifySender(forged, () => new Error("invalid signature"))).toThrow("invalid signature");
    expect(() => b.verifySender(forged, () => new Error("invalid signature"))).toThrow("invalid signature");
  });

  describe("rejects a block that breaks a validity rule", async () => {
    const build = async () => {
      const proposer = await openChain();
      const validator = await openChain();
      const executed = await proposer.propose({
        timestampMs: proposer.head.block.header.timestampMs + 1000,
        proposer: PROPOSER,
        transactions: [transfer(0, 0n, 10n)],
        lastCommit: null,
      });
      return { validator, block: executed.block };
    };
    const cases: [string, (block: Block) => Block, RegExp][] = [
      ["wrong height", (b) => tampered(b, { height: 2 }), /height must be 1/],
      ["wrong parent", (b) => tampered(b, { parentHash: new Uint8Array(32) }), /parent hash/],
      ["timestamp before the parent", (b) => tampered(b, { timestampMs: 1 }), /before the parent/],
      ["wrong gas limit", (b) => tampered(b, { gasLimit: 1n }), /gas limit must be/],
      ["non-zero base fee", (b) => tampered(b, { baseFeePerGas: 1n }), /base fee must be 0/],
      ["wrong state root", (b) => tampered(b, { stateRoot: new Uint8Array(32).fill(1) }), /state root/],
      [
        "wrong receipts root",
        (b) => tampered(b, { receiptsRoot: new Uint8Array(32).fill(1) }),
        /receipts root/,
      ],
      ["wrong gas used", (b) => tampered(b, { gasUsed: 1n }), /gas used/],
      ["wrong bloom", (b) => tampered(b, { logsBloom: new Uint8Array(256).fill(1) }), /logs bloom/],
      [
        "a transaction twice",
        (b) => {
          const txs = [...b.transactions, ...b.transactions];
          return tampered(b, { transactionsRoot: transactionsRoot(txs, suite) }, txs);
        },
        /appears twice/,
      ],
      [
        "a transaction with a wrong nonce slipped in",
        (b) => {
          const txs = [...b.transactions, transfer(1, 3n, 1n)];
          return tampered(b, { transactionsRoot: transactionsRoot(txs, suite) }, txs);
        },
        /transaction 1 is invalid: nonce too high/,
      ],
      [
        "a transactions root that does not match",
        (b) => tampered(b, { transactionsRoot: new Uint8Array(32) }),
        /transactions root/,
      ],
    ];
    for (const [name, change, message] of cases) {
      it(name, async () => {
        const { validator, block } = await build();
        const error = await validator.validate(change(block)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ChainError);
        expect((error as ChainError).code).toBe("invalid-block");
        expect((error as ChainError).message).toMatch(message);
        expect(validator.head.block.header.height).toBe(0);
      });
    }
  });

  it("detects a stored block that does not match its hash, and will not start on a corrupt head", async () => {
    const kv = createMemoryKv();
    const chain = await openChain(kv);
    const first = await proposeAndCommit(chain, [transfer(0, 0n, 1n)]);
    // Older than the two blocks before the head, which opening reads for the validator sets.
    await proposeAndCommit(chain, []);
    await proposeAndCommit(chain, []);
    const head = await proposeAndCommit(chain, []);
    const other = await proposeAndCommit(await openChain(), [transfer(0, 0n, 2n)]);
    // Overwrite a block record with another block's bytes, as a flipped disk sector might.
    const recordKey = (hash: Uint8Array) => concatBytes(Uint8Array.of(0xc1), hash);
    await kv.write([{ type: "put", key: recordKey(first.hash), value: encodeBlock(other.block) }]);
    const reopened = await openChain(kv);
    await expect(reopened.store.blockByHash(first.hash)).rejects.toMatchObject({ code: "corrupt" });
    await kv.write([{ type: "put", key: recordKey(head.hash), value: encodeBlock(other.block) }]);
    await expect(openChain(kv)).rejects.toMatchObject({ code: "corrupt" });
  });
});
