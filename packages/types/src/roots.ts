import type { CryptoSuite } from "@charter/crypto";
import type { Receipt } from "./block.js";
import { merkleRoot } from "./merkle.js";
import { encodeReceipt } from "./receiptCodec.js";
import type { SignedTx } from "./transaction.js";

/**
 * The header's `transactionsRoot`: the Merkle root (`merkleRoot`) over the transaction hashes in block order.
 * A proof of inclusion uses the transaction hash as its leaf.
 */
export function transactionsRoot(
  transactions: readonly Pick<SignedTx, "hash">[],
  suite: CryptoSuite,
): Uint8Array {
  return merkleRoot(
    transactions.map((tx) => tx.hash),
    suite.hash,
  );
}

/** The leaf of a receipt in `receiptsRoot`: `suite.hash(encodeReceipt(receipt))`. */
export function hashReceipt(receipt: Receipt, suite: CryptoSuite): Uint8Array {
  return suite.hash(encodeReceipt(receipt));
}

/** The header's `receiptsRoot`: the Merkle root over the receipt hashes (`hashReceipt`) in block order. */
export function receiptsRoot(receipts: readonly Receipt[], suite: CryptoSuite): Uint8Array {
  return merkleRoot(
    receipts.map((receipt) => hashReceipt(receipt, suite)),
    suite.hash,
  );
}
