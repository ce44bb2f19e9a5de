package org.jorderer.channel.config;

import java.util.Set;

/**
 * The capabilities required at one level ({@code /Channel/Capabilities},
 * {@code /Channel/Orderer/Capabilities}, {@code /Channel/Application/Capabilities}).
 */
public record Capabilities(Set<String> names) {
  public static final Capabilities NONE = new Capabilities(Set.of());

  public Capabilities {
    names = Set.copyOf(names);
  }

  public boolean has(String name) {
    return names.contains(name);
  }

  /**
   * Orderer-level: whether Broadcast rejects envelopes whose creator certificate has expired
   * (Fabric's {@code ExpirationCheck()}: V1_1, V1_4_2 or V2_0).
   */
  public boolean ordererExpirationCheck() {
    return has("V1_1") || has("V1_4_2") || has("V2_0");
  }

  /** Orderer-level: whether maintenance mode / consensus-type migration exists (V1_4_2 or V2_0). */
  public boolean ordererConsensusTypeMigration() {
    return has("V1_4_2") || has("V2_0");
  }
}
