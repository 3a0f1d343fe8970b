import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { Executor } from "@charter/execution";
import {
  accountStatusArtifact,
  ChainParam,
  COMMITTEE_ADDRESS,
  chainParamsArtifact,
  committeeArtifact,
  PermissionList,
  Policy,
  PolicyMode,
  permissionsArtifact,
  STORAGE_SLOTS,
  SYSTEM_ADDRESSES,
  slotBytes,
} from "@charter/governance";
import { createMemoryKv } from "@charter/kv";
import { StateDB } from "@charter/state";
import {
  type Block,
  type Header,
  logsBloom,
  receiptsRoot,
  signTx,
  TxType,
  transactionsRoot,
  type VerifiedTx,
} from "@charter/types";
import { bytesToBigint, bytesToHex, hexToBytes } from "@charter/utils";
import { type Abi, encodeFunctionData, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { Chain, type ChainGenesis, type ExecutedBlock } from "./chain.js";
import type { ChainValidator } from "./validatorRegistry.js";

// Governance enforcement (governance.md section 6; chain.md rule 5b): a rule read from the parent's state keeps a
// transaction out of the blocks a proposer builds, and makes a block that includes it invalid.

const suite = createEcdsaSuite();
const CHAIN_ID = 7346n;
const GENESIS_MS = 1_700_000_000_000;
const keys = [0, 1, 2, 3].map((i) => keccak256(new Uint8Array([i, 11])));
const members: ChainValidator[] = keys.map((key) => {
  const publicKey = suite.publicKeyFromPrivateKey(key);
  return { address: suite.addressFromPublicKey(publicKey), publicKey, weight: 1 };
});
const addr = (i: number) => members[i]!.address;
const userKey = keccak256(new Uint8Array([78]));
const user = suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(userKey));
const otherKey = keccak256(new Uint8Array([79]));
const other = suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(otherKey));
const committee = committeeArtifact.abi as unknown as Abi;
const accountStatus = accountStatusArtifact.abi as unknown as Abi;
const permissions = permissionsArtifact.abi as unknown as Abi;
/** Init code returning the one-byte runtime `STOP`: a contract that accepts every call. */
const INIT_CODE = hexToBytes("0x6001600c60003960016000f300");
const SELECTOR = hexToBytes("0x12345678");

function genesis(overrides: Partial<ChainGenesis> = {}): ChainGenesis {
  return {
    chainId: CHAIN_ID,
    timestampMs: GENESIS_MS,
    gasLimit: 30_000_000n,
    alloc: new Map([
      [bytesToHex(user), { balance: 10n ** 21n }],
      [bytesToHex(other), { balance: 10n ** 21n }],
    ]),
    validators: members,
    extraData: new Uint8Array(0),
    ...overrides,
  };
}

