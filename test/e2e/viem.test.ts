import { rmSync } from "node:fs";
import {
  type CompiledContract,
  compileTestToken,
  createTestNetwork,
  DEV_KEY_0,
  devPrivateKeysHex,
  type NodeProcess,
  startNodeProcess,
  type TestNetwork,
} from "@charter/testing";
import { createMPTFromProof, verifyMerkleProof } from "@ethereumjs/mpt";
import {
  type Abi,
  type Address,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeAbiParameters,
  fromRlp,
  type Hash,
  type Hex,
  hexToBigInt,
  hexToBytes,
  http,
  keccak256,
  type Log,
  numberToHex,
  type PublicClient,
  parseAbiItem,
  type Transport,
  type WalletClient,
  webSocket,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * viem against a real node over `http()` (filters polled, receipts by polling) and `webSocket()` (eth_subscribe):
 * deploy, write, read, watch and query events, decode reverts, pending nonces, both fee types at zero, Multicall3
 * and an EIP-1186 proof checked against the block's state root.
 */

const CHAIN_ID = 7345;
const SUPPLY = 10n ** 24n;
const MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11";
const RECEIPT_TIMEOUT_MS = 20_000;

let node: NodeProcess;
let network: TestNetwork;
let token: CompiledContract;
let chain: Chain;
const keys = devPrivateKeysHex(12);

beforeAll(async () => {
  token = compileTestToken("prague");
  network = await createTestNetwork({ blockIntervalMs: 200 });
  node = await startNodeProcess(network.layout.nodes[0]!.configFile);
  chain = defineChain({
    id: CHAIN_ID,
    name: "Charter e2e",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [node.rpcUrl], webSocket: [node.wsUrl] } },
    contracts: { multicall3: { address: MULTICALL3 } },
  });
});

afterAll(async () => {
  await node?.stop();
  if (network) rmSync(network.layout.dir, { recursive: true, force: true });
});

interface TransportCase {
  readonly name: "http" | "ws";
  readonly ownerIndex: number;
  readonly otherIndex: number;
  transport(): Transport;
}

const cases: TransportCase[] = [
  { name: "http", ownerIndex: 7, otherIndex: 8, transport: () => http(node.rpcUrl) },
  { name: "ws", ownerIndex: 9, otherIndex: 10, transport: () => webSocket(node.wsUrl) },
];

function randomAddress(): Address {
  return privateKeyToAccount(keccak256(numberToHex(Math.random() * 2 ** 52)) as Hex).address;
}

/** The ContractFunctionRevertedError inside whatever viem threw, or a failure naming what was thrown. */
async function revertOf(promise: Promise<unknown>): Promise<ContractFunctionRevertedError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BaseError) {
      const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
      if (reverted instanceof ContractFunctionRevertedError) return reverted;
    }
    throw new Error(`expected a ContractFunctionRevertedError, got: ${String(error)}`);
  }
  throw new Error("expected the call to revert");
}

