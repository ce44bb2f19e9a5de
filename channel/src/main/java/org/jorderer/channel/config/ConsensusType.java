package org.jorderer.channel.config;

import com.google.protobuf.ByteString;

/**
 * {@code /Channel/Orderer/ConsensusType}.
 *
 * @param type "solo", "etcdraft", "kafka" or "BFT"
 * @param metadata consenter-specific bytes (e.g. {@code etcdraft.ConfigMetadata}); empty for solo
 * @param state NORMAL, or MAINTENANCE (normal transactions refused; /Channel/Orderer policies rule)
 */
public record ConsensusType(String type, ByteString metadata, State state) {
  public enum State {
    NORMAL,
    MAINTENANCE
  }

  public boolean maintenance() {
    return state == State.MAINTENANCE;
  }
}