/** Two nodes of one chain (`a` proposes, `b` validates), with a transaction signer that tracks nonces. */
async function network(g: ChainGenesis = genesis()) {
  const open = async () => {
    const kv = createMemoryKv();
    const executor = new Executor({ chainId: CHAIN_ID, blockHash: async () => undefined });
    const chain = await Chain.open({
      kv,
      suite,
      state: new StateDB({ kv, hash: suite.hash, codeHash: keccak256 }),
      executor,
      genesis: g,
    });
    return { chain, executor };
  };
  const a = await open();
  const b = await open();
  let proposer = 0;
  /** The id the next proposal gets: `Committee.proposalCount` + 1. */
  const nextProposal = () =>
    bytesToBigint(
      a.chain.worldState
        .latest()
        .getStorage(COMMITTEE_ADDRESS, slotBytes(STORAGE_SLOTS.Committee.proposalCount)),
    ) + 1n;

  /** A signed transaction from `key`; the nonce is the sender's committed nonce plus `offset`. */
  const tx = (key: Uint8Array, to: Uint8Array | null, data: Uint8Array = new Uint8Array(0), offset = 0n) => {
    const sender = suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(key));
    const nonce = (a.chain.worldState.latest().getAccount(sender)?.nonce ?? 0n) + offset;
    const signed = signTx(
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
    return { ...signed, sender } satisfies VerifiedTx;
  };
  const encode = (abi: Abi, functionName: string, args: readonly unknown[]) =>
    hexToBytes(encodeFunctionData({ abi, functionName, args } as never) as Hex);

  /** Proposes a block on `a`, validates it on `b`, commits on both; returns the block `a` built. */
  const step = async (transactions: VerifiedTx[]): Promise<ExecutedBlock> => {
    const executed = await a.chain.propose({
      timestampMs: a.chain.head.block.header.timestampMs + 1000,
      proposer: addr(proposer++ % 4),
      transactions,
      lastCommit: null,
    });
    const validated = await b.chain.validate(executed.block);
    await a.chain.commit(executed);
    await b.chain.commit(validated);
    return executed;
  };

  /** Passes a proposal that has the Committee call `abi.functionName(args)` at `target` (two blocks). */
  const enact = async (target: Uint8Array, abi: Abi, functionName: string, args: readonly unknown[]) => {
    const id = nextProposal();
    const proposed = await step([
      tx(
        keys[0]!,
        COMMITTEE_ADDRESS,
        encode(committee, "propose", [
          bytesToHex(target),
          bytesToHex(encode(abi, functionName, args)),
          "",
          50n,
        ]),
      ),
    ]);
    expect(proposed.receipts.map((r) => r.status)).toEqual([1]);
    const voted = await step(
      [0, 1, 2].map((i) => tx(keys[i]!, COMMITTEE_ADDRESS, encode(committee, "vote", [id, true]))),
    );
    expect(voted.execution.rejected).toEqual([]);
    expect(voted.receipts.map((r) => r.status)).toEqual([1, 1, 1]);
  };

  /**
   * A block on `a`'s head built by a proposer that skips the governance rules: executed directly by the executor,
   * with the roots the execution gives, so that only rule 5b can make it invalid.
   */
  const forge = async (transactions: VerifiedTx[]): Promise<Block> => {
    const head = a.chain.head;
    const height = head.block.header.height + 1;
    const timestampMs = head.block.header.timestampMs + 1000;
    const execution = await a.executor.executeBlock({
      base: a.chain.worldState.latest(),
      env: { height, timestampMs, proposer: addr(0), gasLimit: a.chain.gasLimit },
      transactions,
      mode: "build",
    });
    expect(execution.rejected).toEqual([]);
    const state = await a.chain.worldState.commit(execution.diff);
    const header: Header = {
      parentHash: head.hash,
      height,
      timestampMs,
      proposer: addr(0),
      transactionsRoot: transactionsRoot(execution.transactions, suite),
      receiptsRoot: receiptsRoot(execution.receipts, suite),
      stateRoot: state.root,
      logsBloom: logsBloom(execution.receipts.flatMap((r) => r.logs)),
      gasUsed: execution.gasUsed,
      gasLimit: a.chain.gasLimit,
      baseFeePerGas: 0n,
      validatorsHash: a.chain.validatorsAt(height).hash,
      lastCommit: null,
      extraData: new Uint8Array(0),
    };
    return { header, transactions: execution.transactions };
  };

  /**
   * `transaction` breaks governance rule `rule` with `message`: the proposer leaves it out (`not-permitted`),
   * the block stays valid, and a block that includes it anyway is invalid on `b`.
   */
  const expectRefused = async (transaction: VerifiedTx, rule: number, message: RegExp) => {
    const forged = await forge([transaction]);
    await expect(b.chain.validate(forged)).rejects.toMatchObject({
      code: "invalid-block",
      message: expect.stringMatching(
        new RegExp(`transaction 0 breaks governance rule ${rule} .*${message.source}`),
      ),
    });
    const executed = await step([transaction]);
    expect(executed.block.transactions).toEqual([]);
    expect(executed.execution.rejected.map((r) => [r.tx.hash, r.error.code])).toEqual([
      [transaction.hash, "not-permitted"],
    ]);
    expect(executed.execution.rejected[0]!.error.message).toMatch(message);
  };

  /** `transaction` is included (and succeeds). */
  const expectIncluded = async (transaction: VerifiedTx) => {
    const executed = await step([transaction]);
    expect(executed.execution.rejected).toEqual([]);
    expect(executed.block.transactions.map((t) => t.hash)).toEqual([transaction.hash]);
    expect(executed.receipts[0]!.status).toBe(1);
    return executed;
  };

  /** Deploys the accept-everything contract from `key`; returns its address. */
  const deploy = async (key: Uint8Array) => {
    const executed = await expectIncluded(tx(key, null, INIT_CODE));
    return executed.receipts[0]!.contractAddress!;
  };

  return { a, b, tx, encode, step, enact, nextProposal, forge, expectRefused, expectIncluded, deploy };
}