describe.each(cases)("viem over $name", (testCase) => {
  let publicClient: PublicClient;
  let wallet: WalletClient;
  let owner: Address;
  let other: ReturnType<typeof privateKeyToAccount>;
  let address: Address;
  let deployedAt: bigint;
  const abi = () => token.abi as Abi;

  beforeAll(async () => {
    const transport = testCase.transport();
    publicClient = createPublicClient({ chain, transport, pollingInterval: 100 }) as PublicClient;
    const account = privateKeyToAccount(keys[testCase.ownerIndex]!);
    owner = account.address;
    other = privateKeyToAccount(keys[testCase.otherIndex]!);
    wallet = createWalletClient({ account, chain, transport, pollingInterval: 100 });
  });

  afterAll(async () => {
    if (testCase.name === "ws") {
      const rpc = await (
        publicClient.transport as { getRpcClient?: () => Promise<{ close(): void }> }
      ).getRpcClient?.();
      rpc?.close();
    }
  });

  async function write(functionName: string, args: readonly unknown[], account = wallet.account!) {
    return wallet.writeContract({ address, abi: abi(), functionName, args, account, chain });
  }

  async function mined(hash: Hash) {
    return publicClient.waitForTransactionReceipt({
      hash,
      timeout: RECEIPT_TIMEOUT_MS,
      pollingInterval: 100,
    });
  }

  it("deploys with deployContract and waits with waitForTransactionReceipt", async () => {
    const hash = await wallet.deployContract({
      abi: abi(),
      bytecode: token.bytecode,
      args: ["Charter Test Token", "CTT", SUPPLY],
      account: wallet.account!,
      chain,
    });
    const receipt = await mined(hash);
    expect(receipt.status).toBe("success");
    expect(receipt.contractAddress).toMatch(/^0x[0-9a-f]{40}$/);
    address = receipt.contractAddress!;
    deployedAt = receipt.blockNumber;
    expect(await publicClient.getCode({ address })).toBe(token.deployedBytecode);
    expect(await publicClient.readContract({ address, abi: abi(), functionName: "symbol" })).toBe("CTT");
  });

  it("transfers with writeContract and reads balances with readContract", async () => {
    const to = randomAddress();
    const receipt = await mined(await write("transfer", [to, 500n]));
    expect(receipt.status).toBe("success");
    expect(receipt.logs).toHaveLength(1);
    const balanceOf = (who: Address, blockNumber?: bigint) =>
      publicClient.readContract({
        address,
        abi: abi(),
        functionName: "balanceOf",
        args: [who],
        ...(blockNumber === undefined ? {} : { blockNumber }),
      });
    expect(await balanceOf(to)).toBe(500n);
    expect(await balanceOf(to, receipt.blockNumber - 1n)).toBe(0n);
    expect(await balanceOf(owner)).toBe(SUPPLY - 500n);
  });

  it(`receives Transfer through watchContractEvent (${testCase.name === "http" ? "polled filter" : "eth_subscribe"})`, async () => {
    const to = randomAddress();
    let unwatch = () => {};
    const received = new Promise<Log[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no Transfer event within 15 s")), 15_000);
      unwatch = publicClient.watchContractEvent({
        address,
        abi: abi(),
        eventName: "Transfer",
        args: { to },
        pollingInterval: 100,
        onLogs: (logs) => {
          clearTimeout(timer);
          resolve(logs);
        },
        onError: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
    try {
      // Let the filter or subscription be installed before the event happens.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const hash = await write("transfer", [to, 42n]);
      const logs = (await received) as (Log & { args: { from: Address; to: Address; value: bigint } })[];
      expect(logs).toHaveLength(1);
      expect(logs[0]?.transactionHash).toBe(hash);
      expect(logs[0]?.args).toEqual({ from: owner, to, value: 42n });
    } finally {
      unwatch();
    }
  });

  it("finds past events with getContractEvents and getLogs", async () => {
    const to = randomAddress();
    const sent: { hash: Hash; blockNumber: bigint; value: bigint }[] = [];
    for (const value of [7n, 8n]) {
      const receipt = await mined(await write("transfer", [to, value]));
      sent.push({ hash: receipt.transactionHash, blockNumber: receipt.blockNumber, value });
    }
    const events = await publicClient.getContractEvents({
      address,
      abi: abi(),
      eventName: "Transfer",
      args: { to },
      fromBlock: deployedAt,
    });
    expect(
      events.map((e) => ({
        hash: e.transactionHash,
        blockNumber: e.blockNumber,
        value: (e as unknown as { args: { value: bigint } }).args.value,
      })),
    ).toEqual(sent);
    const logs = await publicClient.getLogs({
      address,
      event: parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)"),
      args: { from: owner, to },
      fromBlock: sent[0]!.blockNumber,
      toBlock: "latest",
    });
    expect(logs.map((l) => [l.transactionHash, l.args.value])).toEqual(sent.map((s) => [s.hash, s.value]));
  });

  it("decodes InsufficientBalance with its arguments from simulateContract", async () => {
    const reverted = await revertOf(
      publicClient.simulateContract({
        address,
        abi: abi(),
        functionName: "transfer",
        args: [owner, 5n],
        account: other,
      }),
    );
    expect(reverted.data?.errorName).toBe("InsufficientBalance");
    expect(reverted.data?.args).toEqual([other.address, 0n, 5n]);
  });

  it("surfaces the require reason of transferFrom without allowance", async () => {
    const reverted = await revertOf(
      publicClient.simulateContract({
        address,
        abi: abi(),
        functionName: "transferFrom",
        args: [owner, other.address, 1n],
        account: other,
      }),
    );
    expect(reverted.reason).toBe("TestToken: allowance too low");
  });

  it("decodes the revert from estimateContractGas", async () => {
    const reverted = await revertOf(
      publicClient.estimateContractGas({
        address,
        abi: abi(),
        functionName: "transfer",
        args: [owner, 9n],
        account: other,
      }),
    );
    expect(reverted.data?.errorName).toBe("InsufficientBalance");
    expect(reverted.data?.args).toEqual([other.address, 0n, 9n]);
  });

  it("sends back-to-back writeContract calls with the next pending nonce each", async () => {
    const to = randomAddress();
    const start = await publicClient.getTransactionCount({ address: owner, blockTag: "pending" });
    const hashes: Hash[] = [];
    for (let i = 1n; i <= 5n; i++) hashes.push(await write("transfer", [to, i]));
    const txs = await Promise.all(hashes.map((hash) => publicClient.getTransaction({ hash })));
    expect(txs.map((tx) => tx.nonce)).toEqual([0, 1, 2, 3, 4].map((i) => start + i));
    const receipts = await Promise.all(hashes.map(mined));
    expect(receipts.map((r) => r.status)).toEqual(Array(5).fill("success"));
    expect(
      await publicClient.readContract({ address, abi: abi(), functionName: "balanceOf", args: [to] }),
    ).toBe(15n);
  });

  it("sends a legacy transaction with gasPrice 0 and an EIP-1559 one with zero fees", async () => {
    const to = randomAddress();
    const legacy = await wallet.sendTransaction({
      account: wallet.account!,
      chain,
      to,
      value: 11n,
      type: "legacy",
      gasPrice: 0n,
    });
    const feeMarket = await wallet.sendTransaction({
      account: wallet.account!,
      chain,
      to,
      value: 22n,
      type: "eip1559",
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
    });
    const [legacyReceipt, feeMarketReceipt] = await Promise.all([mined(legacy), mined(feeMarket)]);
    expect([legacyReceipt.status, legacyReceipt.type]).toEqual(["success", "legacy"]);
    expect([feeMarketReceipt.status, feeMarketReceipt.type]).toEqual(["success", "eip1559"]);
    expect(legacyReceipt.effectiveGasPrice).toBe(0n);
    const legacyTx = await publicClient.getTransaction({ hash: legacy });
    const feeMarketTx = await publicClient.getTransaction({ hash: feeMarket });
    expect([legacyTx.type, legacyTx.gasPrice]).toEqual(["legacy", 0n]);
    expect([feeMarketTx.type, feeMarketTx.maxFeePerGas, feeMarketTx.maxPriorityFeePerGas]).toEqual([
      "eip1559",
      0n,
      0n,
    ]);
    expect(await publicClient.getBalance({ address: to })).toBe(33n);
  });

  it("batches reads through the predeployed Multicall3 with multicall", async () => {
    expect((await publicClient.getCode({ address: MULTICALL3 }))?.length).toBeGreaterThan(2);
    const contract = { address, abi: abi() } as const;
    const results = await publicClient.multicall({
      allowFailure: false,
      contracts: [
        { ...contract, functionName: "name" },
        { ...contract, functionName: "totalSupply" },
        { ...contract, functionName: "balanceOf", args: [other.address] },
        { ...contract, functionName: "decimals" },
      ],
    });
    expect(results).toEqual(["Charter Test Token", SUPPLY, 0n, 18]);
    // A failing call inside the batch is reported per call, not as a failure of the whole multicall.
    const mixed = await publicClient.multicall({
      contracts: [
        { ...contract, functionName: "symbol" },
        { ...contract, functionName: "transferFrom", args: [owner, other.address, 1n] },
      ],
    });
    expect(mixed[0]).toEqual({ status: "success", result: "CTT" });
    expect(mixed[1]?.status).toBe("failure");
  });

  it("returns an eth_getProof for account 0 that verifies against the block's stateRoot", async () => {
    // Give account 0 a state that differs from genesis, so the proof is not trivially the genesis one.
    const account0 = privateKeyToAccount(DEV_KEY_0);
    const sent = await mined(
      await wallet.sendTransaction({ account: account0, chain, to: randomAddress(), value: 1n }),
    );
    const blockNumber = sent.blockNumber;
    const block = await publicClient.getBlock({ blockNumber });
    // Storage proof of the token balance of `owner`: slot keccak256(abi.encode(owner, 3)) (balanceOf is slot 3).
    const slot = keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [owner, 3n]));
    const [accountProof, tokenProof] = await Promise.all([
      publicClient.getProof({ address: account0.address, storageKeys: [], blockNumber }),
      publicClient.getProof({ address, storageKeys: [slot], blockNumber }),
    ]);

    const leaf = await verifyMerkleProof(
      hexToBytes(keccak256(account0.address)),
      accountProof.accountProof.map((node) => hexToBytes(node)),
      { root: hexToBytes(block.stateRoot) },
    );
    expect(leaf).not.toBeNull();
    const [nonce, balance, storageRoot, codeHash] = fromRlp(leaf!, "hex") as Hex[];
    expect(hexToBigInt(nonce!)).toBe(BigInt(accountProof.nonce));
    expect(accountProof.nonce).toBeGreaterThanOrEqual(1);
    expect(hexToBigInt(balance!)).toBe(accountProof.balance);
    expect(accountProof.balance).toBe(
      await publicClient.getBalance({ address: account0.address, blockNumber }),
    );
    expect(storageRoot).toBe(accountProof.storageHash);
    expect(codeHash).toBe(accountProof.codeHash);
    expect(codeHash).toBe(keccak256("0x"));

    // The same nodes do not prove anything against another state root.
    const genesis = await publicClient.getBlock({ blockNumber: 0n });
    await expect(
      createMPTFromProof(
        accountProof.accountProof.map((node) => hexToBytes(node)),
        { root: hexToBytes(genesis.stateRoot) },
      ),
    ).rejects.toThrow();

    // The contract's account proof, and its storage proof against the account's storage root.
    const contractLeaf = await verifyMerkleProof(
      hexToBytes(keccak256(address)),
      tokenProof.accountProof.map((node) => hexToBytes(node)),
      { root: hexToBytes(block.stateRoot) },
    );
    const [, , contractStorageRoot, contractCodeHash] = fromRlp(contractLeaf!, "hex") as Hex[];
    expect(contractStorageRoot).toBe(tokenProof.storageHash);
    expect(contractCodeHash).toBe(keccak256(token.deployedBytecode));
    const storage = tokenProof.storageProof[0]!;
    const ownerBalance = (await publicClient.readContract({
      address,
      abi: abi(),
      functionName: "balanceOf",
      args: [owner],
      blockNumber,
    })) as bigint;
    expect(storage.value).toBe(ownerBalance);
    const storageLeaf = await verifyMerkleProof(
      hexToBytes(keccak256(slot)),
      storage.proof.map((node) => hexToBytes(node)),
      { root: hexToBytes(tokenProof.storageHash) },
    );
    expect(hexToBigInt(fromRlp(storageLeaf!, "hex") as Hex)).toBe(ownerBalance);
  });
});
