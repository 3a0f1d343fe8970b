import { rmSync } from "node:fs";
import {
  type CompiledContract,
  compileTestToken,
  createTestNetwork,
  devPrivateKeysHex,
  type NodeProcess,
  startNodeProcess,
  type TestNetwork,
} from "@charter/testing";
import {
  type BaseContract,
  type ContractEventPayload,
  ContractFactory,
  type ContractTransactionResponse,
  isError,
  type JsonRpcApiProvider,
  type JsonRpcPayload,
  JsonRpcProvider,
  type JsonRpcResult,
  Wallet,
  WebSocketProvider,
  ZeroAddress,
} from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * ethers v6 against a real node, over both transports it offers: `JsonRpcProvider` (HTTP: batches, filters polled
 * with eth_newFilter/eth_getFilterChanges) and `WebSocketProvider` (eth_subscribe). Every flow is the one a dapp
 * runs unchanged: ContractFactory deploys, Wallet signing with pending nonces, revert decoding, JsonRpcSigner.
 */

const CHAIN_ID = 7345;
const SUPPLY = 10n ** 24n;
const WAIT_TIMEOUT_MS = 20_000;

let node: NodeProcess;
let network: TestNetwork;
let token: CompiledContract;
const keys = devPrivateKeysHex(8);

beforeAll(async () => {
  token = compileTestToken("prague");
  network = await createTestNetwork({ blockIntervalMs: 200 });
  node = await startNodeProcess(network.layout.nodes[0]!.configFile);
});

afterAll(async () => {
  await node?.stop();
  if (network) rmSync(network.layout.dir, { recursive: true, force: true });
});

/*
 * Both providers turn off ethers' 250 ms request cache (`cacheTimeout: -1`). With it on, two sends from one Wallet
 * less than 250 ms apart reuse the cached `pending` nonce, which on a chain with sub-second blocks gives "nonce
 * too low" or "replacement transaction underpriced": a client-side effect that dapps on fast chains must configure
 * away (or use ethers' NonceManager), not a node behaviour.
 */

/** A `JsonRpcProvider` that records how many requests each HTTP POST carried, to see ethers' batching happen. */
class RecordingProvider extends JsonRpcProvider {
  readonly payloadSizes: number[] = [];
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    this.payloadSizes.push(Array.isArray(payload) ? payload.length : 1);
    return super._send(payload);
  }
}

interface Transport {
  readonly name: "http" | "ws";
  /** Dev-key indexes used by this transport, so the two suites never share a nonce sequence (7 stays unused). */
  readonly ownerIndex: number;
  readonly otherIndex: number;
  readonly signerIndex: number;
  connect(): JsonRpcApiProvider;
}

const transports: Transport[] = [
  {
    name: "http",
    ownerIndex: 1,
    otherIndex: 2,
    signerIndex: 0,
    connect: () => new RecordingProvider(node.rpcUrl, CHAIN_ID, { pollingInterval: 200, cacheTimeout: -1 }),
  },
  {
    name: "ws",
    ownerIndex: 4,
    otherIndex: 5,
    signerIndex: 6,
    connect: () => new WebSocketProvider(node.wsUrl, CHAIN_ID, { cacheTimeout: -1 }),
  },
];

/** The typed surface of TestToken that the tests call (ethers contracts are untyped without TypeChain). */
type Token = BaseContract & {
  // biome-ignore lint/suspicious/noExplicitAny: ethers' BaseContract methods are dynamically typed.
  [method: string]: any;
};

async function expectRejection(promise: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown> & Error;
  }
  throw new Error("expected the call to be rejected");
}

