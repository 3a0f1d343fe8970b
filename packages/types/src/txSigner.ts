import type { CryptoSuite } from "@charter/crypto";
import { bigintToFixedBytes, bytesToBigint, concatBytes } from "@charter/utils";
import { CodecError, TxDecodeError, TxDecodeMessage } from "./errors.js";
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
  if ((unsigned.type === TxType.sm2) === suite.recoverable) {
    throw new CodecError(
      "invalid-value",
      suite.recoverable
        ? `The ${suite.name} suite signs transactions of types 0, 1 and 2, not type 0x53 (SM2).`
        : `The ${suite.name} suite signs only type-0x53 (SM2) transactions; this one is type ${unsigned.type}.`,
    );
  }
  const signingHash = suite.hash(txSigningPayload(unsigned));
  const signature = suite.sign(signingHash, privateKey);
  if (unsigned.type === TxType.sm2) {
    const parts = {
      yParity: 0,
      r: bytesToBigint(signature.subarray(0, 32)),
      s: bytesToBigint(signature.subarray(32, 64)),
      // The 65-byte uncompressed key without its 0x04 prefix.
      publicKey: suite.publicKeyFromPrivateKey(privateKey).slice(1),
    };
    const raw = encodeTx({ ...unsigned, ...parts });
    return signedTx(unsigned, parts, { v: 0n, raw, hash: suite.hash(raw), signingHash });
  }
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
 * recovery (about 50 µs with the native `ecdsa` suite), so callers recover once and keep a `VerifiedTx`. A
 * type-0x53 transaction names its SM2 public key: the signature is verified against it and the sender is that
 * key's address.
 */
export function recoverTxSender(tx: SignedTx, suite: CryptoSuite): Uint8Array | null {
  if (tx.r < 0n || tx.s < 0n || tx.r >= 2n ** 256n || tx.s >= 2n ** 256n) return null;
  if ((tx.type === TxType.sm2) === suite.recoverable) return null;
  if (tx.type === TxType.sm2) {
    if (tx.publicKey?.length !== 64) return null;
    const publicKey = concatBytes(Uint8Array.of(0x04), tx.publicKey);
    const signature = concatBytes(bigintToFixedBytes(tx.r, 32), bigintToFixedBytes(tx.s, 32));
    return suite.verify(tx.signingHash, signature, publicKey) ? suite.addressFromPublicKey(publicKey) : null;
  }
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
      tx.type === TxType.sm2
        ? `${TxDecodeMessage.invalidSender}: the SM2 signature does not verify for the transaction's public key.`
        : `${TxDecodeMessage.invalidSender}: the transaction signature does not recover to any public key.`,
    );
  }
  return { ...tx, sender };
}
