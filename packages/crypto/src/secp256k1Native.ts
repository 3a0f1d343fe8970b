import { createRequire } from "node:module";
import { CryptoError } from "./errors.js";

/**
 * The part of the `secp256k1` package's API that the `ecdsa` suite uses. The package wraps libsecp256k1; every
 * method checks its argument lengths and throws a plain `Error` on a parse failure, so callers validate first.
 */
export interface NativeSecp256k1 {
  privateKeyVerify(privateKey: Uint8Array): boolean;
  publicKeyCreate(privateKey: Uint8Array, compressed: boolean): Uint8Array;
  ecdsaSign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaVerify(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean;
  ecdsaRecover(signature: Uint8Array, recid: number, digest: Uint8Array, compressed: boolean): Uint8Array;
}

let loaded: NativeSecp256k1 | undefined;

/**
 * Loads the libsecp256k1 binding. The package's main entry silently falls back to the pure-JS `elliptic` library
 * when the native addon is missing, which makes sender recovery about 20 times slower without any sign of it.
 * Requiring `secp256k1/bindings` directly makes a missing addon a startup error instead.
 */
export function loadNativeSecp256k1(): NativeSecp256k1 {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  try {
    loaded = require("secp256k1/bindings") as NativeSecp256k1;
  } catch (cause) {
    throw new CryptoError(
      "native-binding-unavailable",
      "The native secp256k1 addon (libsecp256k1) could not be loaded. Reinstall the `secp256k1` package for this " +
        "platform and Node version; Charter does not fall back to the slow pure-JS implementation.",
      { cause },
    );
  }
  return loaded;
}
