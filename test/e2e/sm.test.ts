import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { deriveDevPrivateKeys } from "@charter/config";
import { createSmSuite, sm2Sign, sm3 } from "@charter/crypto";
import { defineCharterChain, privateKeyToSM2Account } from "@charter/sdk";
import {
  type CompiledContract,
  compileSolidity,
  compileTestToken,
  createTestNetwork,
  type NodeProcess,
  rpcCall,
  startNodeProcess,
  type TestNetwork,
  waitFor,
} from "@charter/testing";
import { bytesToHex, hexToBytes } from "@charter/utils";
import {
  type Abi,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  type Hex,
  hashDomain,
  http,
  type PublicClient,
  parseEther,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The `sm` suite end to end (issue 5): four validator processes on a chain whose transactions, votes and node
 * identities are SM2, whose chain hashes are SM3, whose links run the SM channel and whose storage is SM4
 * encrypted. viem drives it with the SDK's SM2 account, unchanged otherwise: it deploys an ERC-20 and an
 * OpenZeppelin contract compiled by standard solc, transfers and reads events; a contract verifies an SM2
 * signature through the precompile; an ecdsa-signed transaction is refused; a node's files hold no plaintext of a
 * stored value, and a node given the wrong storage key refuses to start.
 */

const CHAIN_ID = 7345;
const RECEIPT_TIMEOUT_MS = 30_000;
const suite = createSmSuite();
const log = (...parts: unknown[]) => console.info("[sm]", ...parts);

const SOURCES = {
  "SMCrypto.sol": readFileSync(
    fileURLToPath(new URL("../../packages/sdk/contracts/SMCrypto.sol", import.meta.url)),
    "utf8",
  ),
  "SMNotary.sol": `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;
import "./SMCrypto.sol";

/// Records documents whose SM2 signature by a registered signer verifies, and stores one value for the
/// encryption-at-rest check.
contract SMNotary {
    event Notarized(bytes32 indexed document, bytes32 sm3Digest);
    bytes32 public stored;
    mapping(bytes32 => bool) public notarized;

    function verify(bytes32 message, bytes calldata signature, bytes calldata publicKey) external view returns (bool) {
        return SMCrypto.sm2Verify(message, signature, publicKey);
    }

    function digest(bytes calldata data) external view returns (bytes32) {
        return SMCrypto.sm3(data);
    }

    function keccak(bytes calldata data) external pure returns (bytes32) {
        return keccak256(data);
    }

    function notarize(bytes32 document, bytes calldata signature, bytes calldata publicKey) external {
        require(SMCrypto.sm2Verify(document, signature, publicKey), "bad SM2 signature");
        notarized[document] = true;
        emit Notarized(document, SMCrypto.sm3(abi.encodePacked(document)));
    }

    function store(bytes32 value) external {
        stored = value;
    }
}
`,
  "PermitToken.sol": `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;
import "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import "@openzeppelin/contracts/access/AccessControl.sol";

contract PermitToken is ERC20Permit, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    constructor() ERC20("Permit Token", "PMT") ERC20Permit("Permit Token") {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(MINTER_ROLE, msg.sender);
    }

    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }
}
`,
};

let network: TestNetwork;
let nodes: NodeProcess[] = [];
let chain: Chain;
let publicClient: PublicClient;
let wallet: WalletClient;
let token: CompiledContract;
let notary: CompiledContract;
let permitToken: CompiledContract;
let notaryAddress: Address;
const devKeys = deriveDevPrivateKeys(4).map((key) => bytesToHex(key) as Hex);
const account = privateKeyToSM2Account(devKeys[0]!);

beforeAll(async () => {
  token = compileTestToken("prague");
  const compiled = compileSolidity(SOURCES, { evmVersion: "prague" });
  notary = compiled.SMNotary!;
  permitToken = compiled.PermitToken!;
  network = await createTestNetwork({ validators: 4, crypto: "sm", blockIntervalMs: 300, chainId: CHAIN_ID });
  nodes = await Promise.all(network.layout.nodes.map((node) => startNodeProcess(node.configFile)));
  chain = defineCharterChain({
    id: CHAIN_ID,
    name: "Charter sm e2e",
    rpcUrl: nodes[0]!.rpcUrl,
    crypto: "sm",
  });
  publicClient = createPublicClient({ chain, transport: http(nodes[0]!.rpcUrl), pollingInterval: 100 });
  wallet = createWalletClient({ account, chain, transport: http(nodes[0]!.rpcUrl), pollingInterval: 100 });
}, 120_000);

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()));
  if (network) rmSync(network.layout.dir, { recursive: true, force: true });
});

async function mined(hash: Hex) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: RECEIPT_TIMEOUT_MS });
  expect(receipt.status).toBe("success");
  return receipt;
}

