import type { CryptoSuite } from "@charter/crypto";
import { type CallRequest, type DevSigner, RPCError, RPCErrorCode } from "@charter/rpc";
import { type SignedTx, signTx, TxType } from "@charter/types";
import { bytesToHex } from "@charter/utils";

export interface DevSignerModules {
  readonly suite: CryptoSuite;
  readonly chainId: bigint;
  readonly privateKeys: readonly Uint8Array[];
  readonly pendingNonce: (address: Uint8Array) => Promise<bigint>;
  readonly estimateGas: (request: CallRequest) => Promise<bigint>;
}

/**
 * Signs `eth_sendTransaction` for the publicly known dev accounts, so Hardhat's default "remote" accounts and
 * ethers' `JsonRpcSigner` work against a devnet. Only a devnet enables it.
 */
export function createDevSigner(modules: DevSignerModules): DevSigner {
  const keys = new Map<string, Uint8Array>();
  const addresses: Uint8Array[] = [];
  for (const key of modules.privateKeys) {
    const address = modules.suite.addressFromPublicKey(modules.suite.publicKeyFromPrivateKey(key));
    keys.set(bytesToHex(address), key);
    addresses.push(address);
  }
  return {
    accounts: () => addresses,
    async signTransaction(from: Uint8Array, request: CallRequest): Promise<SignedTx> {
      const key = keys.get(bytesToHex(from));
      if (!key) {
        throw new RPCError(
          RPCErrorCode.invalidInput,
          `unknown account ${bytesToHex(from)}: the node signs only for the dev accounts`,
        );
      }
      const legacy = request.gasPrice !== undefined && request.maxFeePerGas === undefined;
      const gasPrice = request.gasPrice ?? request.maxFeePerGas ?? 0n;
      const maxPriorityFeePerGas = legacy ? gasPrice : (request.maxPriorityFeePerGas ?? 0n);
      const nonce = request.nonce ?? (await modules.pendingNonce(from));
      const gasLimit = request.gas ?? (await modules.estimateGas({ ...request, from }));
      // An sm chain signs everything as type 0x53, which carries EIP-1559 fees.
      const legacyType = legacy ? TxType.legacy : TxType.feeMarket;
      const type = modules.suite.recoverable ? legacyType : TxType.sm2;
      return signTx(
        {
          type,
          chainId: modules.chainId,
          nonce,
          gasPrice,
          maxFeePerGas: gasPrice,
          maxPriorityFeePerGas,
          gasLimit,
          to: request.to ?? null,
          value: request.value ?? 0n,
          data: request.data ?? new Uint8Array(0),
          accessList: type === TxType.legacy ? [] : (request.accessList ?? []),
        },
        key,
        modules.suite,
      );
    },
  };
}
