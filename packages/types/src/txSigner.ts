import type { CryptoSuite } from "@charter/crypto";
import { bigintToFixedBytes, bytesToBigint } from "@charter/utils";
import { TxDecodeError, TxDecodeMessage } from "./errors.js";
import { legacyV, signedTx } from "./signedTx.js";
import type { SignedTx, UnsignedTx, VerifiedTx } from "./transaction.js";
import { TxType } from "./transaction.js";
import { encodeTx, txSigningPayload } from "./txCodec.js";

/**
 * Signs a transaction with the suite's deterministic signature and returns it with its canonical serialisation,
 * hash and signing hash, exactly as `decodeTx` would return the same bytes. Throws `CodecError("invalid-value")`
 * for fields that do not fit the format and `CryptoError("invalid-private-key")` for a bad key.
 *
 * @example
 * const tx = signTx(
 *   createUnsignedTx({ type: TxType.feeMarket, chainId: 1n, nonce: 0n, gasLimit: 21_000n, to, value: 1n }),
 *   privateKey,
 *   createEcdsaSuite(),
 * );
 * await provider.send("eth_sendRawTransaction", [bytesToHex(tx.raw)]);
 */
export function signTx(unsigned: UnsignedTx, privateKey: Uint8Array, suite: CryptoSuite): SignedTx {
  const signingHash = suite.hash(txSigningPayload(unsigned));
  const signature = suite.sign(signingHash, privateKey);
  const parts = {
    yParity: signature[64]!,
    r: bytesToBigint(signature.subarray(0, 32)),
    s: bytesToBigint(signature.subarray(32, 64)),
  };
  const raw = encodeTx({ ...unsigned, ...parts });
  const v =
    unsigned.type === TxType.legacy ? legacyV(unsigned.chainId, parts.yParity) : BigInt(parts.yParity);
  return signedTx(unsigned, parts, { v, raw, hash: suite.hash(raw), signingHash });
}

/**
 * Recovers the address that signed `tx`, or `null` when the signature recovers no key. Costs one public-key
 * recovery (about 50 µs with the native `ecdsa` suite), so callers recover once and keep a `VerifiedTx`.
 */
export function recoverTxSender(tx: SignedTx, suite: CryptoSuite): Uint8Array | null {
  if (tx.r < 0n || tx.s < 0n || tx.r >= 2n ** 256n || tx.s >= 2n ** 256n) return null;
  if (tx.yParity !== 0 && tx.yParity !== 1) return null;
  const signature = new Uint8Array(65);
  signature.set(bigintToFixedBytes(tx.r, 32), 0);
  signature.set(bigintToFixedBytes(tx.s, 32), 32);
  signature[64] = tx.yParity;
  const publicKey = suite.recoverPublicKey(tx.signingHash, signature);
  return publicKey === null ? null : suite.addressFromPublicKey(publicKey);
}

/**
 * Recovers the sender and returns the transaction with it attached. Throws `TxDecodeError("invalid-sender")`
 * (message "invalid sender…", as geth words it) when no key recovers.
 */
export function toVerifiedTx(tx: SignedTx, suite: CryptoSuite): VerifiedTx {
  const sender = recoverTxSender(tx, suite);
  if (sender === null) {
    throw new TxDecodeError(
      "invalid-sender",
      `${TxDecodeMessage.invalidSender}: the transaction signature does not recover to any public key.`,
    );
  }
  return { ...tx, sender };
}
