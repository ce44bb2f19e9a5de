package org.jorderer.channel.config;

import java.util.Map;

/**
 * {@code /Channel/Application}. The ACLs value is peer business and kept opaque.
 */
public record ApplicationConfig(Capabilities capabilities, Map<String, OrganizationConfig> organizations) {
  public ApplicationConfig {
    organizations = Map.copyOf(organizations);
  }
}
