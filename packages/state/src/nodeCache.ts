import { BoundedCache } from "@charter/utils";
import type { TrieNode } from "./trieNode.js";

/** Default bound on decoded nodes held in memory (on the order of 100 MB of state-trie nodes). */
export const TRIE_NODE_CACHE_NODES_MAX = 200_000;

/**
 * A bounded cache of decoded trie nodes keyed by hash (as `bytesKey`), shared by every trie over one store.
 * Nodes are immutable and content-addressed, so an entry can never be stale; only committed nodes are added
 * (see `Trie.applyCommitted`), so a cache hit is always a node that is also on disk. Eviction keeps the
 * recently used half (see `BoundedCache`), which is what a block commit (hot upper trie levels) wants.
 */
export class TrieNodeCache extends BoundedCache<TrieNode> {
  constructor(options: { nodesMax?: number } = {}) {
    super(options.nodesMax ?? TRIE_NODE_CACHE_NODES_MAX);
  }
}
