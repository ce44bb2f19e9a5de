package org.jorderer.server.broadcast;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jorderer.channel.processor.MessageProcessor;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;

/**
 * What Broadcast needs of one channel: its message processor, to judge with, and its chain, to
 * order with.
 */
public interface BroadcastableChannel {
  ChannelConfig config();

  /** The channel's message processor; empty when this node serves the channel for Deliver only. */
  Optional<MessageProcessor> processor();

  /**
   * Hands a filtered envelope to the channel's chain; completes when the chain has accepted it,
   * fails with the chain's reason when it cannot (answered as SERVICE_UNAVAILABLE).
   */
  CompletableFuture<Void> order(Envelope envelope, long configSequence);

  /** Hands the CONFIG envelope the processor made from an update to the chain, as {@link #order}. */
  CompletableFuture<Void> configure(Envelope configEnvelope, long configSequence);
}
