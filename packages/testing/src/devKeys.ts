import { deriveDevPrivateKeys } from "@charter/config";
import { bytesToHex } from "@charter/utils";

/** Dev account 0 (`0xf39F…2266`): funded on every test network and devnet. The key is publicly known. */
export const DEV_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/**
 * Private keys of the well-known dev mnemonic, 0x-prefixed, as ethers and viem take them. The first 20 are funded
 * by `createTestNetwork`; later ones are valid keys with no balance (they can still send with gas price 0).
 */
export function devPrivateKeysHex(count: number): `0x${string}`[] {
  return deriveDevPrivateKeys(count).map((key) => bytesToHex(key) as `0x${string}`);
}