describe("an sm chain of four validators, driven by viem with an SM2 account", () => {
  it("runs on SM3 and SM2: the sender's address is SM3-derived and every node agrees on the blocks", async () => {
    expect(account.address.toLowerCase()).toBe(
      bytesToHex(suite.addressFromPublicKey(suite.publicKeyFromPrivateKey(hexToBytes(devKeys[0]!)))),
    );
    const balance = await publicClient.getBalance({ address: account.address });
    expect(balance).toBeGreaterThan(0n);
    // Signed by the SM2 account (type 0x53) and sent raw: the transaction hash is SM3 of the raw bytes.
    const request = await wallet.prepareTransactionRequest({
      account,
      chain,
      to: privateKeyToSM2Account(devKeys[1]!).address,
      value: parseEther("1"),
    });
    const raw = await account.signTransaction(request as never);
    expect(raw.startsWith("0x53")).toBe(true);
    const hash = await wallet.sendRawTransaction({ serializedTransaction: raw });
    expect(hash).toBe(bytesToHex(sm3(hexToBytes(raw))));
    const receipt = await mined(hash);
    const tx = await publicClient.getTransaction({ hash });
    expect((tx as unknown as { publicKey: Hex }).publicKey).toBe(
      bytesToHex(suite.publicKeyFromPrivateKey(hexToBytes(devKeys[0]!)).subarray(1)),
    );
    expect(tx.from.toLowerCase()).toBe(account.address.toLowerCase());
    await waitFor("every node to hold the block", async () => {
      const hashes = await Promise.all(
        nodes.map((node) =>
          rpcCall(node.rpcUrl, "eth_getBlockByNumber", [`0x${receipt.blockNumber.toString(16)}`, false]).then(
            (block) => (block as { hash: string } | null)?.hash,
          ),
        ),
      );
      return hashes.every((h) => h === receipt.blockHash) ? true : undefined;
    });
  });

  it("deploys an ERC-20, transfers, and reads the Transfer events", async () => {
    const abi = token.abi as Abi;
    const deployHash = await wallet.deployContract({
      account,
      chain,
      abi,
      bytecode: token.bytecode,
      args: ["Charter SM", "CSM", 1_000_000n],
    });
    const deployed = await mined(deployHash);
    const address = deployed.contractAddress!;
    const recipient = privateKeyToSM2Account(devKeys[2]!).address;
    const transferHash = await wallet.writeContract({
      account,
      chain,
      address,
      abi,
      functionName: "transfer",
      args: [recipient, 1234n],
    });
    const transferred = await mined(transferHash);
    expect(
      await publicClient.readContract({ address, abi, functionName: "balanceOf", args: [recipient] }),
    ).toBe(1234n);
    const events = await publicClient.getContractEvents({
      address,
      abi,
      eventName: "Transfer",
      fromBlock: deployed.blockNumber,
      toBlock: transferred.blockNumber,
    });
    const transfer = events.find((event) => event.transactionHash === transferHash) as
      | { args: { from: Address; to: Address; value: bigint } }
      | undefined;
    expect(transfer?.args).toEqual({ from: account.address, to: recipient, value: 1234n });
  });

  it("runs an OpenZeppelin ERC20Permit + AccessControl contract unchanged: KECCAK256 is still Keccak-256", async () => {
    const abi = permitToken.abi as Abi;
    const deployed = await mined(
      await wallet.deployContract({ account, chain, abi, bytecode: permitToken.bytecode }),
    );
    const address = deployed.contractAddress!;
    await mined(
      await wallet.writeContract({
        account,
        chain,
        address,
        abi,
        functionName: "mint",
        args: [account.address, 500n],
      }),
    );
    expect(
      await publicClient.readContract({ address, abi, functionName: "balanceOf", args: [account.address] }),
    ).toBe(500n);
    // The EIP-712 domain separator OpenZeppelin computes on chain equals viem's (Keccak-based) one.
    const domainSeparator = await publicClient.readContract({
      address,
      abi,
      functionName: "DOMAIN_SEPARATOR",
    });
    expect(domainSeparator).toBe(
      hashDomain({
        domain: { name: "Permit Token", version: "1", chainId: BigInt(CHAIN_ID), verifyingContract: address },
        types: {
          EIP712Domain: [
            { name: "name", type: "string" },
            { name: "version", type: "string" },
            { name: "chainId", type: "uint256" },
            { name: "verifyingContract", type: "address" },
          ],
        },
      }),
    );
    // A missing role reverts with OpenZeppelin's custom error.
    const outsider = privateKeyToSM2Account(devKeys[3]!);
    await expect(
      publicClient.simulateContract({
        account: outsider,
        address,
        abi,
        functionName: "mint",
        args: [outsider.address, 1n],
      }),
    ).rejects.toThrow(/AccessControlUnauthorizedAccount/);
  });

  it("verifies an SM2 signature in a contract through the precompile, and hashes with SM3", async () => {
    const abi = notary.abi as Abi;
    const deployed = await mined(
      await wallet.deployContract({ account, chain, abi, bytecode: notary.bytecode }),
    );
    notaryAddress = deployed.contractAddress!;
    const signerKey = suite.generatePrivateKey();
    const publicKey = bytesToHex(suite.publicKeyFromPrivateKey(signerKey).subarray(1)) as Hex;
    const document = bytesToHex(randomBytes(32)) as Hex;
    const signature = bytesToHex(sm2Sign(hexToBytes(document), signerKey)) as Hex;
    const read = (functionName: string, args: readonly unknown[]) =>
      publicClient.readContract({ address: notaryAddress, abi, functionName, args });
    expect(await read("verify", [document, signature, publicKey])).toBe(true);
    const tampered = `${signature.slice(0, -2)}${signature.endsWith("00") ? "01" : "00"}` as Hex;
    expect(await read("verify", [document, tampered, publicKey])).toBe(false);
    const otherDocument = bytesToHex(randomBytes(32)) as Hex;
    expect(await read("verify", [otherDocument, signature, publicKey])).toBe(false);
    const data = bytesToHex(new TextEncoder().encode("abc")) as Hex;
    expect(await read("digest", [data])).toBe(
      "0x66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
    );
    expect(await read("keccak", [data])).toBe(
      "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
    );
    // In a transaction: the notarization is recorded and its event carries the SM3 digest.
    const receipt = await mined(
      await wallet.writeContract({
        account,
        chain,
        address: notaryAddress,
        abi,
        functionName: "notarize",
        args: [document, signature, publicKey],
      }),
    );
    expect(await read("notarized", [document])).toBe(true);
    const [event] = await publicClient.getContractEvents({
      address: notaryAddress,
      abi,
      eventName: "Notarized",
      fromBlock: receipt.blockNumber,
      toBlock: receipt.blockNumber,
    });
    expect((event as unknown as { args: { sm3Digest: Hex } }).args.sm3Digest).toBe(
      bytesToHex(sm3(hexToBytes(document))),
    );
  });

  it("refuses an ecdsa-signed transaction with a clear error", async () => {
    const secp = privateKeyToAccount(devKeys[0]!);
    const ecdsaWallet = createWalletClient({ account: secp, transport: http(nodes[0]!.rpcUrl) });
    await expect(
      ecdsaWallet.sendTransaction({
        account: secp,
        chain: null,
        to: account.address,
        value: 1n,
        gas: 21_000n,
        nonce: 0,
        maxFeePerGas: 0n,
        maxPriorityFeePerGas: 0n,
        chainId: CHAIN_ID,
      } as never),
    ).rejects.toThrow(/accepts only type 0x53 transactions signed with SM2/);
  });

  it("keeps no plaintext of a stored value in a node's files, and refuses to start with the wrong storage key", async () => {
    const abi = notary.abi as Abi;
    const marker = randomBytes(32);
    const receipt = await mined(
      await wallet.writeContract({
        account,
        chain,
        address: notaryAddress,
        abi,
        functionName: "store",
        args: [bytesToHex(marker) as Hex],
      }),
    );
    const node3 = network.layout.nodes[3]!;
    // Node 3 has executed the block that stored the value before it stops.
    await waitFor("node3 to execute the block", async () =>
      BigInt((await rpcCall(nodes[3]!.rpcUrl, "eth_blockNumber")) as string) >= receipt.blockNumber
        ? true
        : undefined,
    );
    expect(await rpcCall(nodes[3]!.rpcUrl, "eth_getStorageAt", [notaryAddress, "0x0", "latest"])).toBe(
      bytesToHex(marker),
    );
    await nodes[3]!.stop();
    const files = listFiles(join(node3.dir, "data"));
    expect(files.length).toBeGreaterThan(0);
    const needles = [marker, Buffer.from(bytesToHex(marker).slice(2))];
    for (const file of files) {
      const content = readFileSync(file);
      for (const needle of needles)
        expect(content.includes(needle), `${file} holds the stored value`).toBe(false);
    }
    log(`scanned ${files.length} files of node3 for the stored value: not found`);

    const keyFile = join(node3.dir, "storage.key");
    const rightKey = readFileSync(keyFile, "utf8");
    writeFileSync(keyFile, `${bytesToHex(randomBytes(32))}\n`, { mode: 0o600 });
    await expect(startNodeProcess(node3.configFile)).rejects.toThrow(/does not match/);
    writeFileSync(keyFile, rightKey, { mode: 0o600 });
    nodes[3] = await startNodeProcess(node3.configFile);
    expect(await rpcCall(nodes[3]!.rpcUrl, "eth_getStorageAt", [notaryAddress, "0x0", "latest"])).toBe(
      bytesToHex(marker),
    );
    // Back in the network: it follows the chain past the others' height.
    const target = BigInt((await rpcCall(nodes[0]!.rpcUrl, "eth_blockNumber")) as string) + 2n;
    await waitFor(
      "node3 to follow the chain",
      async () =>
        BigInt((await rpcCall(nodes[3]!.rpcUrl, "eth_blockNumber")) as string) >= target ? true : undefined,
      { timeoutMs: 30_000 },
    );
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
