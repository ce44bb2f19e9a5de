package org.jorderer.server.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The orderer's local configuration in the layout of Fabric's {@code orderer.yaml}: the sections and
 * keys jorderer reads, typed and validated. Immutable; build one with {@link OrdererYaml#load}.
 *
 * <p>Paths are already resolved against the configuration file's folder (as Fabric's {@code
 * TranslatePathInPlace} does); with no file they stay as given, relative to the working directory.
 *
 * @param consensus the {@code Consensus} section, opaque to the orderer in Fabric as here; kept as
 *     read for the consensus implementation
 */
public record OrdererConfiguration(
    General general,
    FileLedger fileLedger,
    Operations operations,
    Metrics metrics,
    Admin admin,
    ChannelParticipation channelParticipation,
    Consensus consensus) {

  /** Fabric's 100 MiB gRPC message limit ({@code comm.DefaultMaxRecvMsgSize}). */
  public static final int DEFAULT_MAX_MESSAGE_SIZE = 100 * 1024 * 1024;
  /** {@code ChannelParticipation.MaxRequestBodySize}'s default, 1 MB in Fabric's sample. */
  public static final long DEFAULT_MAX_REQUEST_BODY_SIZE = 1024 * 1024;
  /** The MSP ID of the MSP that {@code jorderer start} generates when given no configuration. */
  public static final String EMBEDDED_MSP_ID = "JordererMSP";

  public OrdererConfiguration {
    Objects.requireNonNull(general, "general");
    Objects.requireNonNull(fileLedger, "fileLedger");
    Objects.requireNonNull(operations, "operations");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(channelParticipation, "channelParticipation");
    Objects.requireNonNull(consensus, "consensus");
  }

  /**
   * What a key missing from a configuration file means: Fabric 2.5's values (its sample
   * {@code orderer.yaml} where the code leaves a key empty), except {@code General.BootstrapMethod},
   * which is {@code none} because jorderer has no system channel (Fabric 3 made the same change).
   * Relative paths here ({@code msp}) are resolved against the file's folder by the loader.
   */
  public static OrdererConfiguration fabricDefaults() {
    return new OrdererConfiguration(
        new General("127.0.0.1", 7050, Tls.disabled(false), Keepalive.defaults(), DEFAULT_MAX_MESSAGE_SIZE,
            DEFAULT_MAX_MESSAGE_SIZE, BootstrapMethod.NONE, Path.of("msp"), "SampleOrg", Authentication.defaults(),
            Cluster.unset()),
        new FileLedger(Path.of("/var/hyperledger/production/orderer")),
        new Operations("127.0.0.1:8443", Tls.disabled(false)),
        new Metrics(MetricsProvider.DISABLED, Statsd.defaults()),
        new Admin("127.0.0.1:9443", Tls.disabled(true)),
        new ChannelParticipation(false, DEFAULT_MAX_REQUEST_BODY_SIZE),
        Consensus.empty());
  }

  /**
   * What {@code jorderer start} runs with no configuration file: Fabric's defaults, but everything it
   * keeps under one data folder (ledgers in {@code DATA/ledger}, an MSP generated on first start in
   * {@code DATA/msp} with ID {@value #EMBEDDED_MSP_ID}), the channel participation API on, since
   * with no system channel that is how channels are added, and Prometheus metrics on.
   */
  public static OrdererConfiguration embeddedDefault(Path dataDir) {
    OrdererConfiguration fabric = fabricDefaults();
    General g = fabric.general();
    return new OrdererConfiguration(
        new General(g.listenAddress(), g.listenPort(), g.tls(), g.keepalive(), g.maxRecvMsgSize(),
            g.maxSendMsgSize(), g.bootstrapMethod(), dataDir.resolve("msp"), EMBEDDED_MSP_ID, g.authentication(),
            g.cluster()),
        new FileLedger(dataDir.resolve("ledger")),
        fabric.operations(),
        new Metrics(MetricsProvider.PROMETHEUS, fabric.metrics().statsd()),
        fabric.admin(),
        new ChannelParticipation(true, DEFAULT_MAX_REQUEST_BODY_SIZE),
        fabric.consensus());
  }

  /** A HOST:PORT the loader accepted (IPv6 in brackets, host possibly empty) as a socket address. */
  static InetSocketAddress socketAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    String host = hostPort.substring(0, colon);
    int port = Integer.parseInt(hostPort.substring(colon + 1));
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }

  /**
   * {@code General}: the client-facing gRPC listener and the node's identity.
   *
   * @param listenPort 0 lets the system pick a free port (Fabric would use 7050 instead)
   * @param maxRecvMsgSize largest gRPC message the server accepts, in bytes
   * @param maxSendMsgSize largest gRPC message the server sends, in bytes
   * @param cluster {@code General.Cluster}: the Raft listener and its TLS credentials
   */
  public record General(
      String listenAddress,
      int listenPort,
      Tls tls,
      Keepalive keepalive,
      int maxRecvMsgSize,
      int maxSendMsgSize,
      BootstrapMethod bootstrapMethod,
      Path localMspDir,
      String localMspId,
      Authentication authentication,
      Cluster cluster) {
    public General {
      Objects.requireNonNull(cluster, "cluster");
      Objects.requireNonNull(listenAddress, "listenAddress");
      Objects.requireNonNull(tls, "tls");
      Objects.requireNonNull(keepalive, "keepalive");
      Objects.requireNonNull(bootstrapMethod, "bootstrapMethod");
      Objects.requireNonNull(localMspDir, "localMspDir");
      Objects.requireNonNull(localMspId, "localMspId");
      Objects.requireNonNull(authentication, "authentication");
    }

    /** The gRPC listener's address to bind ({@code ListenAddress}:{@code ListenPort}). */
    public InetSocketAddress listenSocket() {
      return new InetSocketAddress(listenAddress, listenPort);
    }
  }

  /**
   * {@code General.Cluster}: where this node's Raft (Ratis) server listens and the TLS credentials
   * it uses with the other consenters. Fabric can carry cluster traffic on the general listener
   * when ListenPort is unset; jorderer's Ratis server needs a port of its own, so without one the
   * node runs no etcdraft channels (see docs/raft.md). Paths name PEM files; nothing is read here.
   *
   * @param listenAddress {@code ListenAddress}, or empty when unset
   * @param listenPort {@code ListenPort}, or 0 when unset (no cluster listener)
   * @param serverCertificate {@code ServerCertificate}: presented to consenters that dial this node
   * @param serverPrivateKey {@code ServerPrivateKey}
   * @param clientCertificate {@code ClientCertificate}: presented when dialing; unset means
   *     {@code General.TLS.Certificate}, as in Fabric
   * @param clientPrivateKey {@code ClientPrivateKey}; unset means {@code General.TLS.PrivateKey}
   * @param rootCas {@code RootCAs}: roots trusted for other consenters' certificates in addition to
   *     the channels' orderer organizations' TLS roots
   */
  public record Cluster(
      String listenAddress,
      int listenPort,
      Optional<Path> serverCertificate,
      Optional<Path> serverPrivateKey,
      Optional<Path> clientCertificate,
      Optional<Path> clientPrivateKey,
      List<Path> rootCas) {
    public Cluster {
      Objects.requireNonNull(listenAddress, "listenAddress");
      Objects.requireNonNull(serverCertificate, "serverCertificate");
      Objects.requireNonNull(serverPrivateKey, "serverPrivateKey");
      Objects.requireNonNull(clientCertificate, "clientCertificate");
      Objects.requireNonNull(clientPrivateKey, "clientPrivateKey");
      rootCas = List.copyOf(rootCas);
    }

    static Cluster unset() {
      return new Cluster("", 0, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), List.of());
    }

    /** Whether this node has a cluster listener (and so runs etcdraft channels). */
    public boolean listening() {
      return listenPort != 0;
    }
  }

  /**
   * A {@code TLS} block (under General, Operations and Admin). Paths name PEM files; nothing is read
   * here.
   */
  public record Tls(
      boolean enabled,
      Optional<Path> privateKey,
      Optional<Path> certificate,
      List<Path> rootCas,
      boolean clientAuthRequired,
      List<Path> clientRootCas) {
    public Tls {
      Objects.requireNonNull(privateKey, "privateKey");
      Objects.requireNonNull(certificate, "certificate");
      rootCas = List.copyOf(rootCas);
      clientRootCas = List.copyOf(clientRootCas);
    }

    static Tls disabled(boolean clientAuthRequired) {
      return new Tls(false, Optional.empty(), Optional.empty(), List.of(), clientAuthRequired, List.of());
    }
  }

  /** {@code General.Keepalive}: gRPC server keepalive, as Fabric's {@code comm.KeepaliveOptions}. */
  public record Keepalive(Duration serverMinInterval, Duration serverInterval, Duration serverTimeout) {
    public Keepalive {
      Objects.requireNonNull(serverMinInterval, "serverMinInterval");
      Objects.requireNonNull(serverInterval, "serverInterval");
      Objects.requireNonNull(serverTimeout, "serverTimeout");
    }

    static Keepalive defaults() {
      return new Keepalive(Duration.ofSeconds(60), Duration.ofSeconds(7200), Duration.ofSeconds(20));
    }
  }

  /**
   * {@code General.Authentication}.
   *
   * @param timeWindow how far a client's timestamp may be from the orderer's clock
   * @param noExpirationChecks accept envelopes signed by expired certificates
   */
  public record Authentication(Duration timeWindow, boolean noExpirationChecks) {
    public Authentication {
      Objects.requireNonNull(timeWindow, "timeWindow");
    }

    static Authentication defaults() {
      return new Authentication(Duration.ofMinutes(15), false);
    }
  }

  /** {@code General.BootstrapMethod}. */
  public enum BootstrapMethod {
    /** Start without a system channel; channels come from the channel participation API. */
    NONE,
    /** Fabric's system-channel bootstrap from {@code BootstrapFile}; jorderer treats it as {@link #NONE}. */
    FILE;

    public String yamlName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@code FileLedger}: where the block ledgers live. */
  public record FileLedger(Path location) {
    public FileLedger {
      Objects.requireNonNull(location, "location");
    }
  }

  /** {@code Operations}: the HTTP server for /metrics, /healthz, /version and /logspec. */
  public record Operations(String listenAddress, Tls tls) {
    public Operations {
      Objects.requireNonNull(listenAddress, "listenAddress");
      Objects.requireNonNull(tls, "tls");
    }

    /** {@code ListenAddress} as an address to bind; an empty host means every interface, as in Go. */
    public InetSocketAddress listenSocket() {
      return socketAddress(listenAddress);
    }
  }

  /** {@code Metrics}. */
  public record Metrics(MetricsProvider provider, Statsd statsd) {
    public Metrics {
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(statsd, "statsd");
    }
  }

  /** {@code Metrics.Provider}. */
  public enum MetricsProvider {
    DISABLED,
    PROMETHEUS,
    STATSD;

    public String yamlName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@code Metrics.Statsd}: kept so that a Fabric file reads whole; jorderer does not push to statsd. */
  public record Statsd(String network, String address, Duration writeInterval, String prefix) {
    public Statsd {
      Objects.requireNonNull(network, "network");
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(writeInterval, "writeInterval");
      Objects.requireNonNull(prefix, "prefix");
    }

    static Statsd defaults() {
      return new Statsd("udp", "127.0.0.1:8125", Duration.ofSeconds(30), "");
    }
  }

  /** {@code Admin}: the HTTPS server of the channel participation API. */
  public record Admin(String listenAddress, Tls tls) {
    public Admin {
      Objects.requireNonNull(listenAddress, "listenAddress");
      Objects.requireNonNull(tls, "tls");
    }

    /** {@code ListenAddress} as an address to bind; an empty host means every interface, as in Go. */
    public InetSocketAddress listenSocket() {
      return socketAddress(listenAddress);
    }
  }

  /** {@code ChannelParticipation}. */
  public record ChannelParticipation(boolean enabled, long maxRequestBodySize) {}

  /**
   * {@code Consensus}: the consensus plugin's own keys, as read (etcdraft's {@code WALDir}, {@code
   * SnapDir}, ...). Values are what the YAML held: strings, numbers, booleans, lists, maps or null.
   */
  public record Consensus(Map<String, Object> raw) {
    public Consensus {
      raw = deepImmutable(raw);
    }

    public static Consensus empty() {
      return new Consensus(Map.of());
    }

    /** {@code Consensus.WALDir}, etcdraft's write-ahead log folder. */
    public Optional<String> walDir() {
      return text("WALDir");
    }

    /** {@code Consensus.TickIntervalOverride}: this node's tick instead of the channels' TickInterval. */
    public Optional<String> tickIntervalOverride() {
      return text("TickIntervalOverride");
    }

    /**
     * {@code Consensus.BroadcastLeaderWait}, jorderer's own key (Fabric has none): how long
     * Broadcast holds an envelope while no Raft leader is known (docs/raft.md).
     */
    public Optional<String> broadcastLeaderWait() {
      return text("BroadcastLeaderWait");
    }

    /** {@code Consensus.SnapDir}, etcdraft's snapshot folder. */
    public Optional<String> snapDir() {
      return text("SnapDir");
    }

    /** A key's value as text, matching the key without regard to case as Fabric's viper does. */
    public Optional<String> text(String key) {
      for (Map.Entry<String, Object> e : raw.entrySet()) {
        if (e.getKey().equalsIgnoreCase(key) && e.getValue() != null && !(e.getValue() instanceof Map)
            && !(e.getValue() instanceof List)) {
          return Optional.of(String.valueOf(e.getValue()));
        }
      }
      return Optional.empty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepImmutable(Map<String, Object> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : map.entrySet()) {
        copy.put(e.getKey(), deepImmutableValue(e.getValue()));
      }
      return Collections.unmodifiableMap(copy);
    }

    @SuppressWarnings("unchecked")
    private static Object deepImmutableValue(Object value) {
      if (value instanceof Map<?, ?> m) {
        Map<String, Object> stringKeyed = new LinkedHashMap<>();
        m.forEach((k, v) -> stringKeyed.put(String.valueOf(k), v));
        return deepImmutable(stringKeyed);
      }
      if (value instanceof List<?> l) {
        // List.copyOf refuses nulls, which YAML lists may hold
        return Collections.unmodifiableList(new java.util.ArrayList<>(l.stream().map(Consensus::deepImmutableValue)
            .toList()));
      }
      return value;
    }
  }
}
