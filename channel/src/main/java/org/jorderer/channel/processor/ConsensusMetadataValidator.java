package org.jorderer.channel.processor;

import java.time.Instant;
import java.util.Optional;
import org.jorderer.channel.ChannelConfig;

/**
 * The consensus type's own rules for a config update (Fabric's {@code consensus.MetadataValidator},
 * which {@code ChainSupport.ProposeConfigUpdate} calls as {@code ValidateConsensusMetadata}): for
 * etcdraft, Fabric's rules for consenter changes. The message processor calls it for every config
 * update it accepts otherwise; the consensus module that knows the rules implements it, so each
 * rule lives in one place.
 */
@FunctionalInterface
public interface ConsensusMetadataValidator {
  /** Accepts everything: consensus types without rules of their own (solo). */
  ConsensusMetadataValidator NONE = (current, next, now) -> Optional.empty();

  /**
   * @param current the channel's config in force
   * @param next the config the update would establish
   * @param now the processor's clock (certificate expiry)
   * @return empty when {@code next} is acceptable, otherwise Fabric's error text
   */
  Optional<String> validate(ChannelConfig current, ChannelConfig next, Instant now);
}
