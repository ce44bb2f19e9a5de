package org.jorderer.server.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The keys of {@code orderer.yaml} that jorderer knows, and their environment variable names.
 * Viper matches keys without regard to case, so lookups here do too; the spelling kept is Fabric's.
 */
final class OrdererYamlKeys {
  static final String ENV_PREFIX = "ORDERER_";
  static final String CONSENSUS = "Consensus";

  private static final List<String> TLS_KEYS =
      List.of("Enabled", "PrivateKey", "Certificate", "RootCAs", "ClientAuthRequired", "ClientRootCAs");

  /** Every key jorderer reads, in orderer.yaml's order. */
  static final List<String> LEAVES;

  /**
   * Fabric keys jorderer recognises and does not use: a file written for Fabric carries them, so they
   * are reported as ignored rather than unknown. A key here covers everything under it that is not
   * in {@link #LEAVES} ({@code General.Cluster}'s timeouts and buffers: Ratis has its own).
   */
  static final List<String> IGNORED_FABRIC = List.of(
      "General.LedgerType", "General.Cluster", "General.ConnectionTimeout", "General.GenesisMethod",
      "General.GenesisProfile", "General.GenesisFile", "General.SystemChannel", "General.BootstrapFile",
      "General.Profile", "General.BCCSP", "General.LogLevel", "General.LogFormat", "General.Backoff",
      "General.Throttling", "FileLedger.Prefix", "RAMLedger", "Kafka", "Debug", "ChannelParticipation.RemoveStorage");

  /**
   * etcdraft's options, which an environment variable may set even when the file's Consensus section
   * lacks them (Fabric's viper only overrides keys the file has; jorderer knows these by name).
   * BroadcastLeaderWait is jorderer's own (docs/raft.md, "Broadcast without a leader").
   */
  static final List<String> CONSENSUS_KEYS = List.of("WALDir", "SnapDir", "EvictionSuspicion", "TickIntervalOverride",
      "BroadcastLeaderWait");

  private static final Map<String, String> LEAF_BY_LOWER = new LinkedHashMap<>();
  private static final Map<String, String> SECTION_BY_LOWER = new LinkedHashMap<>();
  private static final Map<String, String> LEAF_BY_ENV = new LinkedHashMap<>();

  static {
    List<String> leaves = new ArrayList<>();
    leaves.add("General.ListenAddress");
    leaves.add("General.ListenPort");
    tls(leaves, "General.TLS");
    for (String key : List.of("ListenAddress", "ListenPort", "ServerCertificate", "ServerPrivateKey",
        "ClientCertificate", "ClientPrivateKey", "RootCAs")) {
      leaves.add("General.Cluster." + key);
    }
    leaves.addAll(List.of("General.Keepalive.ServerMinInterval", "General.Keepalive.ServerInterval",
        "General.Keepalive.ServerTimeout", "General.MaxRecvMsgSize", "General.MaxSendMsgSize",
        "General.BootstrapMethod", "General.LocalMSPDir", "General.LocalMSPID", "General.Authentication.TimeWindow",
        "General.Authentication.NoExpirationChecks", "FileLedger.Location", "Operations.ListenAddress"));
    tls(leaves, "Operations.TLS");
    leaves.addAll(List.of("Metrics.Provider", "Metrics.Statsd.Network", "Metrics.Statsd.Address",
        "Metrics.Statsd.WriteInterval", "Metrics.Statsd.Prefix", "Admin.ListenAddress"));
    tls(leaves, "Admin.TLS");
    leaves.addAll(List.of("ChannelParticipation.Enabled", "ChannelParticipation.MaxRequestBodySize"));
    LEAVES = List.copyOf(leaves);
    for (String leaf : LEAVES) {
      LEAF_BY_LOWER.put(lower(leaf), leaf);
      LEAF_BY_ENV.put(envName(leaf), leaf);
      for (int dot = leaf.indexOf('.'); dot > 0; dot = leaf.indexOf('.', dot + 1)) {
        String section = leaf.substring(0, dot);
        SECTION_BY_LOWER.put(lower(section), section);
      }
    }
  }

  private OrdererYamlKeys() {}

  private static void tls(List<String> leaves, String section) {
    for (String key : TLS_KEYS) {
      leaves.add(section + "." + key);
    }
  }

  static String lower(String path) {
    return path.toLowerCase(Locale.ROOT);
  }

  /** {@code General.TLS.Enabled} → {@code ORDERER_GENERAL_TLS_ENABLED}, viper's rule. */
  static String envName(String path) {
    return ENV_PREFIX + path.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  /** The canonical spelling of a key jorderer reads, whatever its case in the file. */
  static Optional<String> leaf(String path) {
    return Optional.ofNullable(LEAF_BY_LOWER.get(lower(path)));
  }

  /** The canonical spelling of a section (a key holding other keys). */
  static Optional<String> section(String path) {
    return Optional.ofNullable(SECTION_BY_LOWER.get(lower(path)));
  }

  /** The ignored Fabric key covering {@code path}, if any. */
  static Optional<String> ignoredFabric(String path) {
    String p = lower(path);
    for (String ignored : IGNORED_FABRIC) {
      String i = lower(ignored);
      if (p.equals(i) || p.startsWith(i + ".")) {
        return Optional.of(ignored);
      }
    }
    return Optional.empty();
  }

  static Optional<String> leafForEnv(String envName) {
    return Optional.ofNullable(LEAF_BY_ENV.get(envName));
  }

  static Optional<String> ignoredFabricForEnv(String envName) {
    for (String ignored : IGNORED_FABRIC) {
      String prefix = envName(ignored);
      if (envName.equals(prefix) || envName.startsWith(prefix + "_")) {
        return Optional.of(ignored);
      }
    }
    return Optional.empty();
  }
}
