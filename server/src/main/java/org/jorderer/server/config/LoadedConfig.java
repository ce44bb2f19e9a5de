package org.jorderer.server.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of {@link OrdererYaml#load}.
 *
 * @param config the effective configuration: defaults, then the file, then {@code ORDERER_*}
 *     environment variables
 * @param source the file read, or empty when the embedded default was used
 * @param warnings what start-up should log as warnings: unknown keys and environment variables
 *     (typos, most likely), and settings jorderer accepts but cannot honour
 * @param ignoredFabricKeys Fabric settings present in the file or environment that jorderer knows
 *     but does not use (Kafka, BCCSP, Cluster, ...), worth an informational line
 */
public record LoadedConfig(
    OrdererConfiguration config, Optional<Path> source, List<String> warnings, List<String> ignoredFabricKeys) {
  public LoadedConfig {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(source, "source");
    warnings = List.copyOf(warnings);
    ignoredFabricKeys = List.copyOf(ignoredFabricKeys);
  }

  /** True when no file was given: the caller may create what the embedded default expects (the MSP). */
  public boolean embeddedDefault() {
    return source.isEmpty();
  }
}
