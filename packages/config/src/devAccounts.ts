import { HDKey } from "@scure/bip32";
import { mnemonicToSeedSync } from "@scure/bip39";

/**
 * The publicly known development mnemonic that anvil and `hardhat node` use, so default tool configurations
 * work against a devnet. Keys derived from it protect nothing: never use them outside a devnet.
 */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Number of dev accounts a devnet funds and signs for, as anvil and Hardhat do. */
export const DEV_ACCOUNT_COUNT = 20;

/** Private keys at `m/44'/60'/0'/0/k` for k in [0, count). */
export function deriveDevPrivateKeys(count = DEV_ACCOUNT_COUNT, mnemonic = DEV_MNEMONIC): Uint8Array[] {
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic));
  const keys: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const child = root.derive(`m/44'/60'/0'/0/${k}`);
    if (!child.privateKey) throw new Error(`derivation of dev account ${k} produced no private key`);
    keys.push(child.privateKey);
  }
  return keys;
}
