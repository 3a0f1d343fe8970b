import {
  type ConsensusMessage,
  type ConsensusTransport,
  decodeConsensusMessage,
  encodeConsensusMessage,
  peekCommitHeight,
  peekProposal,
} from "@charter/consensus";
import type { CryptoSuite } from "@charter/crypto";
import type { Block } from "@charter/types";
import type { GossipNetwork } from "./txGossip.js";
import { PeerMessageType } from "./txGossip.js";

/** The slice of the p2p network consensus needs beyond gossip: a message to one peer. */
export interface ConsensusNetwork extends GossipNetwork {
  send(peerAddress: string, type: number, payload: Uint8Array): boolean;
}

/**
 * Consensus messages over the node's p2p links: encoded with the consensus wire codec in frames of type
 * `consensus`. Frames that do not decode are dropped and counted (`onMalformed`), never handed to the core.
 */
export function createConsensusTransport(options: {
  readonly network: ConsensusNetwork;
  readonly suite: CryptoSuite;
  readonly chainId: bigint;
  readonly onMalformed?: (peerAddress: string, error: Error) => void;
  /** Height of this node's head: catch-up commits at or below it are dropped before their block is decoded. */
  readonly headHeight: () => number;
  /**
   * Whether consensus already holds this exact proposal: such copies (rebroadcasts, POL relays) are dropped before
   * their block is decoded.
   */
  readonly holdsProposal?: (height: number, round: number, signature: Uint8Array) => boolean;
}): ConsensusTransport<Block> {
  const { network, suite, chainId } = options;
  return {
    broadcast(message: ConsensusMessage<Block>): void {
      network.broadcast(PeerMessageType.consensus, encodeConsensusMessage(message));
    },
    send(to: string, message: ConsensusMessage<Block>): void {
      network.send(to, PeerMessageType.consensus, encodeConsensusMessage(message));
    },
    onMessage(handler: (from: string, message: ConsensusMessage<Block>) => void): () => void {
      return network.onMessage((peer, type, payload) => {
        if (type !== PeerMessageType.consensus) return;
        const commitHeight = peekCommitHeight(payload);
        if (commitHeight !== undefined && commitHeight <= options.headHeight()) return;
        if (options.holdsProposal !== undefined) {
          const proposal = peekProposal(payload);
          if (proposal && options.holdsProposal(proposal.height, proposal.round, proposal.signature)) return;
        }
        let message: ConsensusMessage<Block>;
        try {
          message = decodeConsensusMessage(payload, { suite, chainId });
        } catch (error) {
          options.onMalformed?.(peer, error as Error);
          return;
        }
        handler(peer, message);
      });
    },
  };
}
