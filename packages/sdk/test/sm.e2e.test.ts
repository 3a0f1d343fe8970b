import { readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sm3 } from "@charter/crypto";
import {
  type CompiledContract,
  compileSolidity,
  createTestNetwork,
  devPrivateKeysHex,
  type NodeProcess,
  startNodeProcess,
  type TestNetwork,
} from "@charter/testing";
import {
  type Abi,
  type Address,
  bytesToHex,
  createPublicClient,
  createWalletClient,
  type Hash,
  type Hex,
  hashTypedData,
  hexToBytes,
  http,
  keccak256,
  type Log,
  stringToHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defineCharterChain,
  hashSM2Message,
  isCharterSDKError,
  privateKeyToSM2Account,
  serializeSM2Transaction,
  sm2PrivateKeyFromPEM,
  sm2PrivateKeyToPEM,
} from "../src/index.js";

/**
 * The SDK's SM2 account and `sm` chain against a real single-validator node process on the `sm` suite: viem's
 * wallet and public actions unchanged (deploy, write, wait, read, events by query and by watch, both fee shapes),
 * transactions read back with type "sm2" and the signer's key, and the account's message and typed-data
 * signatures checked by a contract through SMCrypto.sol exactly as docs/sdk.md shows. test/e2e/sm.test.ts covers
 * the four-validator network, ERC-20s and the refusal of secp256k1 transactions by the node.
 */

const CHAIN_ID = 7345;
const RECEIPT_TIMEOUT_MS = 30_000;

const SOURCES = {
  "SMCrypto.sol": readFileSync(fileURLToPath(new URL("../contracts/SMCrypto.sol", import.meta.url)), "utf8"),
  "SignatureBook.sol": `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;
import "./SMCrypto.sol";
import "@openzeppelin/contracts/utils/Strings.sol";

/// Checks SM2 account signatures (128 bytes r ‖ s ‖ x ‖ y) as docs/sdk.md describes, and records checked ones.
contract SignatureBook {
    event Recorded(address indexed signer, bytes32 digest);

    function isSignedBy(address signer, bytes32 digest, bytes calldata signature) public view returns (bool) {
        if (signature.length != 128) return false;
        bytes calldata rs = signature[0:64];
        bytes calldata xy = signature[64:128];
        return address(uint160(uint256(SMCrypto.sm3(xy)))) == signer && SMCrypto.sm2Verify(digest, rs, xy);
    }

    /// The digest of account.signMessage: SM3 of the EIP-191 prefixed message.
    function messageDigest(bytes calldata message) public view returns (bytes32) {
        return SMCrypto.sm3(
            abi.encodePacked("\\x19Ethereum Signed Message:\\n", Strings.toString(message.length), message)
        );
    }

    function isMessageSignedBy(address signer, bytes calldata message, bytes calldata signature)
        external
        view
        returns (bool)
    {
        return isSignedBy(signer, messageDigest(message), signature);
    }

    function record(address signer, bytes32 digest, bytes calldata signature) external {
        require(isSignedBy(signer, digest, signature), "not signed by signer");
        emit Recorded(signer, digest);
    }
}
`,
};

const [ownerKey, otherKey] = devPrivateKeysHex(2) as [Hex, Hex];
// Through PEM and back, as an operator would keep it.
const account = privateKeyToSM2Account(sm2PrivateKeyFromPEM(sm2PrivateKeyToPEM(ownerKey)));
const other = privateKeyToSM2Account(otherKey);

let network: TestNetwork;
let node: NodeProcess;
let book: CompiledContract;
const chain = () => defineCharterChain({ id: CHAIN_ID, rpcUrl: node.rpcUrl, crypto: "sm" });
let publicClient: ReturnType<typeof makePublicClient>;
let wallet: ReturnType<typeof makeWallet>;
let address: Address;
let deployHash: Hash;

function makePublicClient() {
  return createPublicClient({ chain: chain(), transport: http(), pollingInterval: 100 });
}

function makeWallet() {
  return createWalletClient({ account, chain: chain(), transport: http(), pollingInterval: 100 });
}

beforeAll(async () => {
  book = compileSolidity(SOURCES, { evmVersion: "prague" }).SignatureBook!;
  network = await createTestNetwork({ crypto: "sm", blockIntervalMs: 200, chainId: CHAIN_ID });
  node = await startNodeProcess(network.layout.nodes[0]!.configFile);
  publicClient = makePublicClient();
  wallet = makeWallet();
}, 120_000);

afterAll(async () => {
  await node?.stop();
  if (network) rmSync(network.layout.dir, { recursive: true, force: true });
});

const abi = () => book.abi as Abi;
const mined = (hash: Hash) => publicClient.waitForTransactionReceipt({ hash, timeout: RECEIPT_TIMEOUT_MS });
const read = (functionName: string, args: readonly unknown[]) =>
  publicClient.readContract({ address, abi: abi(), functionName, args });

