package org.jorderer.consensus.raft;

import java.util.function.Consumer;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.channel.ChannelConfig;

/**
 * Where a consenter that fell behind the others' compacted Raft logs gets the blocks it misses:
 * from the channel's other orderers over Deliver, as Fabric's onboarding does
 * (orderer/common/cluster/replication.go and deliver.go, {@code BlockPuller}). The server
 * implements it; this module only asks.
 */
public interface BlockSource {

  /**
   * Hands {@code accept}, in order, each block from {@code last}'s number + 1 up to {@code to}
   * (inclusive), each verified before it is handed over: its number, its link to the block before
   * it (starting at {@code last}), its data hash, and its orderer signatures under the channel's
   * BlockValidation policy of the config in force (starting at {@code config}, switching at each
   * config block). Returns once block {@code to} was handed over.
   *
   * @param last the newest block this node holds: the anchor the pulled chain must extend
   * @param config the channel's config in force after {@code last}
   * @throws IllegalStateException when no orderer could serve the blocks, or one served a block
   *     that failed verification
   * @throws InterruptedException when the pull was interrupted (the node stops)
   */
  void pull(String channelId, Block last, ChannelConfig config, long to, Consumer<Block> accept)
      throws InterruptedException;

  /** For nodes without a way to pull blocks: every pull fails, so a node far behind stays behind. */
  BlockSource NONE = (channelId, last, config, to, accept) -> {
    throw new IllegalStateException("channel " + channelId + ": this node has no block source to pull blocks "
        + (last.getHeader().getNumber() + 1) + " to " + to + " from");
  };
}
