import type { CryptoSuite } from "@charter/crypto";
import { bigintToBytes, hexToBytes } from "@charter/utils";
import { RLP } from "@ethereumjs/rlp";

/**
 * Hash of a validator set as headers carry it (`validatorsHash`): the suite hash of the RLP list of
 * [address, publicKey, weight] in the set's order. The consensus issue moves this next to the validator set
 * it describes.
 */
export function validatorSetHash(
  validators: readonly { readonly address: string; readonly publicKey: string; readonly weight: number }[],
  suite: CryptoSuite,
): Uint8Array {
  return suite.hash(
    RLP.encode(
      validators.map((v) => [
        hexToBytes(v.address),
        hexToBytes(v.publicKey),
        bigintToBytes(BigInt(v.weight)),
      ]),
    ),
  );
}