describe.each(transports)("ethers v6 over $name", (transport) => {
  let provider: JsonRpcApiProvider;
  let owner: Wallet;
  let other: Wallet;
  let contract: Token;
  let deployTx: ContractTransactionResponse;
  let deployedAt: number;

  beforeAll(async () => {
    provider = transport.connect();
    owner = new Wallet(keys[transport.ownerIndex]!, provider);
    other = new Wallet(keys[transport.otherIndex]!, provider);
    const factory = new ContractFactory(token.abi as never, token.bytecode, owner);
    contract = (await factory.deploy("Charter Test Token", "CTT", SUPPLY)) as unknown as Token;
    deployTx = contract.deploymentTransaction()!;
    await contract.waitForDeployment();
    deployedAt = (await deployTx.wait(1, WAIT_TIMEOUT_MS))!.blockNumber;
  });

  afterAll(async () => {
    contract?.removeAllListeners();
    await provider?.destroy();
  });

  it("deploys TestToken with a Wallet through ContractFactory", async () => {
    const address = await contract.getAddress();
    const receipt = await provider.getTransactionReceipt(deployTx.hash);
    expect(receipt?.status).toBe(1);
    expect(receipt?.contractAddress).toBe(address);
    expect(await provider.getCode(address)).toBe(token.deployedBytecode);
    expect(await contract.name()).toBe("Charter Test Token");
    expect(await contract.totalSupply()).toBe(SUPPLY);
    expect(await contract.balanceOf(owner.address)).toBe(SUPPLY);
  });

  it("transfers tokens and reads the balances back", async () => {
    const to = Wallet.createRandom().address;
    const tx: ContractTransactionResponse = await contract.transfer(to, 1234n);
    const receipt = await tx.wait(1, WAIT_TIMEOUT_MS);
    expect(receipt?.status).toBe(1);
    const parsed = receipt!.logs.map((log) => contract.interface.parseLog(log));
    expect(parsed.map((p) => p?.name)).toEqual(["Transfer"]);
    expect(parsed[0]?.args.toArray()).toEqual([owner.address, to, 1234n]);
    expect(await contract.balanceOf(to)).toBe(1234n);
    expect(await contract.balanceOf(owner.address, { blockTag: receipt!.blockNumber - 1 })).toBe(
      (await contract.balanceOf(owner.address)) + 1234n,
    );
  });

  it(`receives a Transfer event through contract.on (${transport.name === "http" ? "eth_newFilter" : "eth_subscribe"})`, async () => {
    const to = Wallet.createRandom().address;
    let onEvent: (payload: ContractEventPayload) => void = () => {};
    const received = new Promise<ContractEventPayload>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no Transfer event within 15 s")), 15_000);
      onEvent = (payload) => {
        clearTimeout(timer);
        resolve(payload);
      };
    });
    await contract.on(contract.filters.Transfer!(null, to), (...args: unknown[]) =>
      onEvent(args.at(-1) as ContractEventPayload),
    );
    // Let the subscription (or the filter) be installed before the event happens.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const tx: ContractTransactionResponse = await contract.transfer(to, 77n);
    const event = await received;
    await contract.removeAllListeners();
    expect(event.args.toArray()).toEqual([owner.address, to, 77n]);
    expect(event.log.transactionHash).toBe(tx.hash);
    expect(event.log.address).toBe(await contract.getAddress());
  });

  it("queries past Transfer events with queryFilter (eth_getLogs)", async () => {
    const to = Wallet.createRandom().address;
    const sent: { hash: string; block: number; value: bigint }[] = [];
    for (const value of [5n, 6n]) {
      const tx: ContractTransactionResponse = await contract.transfer(to, value);
      const receipt = await tx.wait(1, WAIT_TIMEOUT_MS);
      sent.push({ hash: tx.hash, block: receipt!.blockNumber, value });
    }
    const events = await contract.queryFilter(contract.filters.Transfer!(owner.address, to), deployedAt);
    expect(
      events.map((e) => ({
        hash: e.transactionHash,
        block: e.blockNumber,
        value: (e as unknown as { args: unknown[] }).args[2],
      })),
    ).toEqual(sent);
    // The constructor's mint, found by its indexed zero sender over the whole chain.
    const mints = await contract.queryFilter(contract.filters.Transfer!(ZeroAddress), 0);
    expect(mints.map((e) => e.transactionHash)).toEqual([deployTx.hash]);
  });

  it("decodes the custom error InsufficientBalance from a static call and from estimateGas", async () => {
    const poor = contract.connect(other) as Token;
    const fromCall = await expectRejection(poor.transfer.staticCall(owner.address, 5n));
    expect(isError(fromCall, "CALL_EXCEPTION")).toBe(true);
    const revert = fromCall.revert as { name: string; args: unknown[] } | null;
    expect(revert?.name).toBe("InsufficientBalance");
    expect([...(revert?.args ?? [])]).toEqual([other.address, 0n, 5n]);

    const fromEstimate = await expectRejection(poor.transfer.estimateGas(owner.address, 5n));
    expect(isError(fromEstimate, "CALL_EXCEPTION")).toBe(true);
    // ethers decodes only Error(string) and Panic itself on estimateGas; the revert bytes are on `data`.
    const decoded = contract.interface.parseError(fromEstimate.data as string);
    expect(decoded?.name).toBe("InsufficientBalance");
    expect(decoded?.args.toArray()).toEqual([other.address, 0n, 5n]);
  });

  it("surfaces the require message of transferFrom without allowance", async () => {
    const spender = contract.connect(other) as Token;
    const fromCall = await expectRejection(spender.transferFrom.staticCall(owner.address, other.address, 1n));
    expect(isError(fromCall, "CALL_EXCEPTION")).toBe(true);
    expect(fromCall.reason).toBe("TestToken: allowance too low");
    const fromEstimate = await expectRejection(
      spender.transferFrom.estimateGas(owner.address, other.address, 1n),
    );
    expect(fromEstimate.reason).toBe("TestToken: allowance too low");

    // Sent anyway with an explicit gas limit: mined as a failed transaction, and tx.wait() reports it.
    const tx: ContractTransactionResponse = await spender.transferFrom(owner.address, other.address, 1n, {
      gasLimit: 100_000n,
    });
    const failed = await expectRejection(tx.wait(1, WAIT_TIMEOUT_MS));
    expect(isError(failed, "CALL_EXCEPTION")).toBe(true);
    const receipt = await provider.getTransactionReceipt(tx.hash);
    expect(receipt?.status).toBe(0);
    expect(await provider.getTransactionCount(other.address, "latest")).toBe(tx.nonce + 1);
  });

  it("sends back-to-back transactions without waiting, each with the next pending nonce", async () => {
    const to = Wallet.createRandom().address;
    const start = await provider.getTransactionCount(owner.address, "pending");
    const sent: ContractTransactionResponse[] = [];
    for (let i = 1n; i <= 5n; i++) sent.push(await contract.transfer(to, i));
    expect(sent.map((tx) => tx.nonce)).toEqual([0, 1, 2, 3, 4].map((i) => start + i));
    expect(await provider.getTransactionCount(owner.address, "pending")).toBe(start + 5);
    const receipts = await Promise.all(sent.map((tx) => tx.wait(1, WAIT_TIMEOUT_MS)));
    expect(receipts.map((r) => r?.status)).toEqual([1, 1, 1, 1, 1]);
    expect(await contract.balanceOf(to)).toBe(15n);
    expect(await provider.getTransactionCount(owner.address, "latest")).toBe(start + 5);
  });

  it("mines a legacy type-0 transaction with gasPrice 0 and a type-2 one with maxFeePerGas 0", async () => {
    const to = Wallet.createRandom().address;
    const before = await provider.getBalance(owner.address);
    const legacy = await owner.sendTransaction({ to, value: 1000n, type: 0, gasPrice: 0n });
    const feeMarket = await owner.sendTransaction({
      to,
      value: 2000n,
      type: 2,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
    });
    const [legacyReceipt, feeMarketReceipt] = await Promise.all([
      legacy.wait(1, WAIT_TIMEOUT_MS),
      feeMarket.wait(1, WAIT_TIMEOUT_MS),
    ]);
    expect(legacyReceipt?.status).toBe(1);
    expect(legacyReceipt?.type).toBe(0);
    expect(feeMarketReceipt?.status).toBe(1);
    expect(feeMarketReceipt?.type).toBe(2);
    const [legacyTx, feeMarketTx] = await Promise.all([
      provider.getTransaction(legacy.hash),
      provider.getTransaction(feeMarket.hash),
    ]);
    expect(legacyTx?.type).toBe(0);
    expect(legacyTx?.gasPrice).toBe(0n);
    expect(legacyTx?.chainId).toBe(BigInt(CHAIN_ID));
    expect(feeMarketTx?.type).toBe(2);
    expect(feeMarketTx?.maxFeePerGas).toBe(0n);
    // Free gas: the sender pays exactly the value sent.
    expect(await provider.getBalance(to)).toBe(3000n);
    expect(await provider.getBalance(owner.address)).toBe(before - 3000n);
  });

  it("sends a value transfer with a JsonRpcSigner (eth_accounts + eth_sendTransaction)", async () => {
    const accounts = await provider.listAccounts();
    expect(accounts.length).toBeGreaterThanOrEqual(20);
    expect(accounts[0]?.address).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    const signer = await provider.getSigner(transport.signerIndex);
    expect(signer.address).toBe(new Wallet(keys[transport.signerIndex]!).address);
    const to = Wallet.createRandom().address;
    const tx = await signer.sendTransaction({ to, value: 4242n });
    const receipt = await tx.wait(1, WAIT_TIMEOUT_MS);
    expect(receipt?.status).toBe(1);
    expect(receipt?.from).toBe(signer.address);
    expect(await provider.getBalance(to)).toBe(4242n);
  });

  it("sends concurrent eth_sendTransaction calls from one dev account with distinct nonces", async () => {
    const signer = await provider.getSigner(transport.signerIndex);
    const to = Wallet.createRandom().address;
    const start = await provider.getTransactionCount(signer.address, "pending");
    const sent = await Promise.all([1n, 2n, 3n].map((value) => signer.sendTransaction({ to, value })));
    expect(new Set(sent.map((tx) => tx.nonce)).size).toBe(3);
    const receipts = await Promise.all(sent.map((tx) => tx.wait(1, WAIT_TIMEOUT_MS)));
    expect(receipts.map((r) => r?.status)).toEqual([1, 1, 1]);
    expect(await provider.getBalance(to)).toBe(6n);
    expect(await provider.getTransactionCount(signer.address, "latest")).toBe(start + 3);
  });

  it("reports zero fees from getFeeData", async () => {
    const fees = await provider.getFeeData();
    expect(fees.gasPrice).toBe(0n);
    // baseFeePerGas is 0, which ethers treats as "no EIP-1559": no 1559 fee suggestions, so it sends type 0.
    expect(fees.maxFeePerGas ?? 0n).toBe(0n);
    expect(fees.maxPriorityFeePerGas ?? 0n).toBe(0n);
    const block = await provider.getBlock("latest");
    expect(block?.baseFeePerGas).toBe(0n);
  });

  it("answers several concurrent calls (ethers batches them over HTTP)", async () => {
    const recording = provider instanceof RecordingProvider ? provider : undefined;
    const batchesBefore = recording?.payloadSizes.length ?? 0;
    const address = await contract.getAddress();
    const [height, balance, nonce, code, tokenBalance, network, chainBlock] = await Promise.all([
      provider.getBlockNumber(),
      provider.getBalance(new Wallet(keys[7]!).address, "latest"),
      provider.getTransactionCount(owner.address, "latest"),
      provider.getCode(address),
      contract.balanceOf(owner.address),
      provider.getNetwork(),
      provider.getBlock(1),
    ]);
    expect(height).toBeGreaterThan(deployedAt);
    expect(balance).toBe(10_000n * 10n ** 18n);
    expect(nonce).toBeGreaterThan(0);
    expect(code).toBe(token.deployedBytecode);
    expect(tokenBalance).toBeLessThan(SUPPLY);
    expect(network.chainId).toBe(BigInt(CHAIN_ID));
    expect(chainBlock?.number).toBe(1);
    if (recording) {
      const sizes = recording.payloadSizes.slice(batchesBefore);
      expect(Math.max(...sizes)).toBeGreaterThan(1);
    }
  });
});
