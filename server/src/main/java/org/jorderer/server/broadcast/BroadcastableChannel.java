package org.jorderer.server.broadcast;

import java.util.concurrent.CompletableFuture;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;

/** What Broadcast needs of one channel: its current config, to filter with, and its chain, to order with. */
public interface BroadcastableChannel {
  ChannelConfig config();

  /**
   * Hands a filtered envelope to the channel's chain; completes when the chain has accepted it,
   * fails with the chain's reason when it cannot (answered as SERVICE_UNAVAILABLE).
   */
  CompletableFuture<Void> order(Envelope envelope, long configSequence);
}
