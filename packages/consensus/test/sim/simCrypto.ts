import { createHash } from "node:crypto";
import { createEcdsaSuite } from "@charter/crypto";
import { bytesToHex, equalBytes } from "@charter/utils";

/** The crypto the simulator's nodes use: the `ConsensusCrypto` slice plus key handling. */
export interface SimCrypto {
  hash(data: Uint8Array): Uint8Array;
  verify(digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
  sign(digest: Uint8Array, privateKey: Uint8Array): Uint8Array;
  publicKeyFromPrivateKey(privateKey: Uint8Array): Uint8Array;
  addressFromPublicKey(publicKey: Uint8Array): Uint8Array;
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const PUB_TAG = new TextEncoder().encode("sim-pub");

/**
 * A fast stand-in for ECDSA in most seeds (anchors-reliability T1: real signatures in a sample of seeds, a fast
 * fake elsewhere). A signature is sha256(privateKey ‖ digest); verification looks the private key up from the
 * public key in this instance's registry, so only the key holder can make a signature that verifies, and a forger
 * signing with its own key is rejected just as with ECDSA.
 */
export function createSimCrypto(): SimCrypto {
  const registry = new Map<string, Uint8Array>();
  return {
    hash: (data) => sha256(data),
    sign: (digest, privateKey) => sha256(privateKey, digest),
    verify(digest, signature, publicKey) {
      const key = registry.get(bytesToHex(publicKey));
      return key !== undefined && equalBytes(sha256(key, digest), signature);
    },
    publicKeyFromPrivateKey(privateKey) {
      const pub = sha256(PUB_TAG, privateKey);
      registry.set(bytesToHex(pub), privateKey);
      return pub;
    },
    addressFromPublicKey: (publicKey) => publicKey.slice(0, 20),
  };
}

/** The production ECDSA suite (secp256k1 + Keccak-256), for the seeds that run real signatures. */
export function createRealCrypto(): SimCrypto {
  const suite = createEcdsaSuite();
  return {
    hash: (data) => suite.hash(data),
    sign: (digest, key) => suite.sign(digest, key),
    verify: (digest, sig, pub) => suite.verify(digest, sig, pub),
    publicKeyFromPrivateKey: (key) => suite.publicKeyFromPrivateKey(key),
    addressFromPublicKey: (pub) => suite.addressFromPublicKey(pub),
  };
}

export function deriveKey(seed: number, index: number): Uint8Array {
  const tag = new Uint8Array(8);
  new DataView(tag.buffer).setUint32(0, seed >>> 0);
  new DataView(tag.buffer).setUint32(4, index);
  return sha256(new TextEncoder().encode("sim-key"), tag);
}
