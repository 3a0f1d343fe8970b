import { equalBytes } from "@charter/utils";
import { CodecError } from "./errors.js";

/** A hash function over bytes, such as `suite.hash`. */
export type HashFunction = (data: Uint8Array) => Uint8Array;

/**
 * An inclusion proof: the sibling hashes from the leaf up to the root, in the order RFC 9162 §2.1.3 verifies
 * them. `leafCount` fixes the tree's shape, so a verifier needs it as much as the index.
 */
export interface MerkleProof {
  readonly leafIndex: number;
  readonly leafCount: number;
  readonly siblings: readonly Uint8Array[];
}

/** No tree with at most 2^53 leaves is deeper than this, so longer proofs are rejected before any hashing. */
export const MERKLE_PROOF_SIBLINGS_MAX = 64;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/**
 * The root of the RFC 6962 Merkle tree over `leaves`: a leaf node is `hash(0x00 ‖ leaf)`, an inner node
 * `hash(0x01 ‖ left ‖ right)`, and the empty tree `hash("")`. The prefixes keep a leaf from being passed off as an
 * inner node (second-preimage attacks). An unpaired node is carried up a level unchanged, never duplicated, so
 * two different leaf lists cannot share a root the way Bitcoin's duplicated-last-leaf trees can.
 *
 * @example
 * merkleRoot(transactions.map((tx) => tx.hash), suite.hash);
 */
export function merkleRoot(leaves: readonly Uint8Array[], hash: HashFunction): Uint8Array {
  if (leaves.length === 0) return hash(new Uint8Array(0));
  let level = leaves.map((leaf) => hashLeaf(leaf, hash));
  while (level.length > 1) level = parentLevel(level, hash);
  return level[0]!;
}

/**
 * The inclusion proof of `leaves[index]`. Throws `CodecError("invalid-value")` when `index` is not a position in
 * `leaves`.
 */
export function merkleProof(leaves: readonly Uint8Array[], index: number, hash: HashFunction): MerkleProof {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leaves.length) {
    throw new CodecError(
      "invalid-value",
      `Leaf index ${index} is outside a tree of ${leaves.length} leaves.`,
    );
  }
  const siblings: Uint8Array[] = [];
  let level = leaves.map((leaf) => hashLeaf(leaf, hash));
  let position = index;
  while (level.length > 1) {
    // The last node of an odd level has no sibling; it moves up unchanged and contributes nothing to the proof.
    const sibling = level[position ^ 1];
    if (sibling !== undefined) siblings.push(sibling);
    level = parentLevel(level, hash);
    position >>= 1;
  }
  return { leafIndex: index, leafCount: leaves.length, siblings };
}

export interface VerifyMerkleProofParameters {
  readonly root: Uint8Array;
  /** The leaf's data, not its hash: the verifier applies the leaf prefix itself. */
  readonly leaf: Uint8Array;
  readonly proof: MerkleProof;
  readonly hash: HashFunction;
}

/**
 * Checks that `leaf` is at `proof.leafIndex` in a tree of `proof.leafCount` leaves with root `root`, by the
 * algorithm of RFC 9162 §2.1.3.2. Returns false for any malformed proof; never throws.
 *
 * @example
 * const proof = merkleProof(leaves, 3, suite.hash);
 * verifyMerkleProof({ root: header.transactionsRoot, leaf: leaves[3], proof, hash: suite.hash }); // true
 */
export function verifyMerkleProof(parameters: VerifyMerkleProofParameters): boolean {
  const { root, leaf, proof, hash } = parameters;
  const { leafIndex, leafCount, siblings } = proof;
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(leafCount)) return false;
  if (leafIndex < 0 || leafIndex >= leafCount) return false;
  if (siblings.length > MERKLE_PROOF_SIBLINGS_MAX) return false;
  // Indices can exceed 2^31, so halving uses division rather than 32-bit shifts.
  let index = leafIndex;
  let lastIndex = leafCount - 1;
  let node = hashLeaf(leaf, hash);
  for (const sibling of siblings) {
    if (lastIndex === 0) return false;
    if (index % 2 === 1 || index === lastIndex) {
      node = hashNode(sibling, node, hash);
      // A right-most node without a sibling was carried up; skip the levels where that happened.
      while (index % 2 === 0 && index !== 0) {
        index = Math.floor(index / 2);
        lastIndex = Math.floor(lastIndex / 2);
      }
    } else {
      node = hashNode(node, sibling, hash);
    }
    index = Math.floor(index / 2);
    lastIndex = Math.floor(lastIndex / 2);
  }
  return lastIndex === 0 && equalBytes(node, root);
}

function parentLevel(level: readonly Uint8Array[], hash: HashFunction): Uint8Array[] {
  const parents: Uint8Array[] = [];
  for (let i = 0; i + 1 < level.length; i += 2) parents.push(hashNode(level[i]!, level[i + 1]!, hash));
  if (level.length % 2 === 1) parents.push(level[level.length - 1]!);
  return parents;
}

function hashLeaf(leaf: Uint8Array, hash: HashFunction): Uint8Array {
  const input = new Uint8Array(1 + leaf.length);
  input[0] = LEAF_PREFIX;
  input.set(leaf, 1);
  return hash(input);
}

function hashNode(left: Uint8Array, right: Uint8Array, hash: HashFunction): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return hash(input);
}
