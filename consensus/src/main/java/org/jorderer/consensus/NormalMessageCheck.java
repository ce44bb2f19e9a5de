package org.jorderer.consensus;

import java.time.Instant;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.EnvelopeChecks;
import org.jorderer.channel.EnvelopeChecks.Outcome;
import org.jorderer.channel.EnvelopeChecks.Verdict;
import org.jorderer.channel.config.OrdererConfig;

/**
 * Fabric's {@code StandardChannel.ProcessNormalMsg} as a chain re-runs it (spec E.4): when the
 * config changed between Broadcast's validation and ordering, the envelope is checked again against
 * the current config — maintenance mode, empty envelope, then Broadcast's standard filters.
 */
public final class NormalMessageCheck {
  private NormalMessageCheck() {}

  public static Verdict check(ChannelConfig config, Envelope envelope, Instant now) {
    OrdererConfig orderer = config.orderer().orElseThrow(() -> new IllegalStateException(
        "channel " + config.channelId() + " has no orderer config (/Channel/Orderer)"));
    if (orderer.capabilities().ordererConsensusTypeMigration() && orderer.consensusType().maintenance()) {
      return new Verdict(Outcome.BAD_REQUEST, "normal transactions are rejected: maintenance mode");
    }
    if (envelope.getPayload().isEmpty()) {
      return new Verdict(Outcome.BAD_REQUEST, "Message was empty");
    }
    return EnvelopeChecks.broadcast(config, envelope, now);
  }
}
