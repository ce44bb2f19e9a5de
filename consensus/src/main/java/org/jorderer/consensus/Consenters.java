package org.jorderer.consensus;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jorderer.channel.ChannelConfig;

/**
 * The consensus types this node runs, by the name a channel config gives in
 * {@code /Channel/Orderer/ConsensusType} ("solo", later "etcdraft"), as Fabric's registrar keeps
 * its {@code consenters} map.
 */
public final class Consenters {
  private final Map<String, Consenter> byType;
  private final Map<String, String> unavailable;

  public Consenters(Map<String, Consenter> byType) {
    this(byType, Map.of());
  }

  /**
   * @param unavailable consensus types this node knows but cannot run as configured, each with
   *     what the operator has to change (a channel of such a type is refused with it)
   */
  public Consenters(Map<String, Consenter> byType, Map<String, String> unavailable) {
    this.byType = Map.copyOf(byType);
    this.unavailable = Map.copyOf(unavailable);
  }

  public Optional<Consenter> forType(String type) {
    return Optional.ofNullable(byType.get(type));
  }

  /** The consensus type names, sorted. */
  public java.util.Set<String> types() {
    return new TreeMap<>(byType).keySet();
  }

  /**
   * The consenter of the channel's consensus type.
   *
   * @throws IllegalArgumentException naming the channel and its type when this node cannot run it
   */
  public Consenter forChannel(ChannelConfig config) {
    String type = config.orderer()
        .orElseThrow(() -> new IllegalArgumentException("channel " + config.channelId() + " has no orderer config"))
        .consensusType().type();
    Consenter consenter = byType.get(type);
    if (consenter == null && unavailable.containsKey(type)) {
      throw new IllegalArgumentException("channel " + config.channelId() + " uses consensus type '" + type + "' and "
          + unavailable.get(type));
    }
    if (consenter == null) {
      throw new IllegalArgumentException("channel " + config.channelId() + " uses consensus type '" + type
          + "'; this orderer runs " + String.join(", ", types()) + " chains only so far");
    }
    return consenter;
  }
}
