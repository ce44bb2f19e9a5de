package org.jorderer.consensus;

import java.time.Instant;
import java.util.Optional;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.channel.ChannelConfig;

/**
 * A consensus type run by a cluster of named consenters (Fabric's {@code consensus.ClusterConsenter}
 * and {@code consensus.MetadataValidator}): a node that is not among a channel's consenters
 * follows the channel instead of ordering for it, and config updates must respect the type's
 * rules for changing the consenters.
 */
public interface ClusterConsenter extends Consenter {
  /** Whether this node is one of the consenters {@code config} names (Fabric's {@code IsChannelMember}). */
  boolean isChannelMember(ChannelConfig config);

  /**
   * Fabric's {@code ValidateConsensusMetadata} for a config update of an existing channel.
   *
   * @param lastBlock the channel's newest block (its consensus metadata numbers the consenters)
   * @return empty when acceptable, otherwise Fabric's error text
   */
  Optional<String> validateConsensusMetadata(ChannelConfig current, ChannelConfig next, Block lastBlock, Instant now);
}