const hex = (address: Uint8Array) => bytesToHex(address);

describe("governance enforcement (chain.md rule 5b)", () => {
  it("a frozen sender's transactions are left out and make a block invalid, from the block after the freeze; unfreezing restores", async () => {
    const { a, tx, encode, step, enact, nextProposal, expectRefused, expectIncluded } = await network();
    // The block that executes the freeze still includes the sender's transaction after the deciding vote.
    const id = nextProposal();
    await step([
      tx(
        keys[0]!,
        COMMITTEE_ADDRESS,
        encode(committee, "propose", [
          hex(SYSTEM_ADDRESSES.AccountStatus),
          bytesToHex(encode(accountStatus, "freeze", [hex(user)])),
          "",
          50n,
        ]),
      ),
    ]);
    const deciding = await step([
      ...[0, 1, 2].map((i) => tx(keys[i]!, COMMITTEE_ADDRESS, encode(committee, "vote", [id, true]))),
      tx(userKey, other),
    ]);
    expect(deciding.execution.rejected).toEqual([]);
    expect(deciding.block.transactions).toHaveLength(4);
    expect(a.chain.permissionRefusal(tx(userKey, other))).toEqual({
      rule: 1,
      message: `sender ${hex(user)} is frozen`,
    });

    await expectRefused(tx(userKey, other), 1, new RegExp(`sender ${hex(user)} is frozen`));
    // Others are unaffected.
    await expectIncluded(tx(otherKey, user));

    await enact(SYSTEM_ADDRESSES.AccountStatus, accountStatus, "unfreeze", [hex(user)]);
    expect(a.chain.permissionRefusal(tx(userKey, other))).toBeUndefined();
    await expectIncluded(tx(userKey, other));
  });

  it("a call to a frozen contract is refused; a transfer to a frozen account without code is not", async () => {
    const { tx, enact, expectRefused, expectIncluded, deploy } = await network();
    const contract = await deploy(otherKey);
    await expectIncluded(tx(userKey, contract, SELECTOR));
    await enact(SYSTEM_ADDRESSES.AccountStatus, accountStatus, "freeze", [hex(contract)]);
    await expectRefused(
      tx(userKey, contract, SELECTOR),
      4,
      new RegExp(`contract ${hex(contract)} is frozen`),
    );

    // Rule 4 is about contracts: freezing an account stops what it sends, not what it receives.
    await enact(SYSTEM_ADDRESSES.AccountStatus, accountStatus, "freeze", [hex(other)]);
    await expectIncluded(tx(userKey, other));

    await enact(SYSTEM_ADDRESSES.AccountStatus, accountStatus, "unfreeze", [hex(contract)]);
    await expectIncluded(tx(userKey, contract, SELECTOR));
  });

  it("the deploy allowlist: a sender not on it cannot create contracts until listed", async () => {
    const { tx, enact, expectRefused, expectIncluded, deploy } = await network();
    await enact(SYSTEM_ADDRESSES.Permissions, permissions, "setMode", [Policy.deploy, PolicyMode.allowlist]);
    await expectRefused(
      tx(userKey, null, INIT_CODE),
      3,
      new RegExp(`sender ${hex(user)} may not deploy contracts \\(deploy policy: allowlist\\)`),
    );
    // Calls and transfers stay open.
    await expectIncluded(tx(userKey, other));
    await enact(SYSTEM_ADDRESSES.Permissions, permissions, "setListed", [
      PermissionList.deployAllow,
      [hex(user)],
      true,
    ]);
    await deploy(userKey);
  });

  it("the transact denylist: a listed sender may not transact, except calls to the Committee", async () => {
    const { a, tx, encode, enact, nextProposal, expectRefused, expectIncluded } = await network();
    await enact(SYSTEM_ADDRESSES.Permissions, permissions, "setListed", [
      PermissionList.transactDeny,
      [hex(user), hex(addr(3))],
      true,
    ]);
    // Listed but the policy is still open.
    await expectIncluded(tx(userKey, other));
    await enact(SYSTEM_ADDRESSES.Permissions, permissions, "setMode", [Policy.transact, PolicyMode.denylist]);
    await expectRefused(
      tx(userKey, other),
      2,
      new RegExp(`sender ${hex(user)} may not transact \\(transact policy: denylist\\)`),
    );
    await expectRefused(tx(userKey, null, INIT_CODE), 2, /may not transact/);
    await expectIncluded(tx(otherKey, user));

    // The exemption: member 3, denied, still proposes and votes; a transfer of its own is refused.
    await expectRefused(tx(keys[3]!, other), 2, new RegExp(`sender ${hex(addr(3))} may not transact`));
    expect(a.chain.permissionRefusal(tx(keys[3]!, COMMITTEE_ADDRESS, new Uint8Array(4)))).toBeUndefined();
    const data = encode(permissions, "setListed", [PermissionList.transactDeny, [hex(user)], false]);
    const id = nextProposal();
    await expectIncluded(
      tx(
        keys[3]!,
        COMMITTEE_ADDRESS,
        encode(committee, "propose", [hex(SYSTEM_ADDRESSES.Permissions), bytesToHex(data), "", 50n]),
      ),
    );
    await expectIncluded(tx(keys[3]!, COMMITTEE_ADDRESS, encode(committee, "vote", [id, true])));
    // The exemption covers only rule 2: a frozen member cannot vote.
    await enact(SYSTEM_ADDRESSES.AccountStatus, accountStatus, "freeze", [hex(addr(3))]);
    await expectRefused(
      tx(keys[3]!, COMMITTEE_ADDRESS, encode(committee, "vote", [id, true])),
      1,
      /is frozen/,
    );
  });

  it("a method allowlist: only listed senders call the restricted method; other methods stay open", async () => {
    const { tx, encode, enact, expectRefused, expectIncluded, deploy } = await network();
    const contract = await deploy(otherKey);
    await enact(SYSTEM_ADDRESSES.Permissions, permissions, "setContractAdmin", [hex(contract), hex(addr(0))]);
    // The admin restricts the method and lists `other` directly.
    await expectIncluded(
      tx(
        keys[0]!,
        SYSTEM_ADDRESSES.Permissions,
        encode(permissions, "setMethodRestricted", [hex(contract), bytesToHex(SELECTOR), true]),
      ),
    );
    await expectIncluded(
      tx(
        keys[0]!,
        SYSTEM_ADDRESSES.Permissions,
        encode(permissions, "setMethodAllowlist", [hex(contract), bytesToHex(SELECTOR), [hex(other)], true]),
      ),
    );
    await expectRefused(
      tx(userKey, contract, SELECTOR),
      5,
      new RegExp(`sender ${hex(user)} may not call method 0x12345678 of ${hex(contract)}`),
    );
    // Data shorter than a selector is zero-padded: 0x1234 calls 0x12340000, which is open.
    await expectIncluded(tx(userKey, contract, hexToBytes("0x1234")));
    await expectIncluded(tx(userKey, contract, hexToBytes("0xabcdef01")));
    await expectIncluded(tx(otherKey, contract, SELECTOR));
    await expectIncluded(
      tx(
        keys[0]!,
        SYSTEM_ADDRESSES.Permissions,
        encode(permissions, "setMethodAllowlist", [hex(contract), bytesToHex(SELECTOR), [hex(user)], true]),
      ),
    );
    await expectIncluded(tx(userKey, contract, SELECTOR));
  });

  it("the block gas limit follows ChainParams from the block after the change; a block with the old one is invalid", async () => {
    const { a, b, step, enact, forge } = await network();
    const before = a.chain.gasLimit;
    expect((await step([])).block.header.gasLimit).toBe(before);
    const lowered = 5_000_000n;
    await enact(SYSTEM_ADDRESSES.ChainParams, chainParamsArtifact.abi as unknown as Abi, "setParam", [
      ChainParam.blockGasLimit,
      lowered,
    ]);
    expect(a.chain.gasLimit).toBe(lowered);
    expect(b.chain.gasLimit).toBe(lowered);
    expect((await step([])).block.header.gasLimit).toBe(lowered);
    // A proposer that keeps the old limit builds a block every honest node refuses (rule 3).
    const forged = await forge([]);
    await expect(
      b.chain.validate({ ...forged, header: { ...forged.header, gasLimit: before } }),
    ).rejects.toMatchObject({
      code: "invalid-block",
      message: expect.stringMatching(/gas limit must be 5000000/),
    });
  });

  it("a chain without governance enforces nothing", async () => {
    const { a, tx, expectIncluded } = await network(genesis({ governance: null }));
    expect(a.chain.permissionRefusal(tx(userKey, null, INIT_CODE))).toBeUndefined();
    await expectIncluded(tx(userKey, other));
  });
});
