import { createSmSuite, sm2Sign } from "@charter/crypto";
import { CodecError, signTx } from "@charter/types";
import {
  bytesToHex,
  type CustomSource,
  getAddress,
  type Hex,
  hashTypedData,
  hexToBytes,
  isHex,
  type LocalAccount,
  type NonceManager,
  type TypedDataDefinition,
} from "viem";
import { toAccount } from "viem/accounts";
import { CharterSDKError } from "./errors.js";
import { hashSM2Message, signSM2Digest } from "./sm2Message.js";
import { sm2PrivateKeyToBytes } from "./sm2PrivateKey.js";
import { type SM2TransactionSerializable, toSM2UnsignedTx } from "./sm2Transaction.js";

/** A viem local account that signs with an SM2 key. */
export type SM2Account = LocalAccount<"sm2"> & {
  sign: NonNullable<CustomSource["sign"]>;
};

export interface PrivateKeyToSM2AccountOptions {
  /** viem's nonce manager, as for `privateKeyToAccount`. */
  readonly nonceManager?: NonceManager | undefined;
}

/**
 * A viem account for an SM2 private key, for the wallet actions of a Charter chain whose genesis chose the `sm`
 * suite (`sendTransaction`, `writeContract`, `deployContract`, …, with the chain of
 * `defineCharterChain({ crypto: "sm" })`).
 *
 * - `address`: the last 20 bytes of SM3(x ‖ y) of the public key, EIP-55 checksummed.
 * - `publicKey`: `0x04 ‖ x ‖ y` (65 bytes).
 * - `signTransaction(tx)`: the type-0x53 transaction (see `serializeSM2Transaction`) signed with SM2, as the raw hex
 *   `eth_sendRawTransaction` takes. Whatever shape viem prepared is accepted: `eip1559`, or `legacy`/`eip2930`
 *   whose `gasPrice` becomes both fee caps. `chainId` is required. viem's `serializer` option is ignored: an
 *   SM2 key makes type-0x53 transactions and nothing else, so the account encodes them itself (the `sm` chain's
 *   serializer produces the same bytes; any other chain's would produce a type 0–2 envelope that no Charter
 *   chain accepts with an SM2 signature).
 * - `signMessage({ message })`, `signTypedData(…)`: 128 bytes `r ‖ s ‖ x ‖ y`, SM2 over SM3 of the EIP-191 message or
 *   over the EIP-712 digest; check them with `verifySM2Message` / `verifySM2TypedData` (layout in docs/sdk.md).
 * - `sign({ hash })`: the bare 64-byte `r ‖ s` of SM2 over the 32 bytes of `hash`.
 *
 * SM2 signatures use the default user ID "1234567812345678". Throws `CharterSDKError("invalid-private-key")` for
 * a key that is not 32 bytes of hex in [1, n − 2].
 *
 * @example
 * const account = privateKeyToSM2Account(generateSM2PrivateKey());
 * const chain = defineCharterChain({ id: 7345, rpcUrl: "http://127.0.0.1:8545", crypto: "sm" });
 * const wallet = createWalletClient({ account, chain, transport: http() });
 * const hash = await wallet.sendTransaction({ to: "0x…", value: 1n });
 */
export function privateKeyToSM2Account(
  privateKey: Hex,
  options: PrivateKeyToSM2AccountOptions = {},
): SM2Account {
  const key = sm2PrivateKeyToBytes(privateKey);
  const suite = createSmSuite();
  const publicKey = suite.publicKeyFromPrivateKey(key);
  const address = getAddress(bytesToHex(suite.addressFromPublicKey(publicKey)));

  const account = toAccount({
    address,
    nonceManager: options.nonceManager,
    async sign({ hash }) {
      if (!isHex(hash, { strict: true }) || hash.length !== 66) {
        throw new CharterSDKError("invalid-argument", "sign({ hash }) takes exactly 32 bytes of hex.");
      }
      return bytesToHex(sm2Sign(hexToBytes(hash), key));
    },
    async signMessage({ message }) {
      return signSM2Digest(hashSM2Message(message), key, publicKey);
    },
    // viem's `serializer` (the second argument) is deliberately not used; see the function's documentation.
    async signTransaction(transaction) {
      const unsigned = toSM2UnsignedTx(transaction as SM2TransactionSerializable);
      try {
        return bytesToHex(signTx(unsigned, key, suite).raw);
      } catch (error) {
        // A field that does not fit the format (a 65-bit nonce, a tip above the fee cap, …).
        if (error instanceof CodecError) {
          throw new CharterSDKError("invalid-transaction", error.message, { cause: error });
        }
        throw error;
      }
    },
    async signTypedData(typedData) {
      return signSM2Digest(hashTypedData(typedData as TypedDataDefinition), key, publicKey);
    },
  });

  return { ...account, publicKey: bytesToHex(publicKey), source: "sm2" } as SM2Account;
}
