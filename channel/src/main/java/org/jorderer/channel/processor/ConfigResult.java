package org.jorderer.channel.processor;

import java.util.Optional;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;

/**
 * The outcome of {@link MessageProcessor#processConfigUpdate} or {@link
 * MessageProcessor#processConfig}.
 *
 * @param verdict SUCCESS, or Fabric's status and info text for the refusal
 * @param config on success: the CONFIG envelope to order, signed by this orderer, whose data is
 *     {@code ConfigEnvelope{config (sequence + 1), last_update = the CONFIG_UPDATE envelope}}
 * @param configSequence on success: the config sequence the update was computed from (0 when
 *     refused, as Fabric)
 * @param newConfig on success: the channel configuration {@code config} establishes, already
 *     parsed and validated (what the block writer switches to once the block is written)
 */
public record ConfigResult(Verdict verdict, Optional<Envelope> config, long configSequence,
    Optional<ChannelConfig> newConfig) {
  public boolean accepted() {
    return verdict.accepted();
  }

  static ConfigResult refused(Verdict verdict) {
    return new ConfigResult(verdict, Optional.empty(), 0, Optional.empty());
  }
}
