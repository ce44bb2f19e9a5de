package org.jorderer.channel.support;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.processor.MessageProcessor;
import org.jorderer.channel.processor.Verdict;

/** Broadcast's verdict on a normal envelope, through the channel's one message processor. */
public final class BroadcastRules {
  private BroadcastRules() {}

  public static Verdict verdict(ChannelConfig config, Envelope envelope, Instant now) {
    // No signer: processNormal never signs (only config updates make orderer-signed envelopes).
    return new MessageProcessor(config.channelId(), () -> config, null, Clock.fixed(now, ZoneOffset.UTC), true)
        .processNormal(envelope).verdict();
  }
}
