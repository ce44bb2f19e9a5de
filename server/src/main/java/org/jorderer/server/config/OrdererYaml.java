package org.jorderer.server.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Fabric's {@code orderer.yaml} for jorderer: {@link #load} reads a file (or takes the embedded
 * default) and applies {@code ORDERER_<SECTION>_<KEY>} environment overrides; {@link #print} writes
 * the effective configuration back in the same layout, for {@code --print-config}.
 *
 * <p>The rules, kept close to Fabric's viper setup (see docs/configuration.md):
 *
 * <ul>
 *   <li>keys match without regard to case; the environment name is {@code ORDERER_} plus the key
 *       path in upper case with dots as underscores ({@code General.TLS.Enabled} is {@code
 *       ORDERER_GENERAL_TLS_ENABLED}); an empty variable counts as unset;
 *   <li>an environment variable wins over the file and, unlike Fabric, works for a key the file
 *       does not have;
 *   <li>a list in the environment is written {@code [a, b]};
 *   <li>relative paths, from the file or the environment, are taken from the file's folder;
 *   <li>an unknown key or {@code ORDERER_*} variable is a warning, a bad value an error naming the
 *       key and the form expected.
 * </ul>
 */
public final class OrdererYaml {
  /** The data folder of the embedded default, as {@code jorderer start} uses with no options. */
  public static final Path DEFAULT_DATA_DIR = Path.of("data");

  private OrdererYaml() {}

  /**
   * Loads the configuration: {@code configFile} if given, else the embedded default with its data
   * under {@link #DEFAULT_DATA_DIR}; then {@code env}'s {@code ORDERER_*} overrides.
   *
   * @param env the environment, usually {@code System.getenv()}
   * @throws ConfigurationException listing every unreadable file, bad value or broken rule
   */
  public static LoadedConfig load(Optional<Path> configFile, Map<String, String> env) {
    return load(configFile, env, DEFAULT_DATA_DIR);
  }

  /**
   * As {@link #load(Optional, Map)}, with the embedded default's data under {@code embeddedDataDir}
   * (unused when a file is given: the file's FileLedger.Location and General.LocalMSPDir apply).
   */
  public static LoadedConfig load(Optional<Path> configFile, Map<String, String> env, Path embeddedDataDir) {
    return OrdererYamlLoader.load(configFile, env, embeddedDataDir);
  }

  /**
   * The configuration as YAML in orderer.yaml's layout. Loading the printed text gives the same
   * configuration back, as long as its paths are absolute (relative ones would be taken from the
   * printed file's folder). Paths of keys are printed; no key material is read or shown.
   */
  public static String print(OrdererConfiguration config) {
    return OrdererYamlPrinter.print(config);
  }
}
