package org.jorderer.server.channels;

import java.util.function.Supplier;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.consensus.Chain;
import org.jorderer.ledger.BlockStore;

/** Makes the chain that orders for a channel, chosen by the channel's consensus type. */
public interface ChainFactory {
  /**
   * Refuses, with a message for the operator, a channel whose consensus this node cannot run.
   *
   * @throws IllegalArgumentException naming the channel and its consensus type
   */
  void checkSupported(ChannelConfig config);

  /** A chain over {@code ledger}, reading the channel's current config from {@code config}; not started. */
  Chain create(String channelId, BlockStore ledger, Supplier<ChannelConfig> config);
}
