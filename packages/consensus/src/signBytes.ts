import { type SignedType, SignedType as Types } from "./messages.js";

/** Every consensus signature starts with this prefix, so it can never be a valid signature of anything else. */
export const SIGN_PREFIX = new TextEncoder().encode("charter/v1/");
const HASH_LENGTH = 32;

export interface SignBytesInput {
  readonly chainId: bigint;
  readonly type: SignedType;
  readonly height: number;
  readonly round: number;
  readonly blockHash: Uint8Array | null;
  /** Proposals only. */
  readonly validRound?: number;
}

/**
 * The domain-separated bytes a proposal or vote signs (spec section 3):
 * prefix ‖ chainId(8) ‖ type(1) ‖ height(8) ‖ round(4) ‖ hasBlock(1) ‖ blockHash(32) [‖ validRound(4)].
 */
export function signBytes(input: SignBytesInput): Uint8Array {
  const isProposal = input.type === Types.proposal;
  const out = new Uint8Array(SIGN_PREFIX.length + 8 + 1 + 8 + 4 + 1 + HASH_LENGTH + (isProposal ? 4 : 0));
  const view = new DataView(out.buffer);
  out.set(SIGN_PREFIX, 0);
  let at = SIGN_PREFIX.length;
  view.setBigUint64(at, input.chainId);
  at += 8;
  out[at++] = input.type;
  view.setBigUint64(at, BigInt(input.height));
  at += 8;
  view.setUint32(at, input.round);
  at += 4;
  if (input.blockHash !== null) {
    if (input.blockHash.length !== HASH_LENGTH) throw new RangeError("A block hash is 32 bytes.");
    out[at] = 1;
    out.set(input.blockHash, at + 1);
  }
  at += 1 + HASH_LENGTH;
  if (isProposal) view.setInt32(at, input.validRound ?? -1);
  return out;
}
