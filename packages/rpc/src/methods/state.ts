import { type BlockSelector, parseBlockNumberOrHash, resolveStateHeight } from "../blockTag.js";
import { RPCError, RPCErrorCode } from "../errors.js";
import { type Hex, hex, quantity } from "../format.js";
import { defineMethod } from "../method.js";
import { optional, parseAddress, parseArray, parseStorageKey, required } from "../params.js";

/**
 * Account state at a block. The block parameter is optional (default `latest`); a height above the head is
 * -32000 "header not found" and an unknown hash -32000 "header for hash not found", as geth answers.
 */

const latest: BlockSelector = { kind: "tag", tag: "latest" };

export const eth_getBalance = defineMethod({
  name: "eth_getBalance",
  description: "Balance in wei of an account at a block.",
  params: [required("address", parseAddress), optional("block", parseBlockNumberOrHash)],
  handler: async ({ backend }, [address, selector]): Promise<Hex> => {
    const height = await resolveStateHeight(backend, selector ?? latest);
    return quantity((await backend.getAccount(address, height)).balance);
  },
});

export const eth_getTransactionCount = defineMethod({
  name: "eth_getTransactionCount",
  description: "Nonce of an account at a block; with `pending`, the next nonce counting pool transactions.",
  params: [required("address", parseAddress), optional("block", parseBlockNumberOrHash)],
  handler: async ({ backend }, [address, selector]): Promise<Hex> => {
    // Signers ask for the `pending` nonce to send several transactions in a row; it must count the pool.
    if (selector?.kind === "tag" && selector.tag === "pending")
      return quantity(await backend.pendingNonce(address));
    const height = await resolveStateHeight(backend, selector ?? latest);
    return quantity((await backend.getAccount(address, height)).nonce);
  },
});

export const eth_getCode = defineMethod({
  name: "eth_getCode",
  description: "Contract code at an address at a block (`0x` for an account without code).",
  params: [required("address", parseAddress), optional("block", parseBlockNumberOrHash)],
  handler: async ({ backend }, [address, selector]): Promise<Hex> => {
    const height = await resolveStateHeight(backend, selector ?? latest);
    return hex(await backend.getCode(address, height));
  },
});

export const eth_getStorageAt = defineMethod({
  name: "eth_getStorageAt",
  description: "The 32-byte value of a storage slot at a block. The slot may be given as a quantity (`0x0`).",
  params: [
    required("address", parseAddress),
    required("slot", parseStorageKey),
    optional("block", parseBlockNumberOrHash),
  ],
  handler: async ({ backend }, [address, slot, selector]): Promise<Hex> => {
    const height = await resolveStateHeight(backend, selector ?? latest);
    return hex(await backend.getStorageAt(address, slot, height));
  },
});

export interface RPCAccountProof {
  readonly address: Hex;
  readonly accountProof: readonly Hex[];
  readonly balance: Hex;
  readonly codeHash: Hex;
  readonly nonce: Hex;
  readonly storageHash: Hex;
  readonly storageProof: readonly {
    readonly key: Hex;
    readonly value: Hex;
    readonly proof: readonly Hex[];
  }[];
}

function parseStorageKeys(value: unknown): readonly Uint8Array[] {
  return parseArray(value, Number.MAX_SAFE_INTEGER, "storage keys").map(parseStorageKey);
}

export const eth_getProof = defineMethod({
  name: "eth_getProof",
  description:
    "EIP-1186 Merkle proof of an account and some of its storage slots against a block's state root.",
  params: [
    required("address", parseAddress),
    required("storageKeys", parseStorageKeys),
    optional("block", parseBlockNumberOrHash),
  ],
  handler: async ({ backend, limits }, [address, keys, selector]): Promise<RPCAccountProof> => {
    if (keys.length > limits.proofStorageKeysMax) {
      throw new RPCError(
        RPCErrorCode.limitExceeded,
        `too many storage keys: ${keys.length}, at most ${limits.proofStorageKeysMax} per eth_getProof call`,
      );
    }
    const height = await resolveStateHeight(backend, selector ?? latest);
    const proof = await backend.getProof(address, keys, height);
    return {
      address: hex(proof.address),
      accountProof: proof.accountProof.map(hex),
      balance: quantity(proof.balance),
      codeHash: hex(proof.codeHash),
      nonce: quantity(proof.nonce),
      storageHash: hex(proof.storageHash),
      storageProof: proof.storageProof.map((entry) => ({
        key: hex(entry.key),
        value: quantity(entry.value),
        proof: entry.proof.map(hex),
      })),
    };
  },
});
