package org.jorderer.channel.config;

import java.util.Map;

/** {@code /Channel/Consortiums/<name>} of a legacy system channel. */
public record ConsortiumConfig(String name, Map<String, OrganizationConfig> organizations) {
  public ConsortiumConfig {
    organizations = Map.copyOf(organizations);
  }
}
