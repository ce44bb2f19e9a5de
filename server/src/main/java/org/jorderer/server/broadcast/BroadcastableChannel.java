package org.jorderer.server.broadcast;

import java.util.Optional;
import org.jorderer.channel.processor.MessageProcessor;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.consensus.Submission;

/**
 * What Broadcast needs of one channel: its message processor, to judge with, and its chain, to
 * order with.
 */
public interface BroadcastableChannel {
  ChannelConfig config();

  /** The channel's message processor; empty when this node serves the channel for Deliver only. */
  Optional<MessageProcessor> processor();

  /**
   * Hands a filtered envelope to the channel's chain ({@link org.jorderer.consensus.Chain#submit}):
   * taken when the chain holds it, settled when Broadcast may answer; a failure's text is answered
   * as SERVICE_UNAVAILABLE.
   */
  Submission order(Envelope envelope, long configSequence);

  /** Hands the CONFIG envelope the processor made from an update to the chain, as {@link #order}. */
  Submission configure(Envelope configEnvelope, long configSequence);
}
