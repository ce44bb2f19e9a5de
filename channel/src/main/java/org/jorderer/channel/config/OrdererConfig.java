package org.jorderer.channel.config;

import java.util.Map;
import java.util.Optional;

/** {@code /Channel/Orderer}: everything the orderer itself obeys. */
public record OrdererConfig(
    ConsensusType consensusType,
    BatchSize batchSize,
    BatchTimeout batchTimeout,
    Optional<ChannelRestrictions> channelRestrictions,
    Capabilities capabilities,
    Map<String, OrganizationConfig> organizations) {
  public OrdererConfig {
    organizations = Map.copyOf(organizations);
  }
}