describe("the SDK on a real sm node", () => {
  it("deploys with viem's deployContract and reads the transaction back as type sm2", async () => {
    deployHash = await wallet.deployContract({ abi: abi(), bytecode: book.bytecode as Hex });
    const receipt = await mined(deployHash);
    expect(receipt.status).toBe("success");
    expect(receipt.type).toBe("sm2");
    expect(receipt.from).toBe(account.address.toLowerCase());
    address = receipt.contractAddress!;
    const tx = await publicClient.getTransaction({ hash: deployHash });
    expect(tx.type).toBe("sm2");
    expect(tx.typeHex).toBe("0x53");
    expect(tx.from.toLowerCase()).toBe(account.address.toLowerCase());
    expect(tx.publicKey).toBe(`0x${account.publicKey.slice(4)}`);
    expect(tx.to).toBeNull();
    // The chain's serializer rebuilds the exact bytes the node hashed (SM3 of the raw transaction).
    const raw = serializeSM2Transaction({ ...tx, data: tx.input, to: null });
    expect(bytesToHex(sm3(hexToBytes(raw)))).toBe(deployHash);
    const block = await publicClient.getBlock({ blockHash: receipt.blockHash, includeTransactions: true });
    expect(block.transactions.find((candidate) => candidate.hash === deployHash)?.type).toBe("sm2");
  });

  it("checks the account's message signature in a contract, as docs/sdk.md shows", async () => {
    const message = "court order 17";
    const signature = await account.signMessage({ message });
    expect(await read("messageDigest", [stringToHex(message)])).toBe(hashSM2Message(message));
    expect(await read("isMessageSignedBy", [account.address, stringToHex(message), signature])).toBe(true);
    expect(await read("isMessageSignedBy", [other.address, stringToHex(message), signature])).toBe(false);
    expect(await read("isMessageSignedBy", [account.address, stringToHex("court order 18"), signature])).toBe(
      false,
    );
  });

  it("checks a typed-data signature in a contract over viem's EIP-712 digest", async () => {
    const typedData = {
      domain: { name: "SignatureBook", version: "1", chainId: CHAIN_ID, verifyingContract: address },
      types: { Approval: [{ name: "amount", type: "uint256" }] },
      primaryType: "Approval",
      message: { amount: 42n },
    } as const;
    const signature = await account.signTypedData(typedData);
    expect(await read("isSignedBy", [account.address, hashTypedData(typedData), signature])).toBe(true);
  });

  it("writes, waits and sees the event by query and by watch", async () => {
    const typedData = {
      domain: { name: "doc", chainId: CHAIN_ID },
      types: { Doc: [{ name: "d", type: "bytes32" }] },
      primaryType: "Doc",
      message: { d: keccak256(stringToHex("document")) },
    } as const;
    const signature = await account.signTypedData(typedData);
    const signed = hashTypedData(typedData);
    const watched: Log[] = [];
    const unwatch = publicClient.watchContractEvent({
      address,
      abi: abi(),
      eventName: "Recorded",
      onLogs: (logs) => watched.push(...logs),
    });
    try {
      const hash = await wallet.writeContract({
        address,
        abi: abi(),
        functionName: "record",
        args: [account.address, signed, signature],
      });
      const receipt = await mined(hash);
      expect(receipt.status).toBe("success");
      expect(receipt.type).toBe("sm2");
      const events = await publicClient.getContractEvents({
        address,
        abi: abi(),
        eventName: "Recorded",
        fromBlock: receipt.blockNumber,
      });
      expect(events).toHaveLength(1);
      expect(events[0]!.args).toEqual({ signer: account.address, digest: signed });
      const deadline = Date.now() + RECEIPT_TIMEOUT_MS;
      while (watched.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(watched.map((log) => log.transactionHash)).toEqual([hash]);
    } finally {
      unwatch();
    }
  });

  it("sends eip1559- and legacy-shaped transactions and a value transfer", async () => {
    const before = await publicClient.getBalance({ address: other.address });
    const eip1559 = await wallet.sendTransaction({ to: other.address, value: 5n });
    const legacy = await wallet.sendTransaction({ to: other.address, value: 7n, gasPrice: 0n });
    expect((await mined(eip1559)).status).toBe("success");
    expect((await mined(legacy)).status).toBe("success");
    expect(await publicClient.getBalance({ address: other.address })).toBe(before + 12n);
    const tx = await publicClient.getTransaction({ hash: legacy });
    expect(tx.type).toBe("sm2");
    expect(tx.maxFeePerGas).toBe(0n);
  });

  it("stops a secp256k1 account at the chain's serializer with a clear error", async () => {
    const ecdsaWallet = createWalletClient({
      account: privateKeyToAccount(ownerKey),
      chain: chain(),
      transport: http(),
    });
    const error = await ecdsaWallet
      .sendTransaction({ to: other.address, value: 1n })
      .catch((e: unknown) => e);
    const cause = (error as { walk?: (fn: (e: unknown) => boolean) => unknown }).walk?.((e) =>
      isCharterSDKError(e, "invalid-transaction"),
    );
    expect(isCharterSDKError(cause, "invalid-transaction"), String(error)).toBe(true);
    expect(String(error)).toMatch(/privateKeyToSM2Account/);
  });
});
