/**
 * TEST DOUBLE for unit tests of the RPC layer only. It holds a few hand-built blocks, receipts and real signed
 * transactions in memory and scripts `eth_call` outcomes by target address. It does not execute the EVM, check
 * permissions or reach consensus; the node's end-to-end tests exercise the real backend.
 */

import { keccak256 } from "@charter/crypto";
import type { Block, Log, Receipt, SignedTx, VerifiedTx } from "@charter/types";
import { logsBloom } from "@charter/types";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@charter/utils";
import { Transaction, type TransactionRequest, Wallet } from "ethers";
import type {
  AccountInfo,
  AccountProof,
  CallRequest,
  CallResult,
  DevSigner,
  EstimateGasResult,
  IndexedBlock,
  RPCBackend,
  TxLocation,
} from "../backend.js";
import { RPCError, RPCErrorCode } from "../errors.js";

export const fakeChainId = 31_999n;

/** Hardhat/anvil dev keys 0 and 1 (publicly known). */
export const devWallets = [
  new Wallet("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
  new Wallet("0x59c6995e998f97a5a0044966f0d18d8e78d7ae5e08e7b8e15c6c2e1b8f33e0b1"),
] as const;

/** Scripted call targets. */
export const targets = {
  /** Emits a log when a transaction calls it; `eth_call` echoes the call data. */
  emitter: hexToBytes(`0x${"e1".repeat(20)}`),
  /** Reverts with `Error("not allowed")`. */
  revertString: hexToBytes(`0x${"a1".repeat(20)}`),
  /** Reverts with `Panic(0x11)`. */
  revertPanic: hexToBytes(`0x${"a2".repeat(20)}`),
  /** Reverts with no data. */
  revertEmpty: hexToBytes(`0x${"a3".repeat(20)}`),
  /** Fails with "invalid opcode: INVALID". */
  invalidOpcode: hexToBytes(`0x${"a4".repeat(20)}`),
  /** Runs out of gas at any limit. */
  outOfGas: hexToBytes(`0x${"a5".repeat(20)}`),
} as const;

export const transferTopic = keccak256(utf8ToBytes("Transfer(address,address,uint256)"));

export function word(value: bigint): Uint8Array {
  return hexToBytes(`0x${value.toString(16).padStart(64, "0")}`);
}

function addressWord(address: Uint8Array): Uint8Array {
  return concatBytes(new Uint8Array(12), address);
}

function sameBytes(a: Uint8Array | null | undefined, b: Uint8Array): boolean {
  return a !== null && a !== undefined && bytesToHex(a) === bytesToHex(b);
}

/** Converts an ethers-parsed signed transaction into Charter's `VerifiedTx`. */
export function verifiedTxFromRaw(raw: Uint8Array): VerifiedTx {
  const tx = Transaction.from(bytesToHex(raw));
  const signature = tx.signature;
  if (signature === null || tx.from === null || tx.hash === null) throw new Error("unsigned transaction");
  const type = tx.type ?? 0;
  if (type !== 0 && type !== 1 && type !== 2) {
    throw new RPCError(RPCErrorCode.invalidInput, "transaction type not valid");
  }
  const gasPrice = type === 2 ? (tx.maxFeePerGas ?? 0n) : (tx.gasPrice ?? 0n);
  return {
    type,
    chainId: tx.chainId,
    nonce: BigInt(tx.nonce),
    gasPrice,
    maxFeePerGas: type === 2 ? (tx.maxFeePerGas ?? 0n) : gasPrice,
    maxPriorityFeePerGas: type === 2 ? (tx.maxPriorityFeePerGas ?? 0n) : gasPrice,
    gasLimit: tx.gasLimit,
    to: tx.to === null ? null : hexToBytes(tx.to),
    value: tx.value,
    data: hexToBytes(tx.data),
    accessList: (tx.accessList ?? []).map((item) => ({
      address: hexToBytes(item.address),
      storageKeys: item.storageKeys.map((key) => hexToBytes(key)),
    })),
    yParity: signature.yParity,
    r: BigInt(signature.r),
    s: BigInt(signature.s),
    v: type === 0 ? tx.chainId * 2n + 35n + BigInt(signature.yParity) : BigInt(signature.yParity),
    raw,
    hash: hexToBytes(tx.hash),
    signingHash: hexToBytes(tx.unsignedHash),
    sender: hexToBytes(tx.from.toLowerCase()),
  };
}

export async function signTx(wallet: Wallet, request: TransactionRequest): Promise<VerifiedTx> {
  const raw = await wallet.signTransaction({ chainId: fakeChainId, gasLimit: 100_000n, ...request });
  return verifiedTxFromRaw(hexToBytes(raw));
}

interface Account {
  balance: bigint;
  nonce: bigint;
  code: Uint8Array;
  storage: Map<string, Uint8Array>;
}

export class FakeBackend implements RPCBackend {
  readonly chainId = fakeChainId;
  readonly clientVersion = "charter/v0.1.0/test/node20";
  readonly devSigner?: DevSigner;
  readonly blocks: IndexedBlock[] = [];
  readonly receipts: Receipt[][] = [];
  readonly pool = new Map<string, VerifiedTx>();
  readonly accounts = new Map<string, Account>();
  readonly #locations = new Map<string, TxLocation>();
  readonly #blockListeners = new Set<(block: IndexedBlock, receipts: readonly Receipt[]) => void>();
  readonly #pendingListeners = new Set<(hash: Uint8Array) => void>();
  #timestampMs = 1_700_000_000_000;

  constructor(options: { withDevSigner?: boolean } = {}) {
    if (options.withDevSigner) this.devSigner = this.#createDevSigner();
    this.commit([]);
  }

  /** Adds an account to the genesis-like state. */
  setAccount(address: Uint8Array, account: Partial<Account>): void {
    this.accounts.set(bytesToHex(address), {
      balance: account.balance ?? 0n,
      nonce: account.nonce ?? 0n,
      code: account.code ?? new Uint8Array(0),
      storage: account.storage ?? new Map(),
    });
  }

  /** Logs a transaction produces: calls to the emitter log a Transfer from the sender. */
  logsFor(tx: VerifiedTx): Log[] {
    if (!sameBytes(tx.to, targets.emitter)) return [];
    return [
      {
        address: targets.emitter,
        topics: [transferTopic, addressWord(tx.sender), addressWord(targets.emitter)],
        data: word(tx.value),
      },
    ];
  }

  /** Commits a block holding `txs` (default: the whole pool) and notifies listeners. */
  commit(txs: readonly VerifiedTx[] = [...this.pool.values()]): IndexedBlock {
    const height = this.blocks.length;
    const parent = this.blocks[height - 1];
    const receipts: Receipt[] = [];
    let cumulative = 0n;
    for (const tx of txs) {
      const gasUsed = 21_000n + BigInt(tx.data.length) * 16n;
      cumulative += gasUsed;
      const created = tx.to === null ? keccak256(concatBytes(tx.sender, word(tx.nonce))).subarray(12) : null;
      receipts.push({
        status: sameBytes(tx.to, targets.revertString) ? 0 : 1,
        gasUsed,
        cumulativeGasUsed: cumulative,
        logs: this.logsFor(tx),
        contractAddress: created,
      });
      this.pool.delete(bytesToHex(tx.hash));
      const account = this.#account(tx.sender);
      account.nonce = tx.nonce + 1n;
    }
    this.#timestampMs += 1500;
    const block: Block = {
      header: {
        parentHash: parent?.hash ?? new Uint8Array(32),
        height,
        timestampMs: this.#timestampMs,
        proposer: hexToBytes(`0x${"77".repeat(20)}`),
        transactionsRoot: keccak256(concatBytes(...txs.map((tx) => tx.hash))),
        receiptsRoot: keccak256(word(BigInt(receipts.length))),
        stateRoot: keccak256(word(BigInt(height))),
        logsBloom: logsBloom(receipts.flatMap((r) => r.logs)),
        gasUsed: cumulative,
        gasLimit: 30_000_000n,
        baseFeePerGas: 0n,
        validatorsHash: new Uint8Array(32),
        lastCommit: null,
        extraData: utf8ToBytes("charter"),
      },
      transactions: txs as readonly SignedTx[],
    };
    const hash = keccak256(concatBytes(word(BigInt(height)), block.header.parentHash));
    const indexed: IndexedBlock = {
      block,
      hash,
      senders: txs.map((tx) => tx.sender),
      size: 600 + txs.length * 120,
    };
    txs.forEach((tx, index) => {
      this.#locations.set(bytesToHex(tx.hash), { height, index, blockHash: hash });
    });
    this.blocks.push(indexed);
    this.receipts.push(receipts);
    for (const listener of this.#blockListeners) listener(indexed, receipts);
    return indexed;
  }

  /** Puts a transaction into the pool as `eth_sendRawTransaction` would. */
  admit(tx: VerifiedTx): void {
    this.pool.set(bytesToHex(tx.hash), tx);
    for (const listener of this.#pendingListeners) listener(tx.hash);
  }

  #account(address: Uint8Array): Account {
    const key = bytesToHex(address);
    let account = this.accounts.get(key);
    if (account === undefined) {
      account = { balance: 0n, nonce: 0n, code: new Uint8Array(0), storage: new Map() };
      this.accounts.set(key, account);
    }
    return account;
  }

  #createDevSigner(): DevSigner {
    return {
      accounts: () => devWallets.map((w) => hexToBytes(w.address.toLowerCase())),
      signTransaction: async (from, request) => {
        const wallet = devWallets.find((w) => w.address.toLowerCase() === bytesToHex(from));
        if (wallet === undefined) throw new RPCError(RPCErrorCode.invalidInput, "unknown account");
        return signTx(wallet, {
          type: 2,
          to: request.to === undefined || request.to === null ? null : bytesToHex(request.to),
          data: bytesToHex(request.data ?? new Uint8Array(0)),
          value: request.value ?? 0n,
          nonce: Number(request.nonce ?? (await this.pendingNonce(from))),
          gasLimit: request.gas ?? 100_000n,
          maxFeePerGas: 0n,
          maxPriorityFeePerGas: 0n,
        });
      },
    };
  }

  headHeight(): number {
    return this.blocks.length - 1;
  }
  async blockByHeight(height: number): Promise<IndexedBlock | undefined> {
    return this.blocks[height];
  }
  async blockByHash(hash: Uint8Array): Promise<IndexedBlock | undefined> {
    return this.blocks.find((b) => sameBytes(b.hash, hash));
  }
  async receiptsByHeight(height: number): Promise<readonly Receipt[] | undefined> {
    return this.receipts[height];
  }
  async txLocation(hash: Uint8Array): Promise<TxLocation | undefined> {
    return this.#locations.get(bytesToHex(hash));
  }
  pendingTx(hash: Uint8Array): VerifiedTx | undefined {
    return this.pool.get(bytesToHex(hash));
  }
  pendingTxs(limit: number): readonly VerifiedTx[] {
    return [...this.pool.values()].slice(0, limit);
  }
  async getAccount(address: Uint8Array): Promise<AccountInfo> {
    const account = this.accounts.get(bytesToHex(address));
    return {
      nonce: account?.nonce ?? 0n,
      balance: account?.balance ?? 0n,
      codeHash: keccak256(account?.code ?? new Uint8Array(0)),
      storageRoot: new Uint8Array(32),
    };
  }
  async getCode(address: Uint8Array): Promise<Uint8Array> {
    return this.accounts.get(bytesToHex(address))?.code ?? new Uint8Array(0);
  }
  async getStorageAt(address: Uint8Array, slot: Uint8Array): Promise<Uint8Array> {
    return this.accounts.get(bytesToHex(address))?.storage.get(bytesToHex(slot)) ?? new Uint8Array(32);
  }
  async getProof(address: Uint8Array, slots: readonly Uint8Array[], height: number): Promise<AccountProof> {
    const account = await this.getAccount(address);
    return {
      address,
      nonce: account.nonce,
      balance: account.balance,
      codeHash: account.codeHash,
      storageHash: account.storageRoot,
      accountProof: [keccak256(word(BigInt(height)))],
      storageProof: slots.map((key) => ({ key, value: 0n, proof: [] })),
    };
  }
  async pendingNonce(address: Uint8Array): Promise<bigint> {
    let nonce = (await this.getAccount(address)).nonce;
    for (const tx of this.pool.values())
      if (sameBytes(tx.sender, address) && tx.nonce >= nonce) nonce = tx.nonce + 1n;
    return nonce;
  }
  async call(request: CallRequest): Promise<CallResult> {
    const to = request.to ?? null;
    if (sameBytes(to, targets.revertString)) {
      // Error("not allowed")
      const reason = utf8ToBytes("not allowed");
      const padded = new Uint8Array(32);
      padded.set(reason);
      return {
        kind: "revert",
        returnData: concatBytes(hexToBytes("0x08c379a0"), word(32n), word(BigInt(reason.length)), padded),
        gasUsed: 22_000n,
      };
    }
    if (sameBytes(to, targets.revertPanic)) {
      return {
        kind: "revert",
        returnData: concatBytes(hexToBytes("0x4e487b71"), word(0x11n)),
        gasUsed: 22_000n,
      };
    }
    if (sameBytes(to, targets.revertEmpty))
      return { kind: "revert", returnData: new Uint8Array(0), gasUsed: 21_000n };
    if (sameBytes(to, targets.invalidOpcode)) {
      return { kind: "error", message: "invalid opcode: INVALID", gasUsed: request.gas ?? 30_000_000n };
    }
    if (sameBytes(to, targets.outOfGas))
      return { kind: "error", message: "out of gas", gasUsed: request.gas ?? 0n };
    return { kind: "success", returnData: request.data ?? new Uint8Array(0), gasUsed: 21_000n, logs: [] };
  }
  async estimateGas(request: CallRequest): Promise<EstimateGasResult> {
    const result = await this.call(request);
    if (result.kind !== "success") return result;
    return { kind: "success", gas: 21_000n + BigInt(request.data?.length ?? 0) * 16n };
  }
  async sendRawTransaction(raw: Uint8Array): Promise<Uint8Array> {
    let tx: VerifiedTx;
    try {
      tx = verifiedTxFromRaw(raw);
    } catch (error) {
      if (error instanceof RPCError) throw error;
      throw new RPCError(RPCErrorCode.invalidInput, "invalid transaction: rlp decoding failed");
    }
    if (tx.chainId !== this.chainId) {
      throw new RPCError(RPCErrorCode.invalidInput, "invalid chain id for signer");
    }
    if (tx.nonce < (await this.getAccount(tx.sender)).nonce)
      throw new RPCError(RPCErrorCode.invalidInput, "nonce too low");
    if (this.pool.has(bytesToHex(tx.hash))) throw new RPCError(RPCErrorCode.invalidInput, "already known");
    this.admit(tx);
    return tx.hash;
  }
  onBlock(listener: (block: IndexedBlock, receipts: readonly Receipt[]) => void): () => void {
    this.#blockListeners.add(listener);
    return () => this.#blockListeners.delete(listener);
  }
  onPendingTx(listener: (hash: Uint8Array) => void): () => void {
    this.#pendingListeners.add(listener);
    return () => this.#pendingListeners.delete(listener);
  }
  peerCount(): number {
    return 3;
  }
  syncing(): false {
    return false;
  }
}

/**
 * A small chain: block 0 (genesis, empty), block 1 (two emitter calls, legacy and EIP-1559), block 2 (an access-list
 * transfer and a contract creation), block 3 (empty). Wallet 0 has a balance and wallet 1 has code and storage.
 */
export async function createFakeChain(options: { withDevSigner?: boolean } = {}): Promise<FakeBackend> {
  const backend = new FakeBackend(options);
  const [alice, bob] = devWallets;
  const aliceAddress = hexToBytes(alice.address.toLowerCase());
  backend.setAccount(aliceAddress, { balance: 10n ** 21n });
  backend.setAccount(hexToBytes(bob.address.toLowerCase()), {
    code: hexToBytes("0x6001600055"),
    storage: new Map([[bytesToHex(word(0n)), word(42n)]]),
  });
  const emitter = bytesToHex(targets.emitter);
  backend.commit([
    await signTx(alice, { type: 0, nonce: 0, to: emitter, value: 5n, gasPrice: 0n }),
    await signTx(alice, {
      type: 2,
      nonce: 1,
      to: emitter,
      value: 7n,
      maxFeePerGas: 3n,
      maxPriorityFeePerGas: 1n,
    }),
  ]);
  backend.commit([
    await signTx(alice, {
      type: 1,
      nonce: 2,
      to: bob.address,
      value: 1n,
      gasPrice: 0n,
      accessList: [{ address: bob.address, storageKeys: [bytesToHex(word(0n))] }],
    }),
    await signTx(alice, {
      type: 2,
      nonce: 3,
      to: null,
      data: "0x6001600055",
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
    }),
  ]);
  backend.commit([]);
  return backend;
}
