package org.jorderer.consensus.raft;

import java.util.Objects;
import org.jorderer.channel.config.ConsensusType;
import org.jorderer.consensus.Chain;
import org.jorderer.consensus.Consenter;
import org.jorderer.consensus.ConsenterSupport;

/**
 * Consensus type "etcdraft" on Apache Ratis (Fabric's {@code etcdraft.Consenter}): one Raft group
 * per channel, all hosted by this node's one Ratis server. Make one per node (per
 * {@link ClusterSettings}); chains made by it share the server, which starts with the first chain
 * and stops after the last one closes.
 */
public final class RaftConsenter implements Consenter {
  /** The name channel configs give this consensus type. */
  public static final String TYPE = "etcdraft";

  private final RatisNode node;
  private final BlockSource blocks;

  /** A consenter that cannot pull blocks: a node behind the others' compacted logs stays behind. */
  public RaftConsenter(ClusterSettings settings) {
    this(settings, BlockSource.NONE);
  }

  /**
   * @param blocks where a node behind the others' compacted Raft logs pulls the blocks it misses
   *     (the server's Deliver client)
   */
  public RaftConsenter(ClusterSettings settings, BlockSource blocks) {
    this.node = new RatisNode(Objects.requireNonNull(settings, "settings"));
    this.blocks = Objects.requireNonNull(blocks, "blocks");
  }

  /**
   * A chain for the channel if this node is one of its consenters (Fabric's {@code HandleChain}).
   *
   * @throws IllegalArgumentException when the channel's etcdraft metadata is unusable, or this
   *     node's cluster certificate is not a consenter's (Fabric makes such a node a follower of
   *     the channel; jorderer does not run etcdraft followers yet)
   */
  @Override
  public Chain handleChain(ConsenterSupport support) {
    ConsensusType type = support.config().orderer()
        .orElseThrow(() -> new IllegalArgumentException("channel " + support.channelId() + " has no orderer config"))
        .consensusType();
    ConsenterSet consenters = ConsenterSet.of(support.channelId(), type.metadata(),
        support.block(support.height() - 1));
    if (consenters.self(node.settings().serverCertificatePem()).isEmpty()) {
      throw new IllegalArgumentException("channel " + support.channelId()
          + ": this node's cluster certificate is not among the channel's consenters (not in channel)");
    }
    return new RaftChain(support, node, consenters, blocks);
  }
}
