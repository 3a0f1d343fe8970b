import { createSmSuite } from "@charter/crypto";
import { decodeTx, type SignedTx, toVerifiedTx, txSigningPayload } from "@charter/types";
import {
  type Abi,
  bytesToHex,
  createPublicClient,
  createWalletClient,
  custom,
  type Hex,
  hexToBytes,
  parseAbi,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { defineCharterChain } from "./defineCharterChain.js";
import { isCharterSDKError } from "./errors.js";
import { privateKeyToSM2Account } from "./privateKeyToSM2Account.js";
import { serializeSM2Transaction, toSM2UnsignedTx } from "./sm2Transaction.js";

/**
 * The `sm` chain definition: its serializer against @charter/types' encoding, its formatters on the JSON a node
 * sends for type-0x53 transactions (packages/rpc format.ts), and viem's wallet actions end to end against a
 * `custom` transport that answers like a node and decodes what it is sent with the node's decoder. The same
 * against real node processes is test/e2e/sm.test.ts.
 */

const CHAIN_ID = 7345;
const suite = createSmSuite();
const chain = defineCharterChain({ id: CHAIN_ID, rpcUrl: "http://127.0.0.1:8545", crypto: "sm" });
const account = privateKeyToSM2Account("0x3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8");
const TO = "0x00000000000000000000000000000000000000aa";
const serialize = chain.serializers.transaction;

function decode(raw: Hex): SignedTx {
  return decodeTx(hexToBytes(raw), { suite, chainId: BigInt(CHAIN_ID) });
}

/** The JSON a Charter node returns for a committed transaction (packages/rpc `formatTransaction`). */
function rpcTransaction(tx: SignedTx, from: Hex) {
  return {
    hash: bytesToHex(tx.hash),
    nonce: toHex(tx.nonce),
    blockHash: toHex(9n, { size: 32 }),
    blockNumber: "0x5",
    transactionIndex: "0x0",
    from,
    to: tx.to === null ? null : bytesToHex(tx.to),
    value: toHex(tx.value),
    gas: toHex(tx.gasLimit),
    gasPrice: toHex(tx.maxFeePerGas),
    maxFeePerGas: toHex(tx.maxFeePerGas),
    maxPriorityFeePerGas: toHex(tx.maxPriorityFeePerGas),
    input: bytesToHex(tx.data),
    type: "0x53",
    chainId: toHex(tx.chainId),
    accessList: [],
    v: "0x0",
    r: toHex(tx.r),
    s: toHex(tx.s),
    yParity: "0x0",
    publicKey: bytesToHex(tx.publicKey!),
  };
}

function rpcReceipt(tx: SignedTx, from: Hex, contractAddress: Hex | null = null) {
  return {
    transactionHash: bytesToHex(tx.hash),
    transactionIndex: "0x0",
    blockHash: toHex(9n, { size: 32 }),
    blockNumber: "0x5",
    from,
    to: tx.to === null ? null : bytesToHex(tx.to),
    cumulativeGasUsed: "0x5208",
    gasUsed: "0x5208",
    effectiveGasPrice: "0x0",
    contractAddress,
    logs: [],
    logsBloom: `0x${"00".repeat(256)}`,
    type: "0x53",
    status: "0x1",
  };
}

describe("defineCharterChain", () => {
  it("makes a plain viem chain for ecdsa and records the suite", () => {
    const ecdsa = defineCharterChain({ id: 1337, rpcUrl: "http://localhost:8545", crypto: "ecdsa" });
    expect(ecdsa.serializers).toBeUndefined();
    expect(ecdsa.formatters).toBeUndefined();
    expect(ecdsa.custom.charter.crypto).toBe("ecdsa");
    expect(chain.custom.charter.crypto).toBe("sm");
    expect(chain.rpcUrls.default.http).toEqual(["http://127.0.0.1:8545"]);
    expect(() => defineCharterChain({ id: 0, rpcUrl: "x", crypto: "sm" })).toThrow(/chain id/);
    expect(() => defineCharterChain({ id: 1, rpcUrl: "x", crypto: "rsa" as "sm" })).toThrow(/crypto suite/);
  });

  it("serialises the unsigned transaction as the signing payload of @charter/types", async () => {
    const transaction = {
      chainId: CHAIN_ID,
      nonce: 4,
      gas: 50_000n,
      maxFeePerGas: 2n,
      maxPriorityFeePerGas: 1n,
      to: TO,
      value: 3n,
      data: "0x01" as Hex,
      accessList: [{ address: TO, storageKeys: [toHex(7n, { size: 32 })] }],
    } as const;
    const payload = await serialize(transaction);
    expect(payload).toBe(bytesToHex(txSigningPayload(toSM2UnsignedTx(transaction))));
    expect(payload.slice(0, 4)).toBe("0x53");
    // And the signed form with the signature and key as they come back from a node.
    const raw = await account.signTransaction(transaction);
    const tx = decode(raw);
    expect(bytesToHex(tx.signingHash)).toBe(bytesToHex(suite.hash(hexToBytes(payload))));
    const signature = { r: toHex(tx.r), s: toHex(tx.s), yParity: 0 };
    expect(await serialize(transaction, { ...signature, publicKey: account.publicKey } as never)).toBe(raw);
    expect(serializeSM2Transaction(transaction, { ...signature, publicKey: bytesToHex(tx.publicKey!) })).toBe(
      raw,
    );
    expect(serializeSM2Transaction({ ...transaction, publicKey: bytesToHex(tx.publicKey!) }, signature)).toBe(
      raw,
    );
    expect(serializeSM2Transaction({ ...transaction, ...signature, publicKey: account.publicKey })).toBe(raw);
  });

  it("refuses a signature without the SM2 public key, which is what a secp256k1 account produces", async () => {
    expect(() =>
      serializeSM2Transaction({ chainId: CHAIN_ID, to: TO }, { r: "0x01", s: "0x01", yParity: 0 }),
    ).toThrow(/privateKeyToSM2Account/);
    const ecdsaAccount = privateKeyToAccount(toHex(1n, { size: 32 }));
    const error = await ecdsaAccount
      .signTransaction({ chainId: CHAIN_ID, nonce: 0, gas: 21_000n, to: TO }, { serializer: serialize })
      .catch((e: unknown) => e);
    expect(isCharterSDKError(error, "invalid-transaction"), String(error)).toBe(true);
  });

  it("formats type-0x53 transactions, receipts and blocks with type sm2 and the public key", async () => {
    const raw = await account.signTransaction({
      chainId: CHAIN_ID,
      nonce: 1,
      gas: 21_000n,
      maxFeePerGas: 5n,
      to: TO,
    });
    const tx = decode(raw);
    const json = rpcTransaction(tx, account.address);
    const client = createPublicClient({
      chain,
      transport: custom({
        async request({ method }: { method: string }) {
          if (method === "eth_getTransactionByHash") return json;
          if (method === "eth_getTransactionReceipt") return rpcReceipt(tx, account.address);
          if (method === "eth_getBlockByNumber")
            return { number: "0x5", hash: json.blockHash, transactions: [json] };
          throw new Error(`unexpected ${method}`);
        },
      }),
    });
    const fetched = await client.getTransaction({ hash: json.hash });
    expect(fetched.type).toBe("sm2");
    expect(fetched.typeHex).toBe("0x53");
    expect(fetched.publicKey).toBe(bytesToHex(tx.publicKey!));
    expect(fetched.maxFeePerGas).toBe(5n);
    expect(fetched.nonce).toBe(1);
    expect(fetched.yParity).toBe(0);
    expect(fetched.from).toBe(account.address);
    const receipt = await client.getTransactionReceipt({ hash: json.hash });
    expect(receipt.type).toBe("sm2");
    expect(receipt.status).toBe("success");
    const block = await client.getBlock({ blockNumber: 5n, includeTransactions: true });
    expect(block.transactions[0]?.type).toBe("sm2");
    expect(block.transactions[0]?.publicKey).toBe(bytesToHex(tx.publicKey!));
    // A fetched transaction serialises back to its raw bytes.
    expect(
      serializeSM2Transaction({
        ...fetched,
        data: fetched.input,
        type: "sm2",
        accessList: fetched.accessList,
      }),
    ).toBe(raw);
  });

  it("lets viem's wallet actions send SM2-signed transactions unchanged", async () => {
    const sent: SignedTx[] = [];
    let nonce = 0n;
    const transport = custom({
      async request({ method, params }: { method: string; params?: unknown }) {
        const args = (params ?? []) as unknown[];
        switch (method) {
          case "eth_chainId":
            return toHex(CHAIN_ID);
          case "eth_fillTransaction":
            throw Object.assign(new Error(`the method ${method} does not exist/is not available`), {
              code: -32601,
            });
          case "eth_getBlockByNumber":
            return { number: "0x5", hash: toHex(9n, { size: 32 }), baseFeePerGas: "0x0", transactions: [] };
          case "eth_maxPriorityFeePerGas":
          case "eth_gasPrice":
            return "0x0";
          case "eth_getTransactionCount":
            return toHex(nonce);
          case "eth_estimateGas":
            return toHex(100_000n);
          case "eth_sendRawTransaction": {
            const tx = decode(args[0] as Hex);
            expect(bytesToHex(toVerifiedTx(tx, suite).sender)).toBe(account.address.toLowerCase());
            sent.push(tx);
            nonce++;
            return bytesToHex(tx.hash);
          }
          case "eth_getTransactionReceipt": {
            const tx = sent.find((candidate) => bytesToHex(candidate.hash) === args[0]);
            return tx === undefined ? null : rpcReceipt(tx, account.address, tx.to === null ? TO : null);
          }
          default:
            throw new Error(`unexpected ${method}`);
        }
      },
    });
    const wallet = createWalletClient({ account, chain, transport });
    const publicClient = createPublicClient({ chain, transport, pollingInterval: 10 });
    const abi = parseAbi(["function set(uint256 value)"]) as Abi;

    const deployHash = await wallet.deployContract({ abi, bytecode: "0x6080604052" });
    const deployed = await publicClient.waitForTransactionReceipt({ hash: deployHash });
    expect(deployed.type).toBe("sm2");
    expect(deployed.contractAddress).toBe(TO);
    await wallet.writeContract({ address: TO, abi, functionName: "set", args: [7n] });
    await wallet.sendTransaction({ to: TO, value: 1n });
    await wallet.sendTransaction({ to: TO, gasPrice: 0n });

    expect(sent.map((tx) => tx.type)).toEqual([0x53, 0x53, 0x53, 0x53]);
    expect(sent.map((tx) => tx.nonce)).toEqual([0n, 1n, 2n, 3n]);
    expect(sent[0]!.to).toBeNull();
    expect(bytesToHex(sent[0]!.data)).toBe("0x6080604052");
    expect(bytesToHex(sent[1]!.data).slice(0, 10)).toBe("0x60fe47b1");
    expect(sent[2]!.value).toBe(1n);
    expect(sent.every((tx) => tx.gasLimit === 100_000n && tx.chainId === BigInt(CHAIN_ID))).toBe(true);
  });
});
