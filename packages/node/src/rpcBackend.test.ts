import { Chain } from "@charter/chain";
import { createEcdsaSuite, keccak256 } from "@charter/crypto";
import { Executor } from "@charter/execution";
import {
  accountStatusArtifact,
  COMMITTEE_ADDRESS,
  committeeArtifact,
  SYSTEM_ADDRESSES,
} from "@charter/governance";
import { createMemoryKv } from "@charter/kv";
import { Mempool } from "@charter/mempool";
import { RPCError, RPCErrorCode } from "@charter/rpc";
import { StateDB } from "@charter/state";
import { signTx, TxType } from "@charter/types";
import { bytesToHex, hexToBytes } from "@charter/utils";
import { type Abi, encodeFunctionData, type Hex } from "viem";
import { describe, expect, it, vi } from "vitest";
import { NodeRPCBackend } from "./rpcBackend.js";

const suite = createEcdsaSuite();
const CHAIN_ID = 7347n;
const keys = [0, 1, 2, 3].map((i) => keccak256(new Uint8Array([i, 13])));
const validators = keys.map((key) => {
  const publicKey = suite.publicKeyFromPrivateKey(key);
  return { address: suite.addressFromPublicKey(publicKey), publicKey, weight: 1 };
});
const userKey = keccak256(new Uint8Array([80]));
const user = suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(userKey));
const otherKey = keccak256(new Uint8Array([81]));
const other = suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(otherKey));

describe("NodeRPCBackend admission and governance", () => {
  it("refuses a frozen sender's transaction with -32003 and the reason, in the pool and at the RPC", async () => {
    const kv = createMemoryKv();
    const executor = new Executor({ chainId: CHAIN_ID, blockHash: async () => undefined });
    const chain = await Chain.open({
      kv,
      suite,
      state: new StateDB({ kv, hash: suite.hash, codeHash: keccak256 }),
      executor,
      genesis: {
        chainId: CHAIN_ID,
        timestampMs: 1_700_000_000_000,
        gasLimit: 30_000_000n,
        alloc: new Map([[bytesToHex(user), { balance: 10n ** 18n }]]),
        validators,
        extraData: new Uint8Array(0),
      },
    });
    const sign = (key: Uint8Array, to: Uint8Array, data: Uint8Array = new Uint8Array(0)) => {
      const sender = suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(key));
      const tx = signTx(
        {
          type: TxType.feeMarket,
          chainId: CHAIN_ID,
          nonce: chain.worldState.latest().getAccount(sender)?.nonce ?? 0n,
          gasPrice: 0n,
          maxFeePerGas: 0n,
          maxPriorityFeePerGas: 0n,
          gasLimit: 1_000_000n,
          to,
          value: 0n,
          data,
          accessList: [],
        },
        key,
        suite,
      );
      return { ...tx, sender };
    };
    const call = (abi: unknown, functionName: string, args: readonly unknown[]) =>
      hexToBytes(encodeFunctionData({ abi: abi as Abi, functionName, args } as never) as Hex);
    const block = async (transactions: ReturnType<typeof sign>[]) => {
      const executed = await chain.propose({
        timestampMs: chain.head.block.header.timestampMs + 1000,
        proposer: validators[0]!.address,
        transactions,
        lastCommit: null,
      });
      expect(executed.receipts.map((r) => r.status)).toEqual(transactions.map(() => 1));
      await chain.commit(executed);
    };
    // The committee (the four validators) freezes `user`.
    const freeze = call(accountStatusArtifact.abi, "freeze", [bytesToHex(user)]);
    await block([
      sign(
        keys[0]!,
        COMMITTEE_ADDRESS,
        call(committeeArtifact.abi, "propose", [
          bytesToHex(SYSTEM_ADDRESSES.AccountStatus),
          bytesToHex(freeze),
          "freeze",
          10n,
        ]),
      ),
    ]);
    await block(
      [0, 1, 2].map((i) =>
        sign(keys[i]!, COMMITTEE_ADDRESS, call(committeeArtifact.abi, "vote", [1n, true])),
      ),
    );

    const mempool = new Mempool();
    const onAdmitted = vi.fn();
    const backend = new NodeRPCBackend(
      { clientVersion: "test" },
      {
        chain,
        executor,
        mempool,
        getProof: () => {
          throw new Error("unused");
        },
        onAdmitted,
      },
    );
    const refused = sign(userKey, other);
    const error = (() => {
      try {
        backend.admit(refused.raw);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(RPCError);
    expect(error).toMatchObject({
      code: RPCErrorCode.transactionRejected,
      message: `sender ${bytesToHex(user)} is frozen`,
    });
    expect((error as RPCError).code).toBe(-32003);
    await expect(backend.sendRawTransaction(refused.raw)).rejects.toMatchObject({ code: -32003 });
    expect(mempool.has(refused.hash)).toBe(false);
    expect(onAdmitted).not.toHaveBeenCalled();

    // Others are admitted.
    const admitted = sign(otherKey, user);
    expect(backend.admit(admitted.raw).hash).toEqual(admitted.hash);
    expect(mempool.has(admitted.hash)).toBe(true);
  });
});
