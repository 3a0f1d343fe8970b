import type { CryptoSuiteName } from "@charter/crypto";
import { type Chain, type ChainContract, type ChainSerializers, defineChain } from "viem";
import { CharterSDKError } from "./errors.js";
import { serializeSM2Transaction } from "./sm2Transaction.js";
import { charterSMFormatters } from "./smFormatters.js";

export interface DefineCharterChainParameters<crypto extends CryptoSuiteName = CryptoSuiteName> {
  /** The chain id of the genesis. */
  readonly id: number;
  /** Default "Charter" (or "Charter (sm)"). */
  readonly name?: string;
  /** A node's HTTP JSON-RPC URL, e.g. "http://127.0.0.1:8545". */
  readonly rpcUrl: string;
  /** A node's WebSocket URL (the same port serves both), for `webSocket()` transports and subscriptions. */
  readonly webSocketUrl?: string;
  /** The genesis' crypto suite: `ecdsa` (secp256k1/Keccak-256) or `sm` (SM2/SM3). */
  readonly crypto: crypto;
  /** Default Ether (ETH, 18 decimals): gas is free on Charter, so it is only a label in wallets. */
  readonly nativeCurrency?: ChainNativeCurrency;
  /**
   * Contracts viem looks up on the chain. Default: Multicall3 at its usual address, where every Charter genesis
   * predeploys it, so viem's `multicall` and batched reads work.
   */
  readonly contracts?: { readonly multicall3?: ChainContract };
}

/** Charter-specific facts viem keeps on `chain.custom`. */
export type CharterChainCustom<crypto extends CryptoSuiteName = CryptoSuiteName> = {
  readonly charter: { readonly crypto: crypto };
};

type ChainNativeCurrency = Chain["nativeCurrency"];

/** The serializers of an `sm` chain: every transaction is type 0x53 (`serializeSM2Transaction`). */
export const charterSMSerializers = {
  transaction: serializeSM2Transaction,
} as const satisfies ChainSerializers;

/** Predeployed in every Charter genesis (packages/execution/src/predeploys.ts). */
const MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11";

const ETHER: ChainNativeCurrency = { name: "Ether", symbol: "ETH", decimals: 18 };

function baseChain<crypto extends CryptoSuiteName>(parameters: DefineCharterChainParameters<crypto>) {
  const { id, rpcUrl, webSocketUrl, crypto } = parameters;
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new CharterSDKError("invalid-argument", `The chain id ${String(id)} is not a positive integer.`);
  }
  if (crypto !== "ecdsa" && crypto !== "sm") {
    throw new CharterSDKError(
      "invalid-argument",
      `Unknown crypto suite ${JSON.stringify(crypto)}; a Charter genesis uses "ecdsa" or "sm".`,
    );
  }
  return {
    id,
    name: parameters.name ?? (crypto === "sm" ? "Charter (sm)" : "Charter"),
    nativeCurrency: parameters.nativeCurrency ?? ETHER,
    rpcUrls: {
      default: { http: [rpcUrl], ...(webSocketUrl === undefined ? {} : { webSocket: [webSocketUrl] }) },
    },
    contracts: parameters.contracts ?? { multicall3: { address: MULTICALL3_ADDRESS } },
    custom: { charter: { crypto } } as CharterChainCustom<crypto>,
  };
}

function ecdsaChain(parameters: DefineCharterChainParameters<"ecdsa">) {
  return defineChain(baseChain(parameters));
}

function smChain(parameters: DefineCharterChainParameters<"sm">) {
  return defineChain({
    ...baseChain(parameters),
    formatters: charterSMFormatters,
    serializers: charterSMSerializers,
  });
}

/** A Charter chain on the `ecdsa` suite: viem's defaults apply unchanged. */
export type CharterChain = ReturnType<typeof ecdsaChain>;
/** A Charter chain on the `sm` suite: type-0x53 formatters and serializer. */
export type CharterSMChain = ReturnType<typeof smChain>;

/**
 * A viem `Chain` for a Charter network. For `crypto: "sm"` it carries the formatters (`type: "sm2"` and
 * `publicKey` on type-0x53 transactions and receipts) and the type-0x53 transaction serializer, so viem's actions
 * (`deployContract`, `writeContract`, `sendTransaction`, `waitForTransactionReceipt`, `getTransaction`,
 * `readContract`, `getLogs`, `watchContractEvent`, …) work with an SM2 account (`privateKeyToSM2Account`). For
 * `crypto: "ecdsa"` it is a plain chain for viem's secp256k1 accounts. `chain.custom.charter.crypto` records the
 * suite.
 *
 * @example
 * const chain = defineCharterChain({ id: 7345, rpcUrl: "http://127.0.0.1:8545", crypto: "sm" });
 * const wallet = createWalletClient({ account: privateKeyToSM2Account(key), chain, transport: http() });
 */
export function defineCharterChain(parameters: DefineCharterChainParameters<"sm">): CharterSMChain;
export function defineCharterChain(parameters: DefineCharterChainParameters<"ecdsa">): CharterChain;
export function defineCharterChain(parameters: DefineCharterChainParameters): CharterChain | CharterSMChain;
export function defineCharterChain(parameters: DefineCharterChainParameters): CharterChain | CharterSMChain {
  return parameters.crypto === "sm"
    ? smChain(parameters as DefineCharterChainParameters<"sm">)
    : ecdsaChain(parameters as DefineCharterChainParameters<"ecdsa">);
}
