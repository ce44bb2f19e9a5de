package org.jorderer.server;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jorderer.consensus.raft.ClusterSettings;
import org.jorderer.consensus.raft.ClusterTls;
import org.jorderer.server.config.LoadedConfig;
import org.jorderer.server.config.OrdererConfiguration;
import org.jorderer.server.deliver.DeliverHandler;
import org.jorderer.server.tls.TlsSettings;

/**
 * What an orderer process needs to start, taken from the effective orderer.yaml
 * ({@link #from}) or the embedded default ({@link #embeddedDefault}).
 *
 * @param dataDir where the embedded default keeps what it generates (an admin identity in
 *     {@code admin-msp/} beside the node's MSP)
 * @param ledgerDir {@code FileLedger.Location}: one folder per channel under {@code chains/}
 * @param listen the gRPC address ({@code General.ListenAddress}:{@code ListenPort})
 * @param maxRecvMessageBytes {@code General.MaxRecvMsgSize}
 * @param mspDir the local MSP folder ({@code General.LocalMSPDir}); generated on first start when
 *     {@link #generateMsp} and missing
 * @param mspId {@code General.LocalMSPID}
 * @param generateMsp create the MSP folder when it does not exist yet (embedded default only)
 * @param demoChannel the channel created on first start from the built-in solo profile, or null
 * @param deliver {@code General.Authentication}: Deliver's time window and expiry checks
 * @param tls {@code General.TLS} for the gRPC port; with client authentication it also turns on
 *     Deliver's TLS binding check
 * @param adminListen the admin endpoint ({@code Admin.ListenAddress}), or null for none
 * @param adminTls {@code Admin.TLS}
 * @param participationEnabled {@code ChannelParticipation.Enabled}
 * @param maxJoinRequestBytes {@code ChannelParticipation.MaxRequestBodySize}
 * @param operationsListen the operations endpoint ({@code Operations.ListenAddress}: metrics,
 *     health, version, log levels), or null for none
 * @param operationsTls {@code Operations.TLS}
 * @param keepalive {@code General.Keepalive}
 * @param prometheusMetrics {@code Metrics.Provider: prometheus}: Fabric's metrics on /metrics
 * @param cluster this node's Raft cluster side ({@code General.Cluster.*} and {@code Consensus.*}),
 *     or null when orderer.yaml sets no cluster listener: then the node refuses etcdraft channels
 */
public record OrdererSettings(
    Path dataDir,
    Path ledgerDir,
    InetSocketAddress listen,
    int maxRecvMessageBytes,
    Path mspDir,
    String mspId,
    boolean generateMsp,
    String demoChannel,
    DeliverHandler.Settings deliver,
    TlsSettings tls,
    InetSocketAddress adminListen,
    TlsSettings adminTls,
    boolean participationEnabled,
    long maxJoinRequestBytes,
    InetSocketAddress operationsListen,
    TlsSettings operationsTls,
    OrdererServer.Keepalive keepalive,
    boolean prometheusMetrics,
    ClusterSettings cluster) {

  public static final String DEFAULT_MSP_ID = OrdererConfiguration.EMBEDDED_MSP_ID;
  public static final String DEMO_CHANNEL = "demo";
  static final Duration GENERATED_CERTIFICATE_VALIDITY = Duration.ofDays(3650);

  /** The embedded default: everything under {@code dataDir}, MSP generated, channel {@code demo}. */
  public static OrdererSettings embeddedDefault(Path dataDir) {
    return from(new LoadedConfig(OrdererConfiguration.embeddedDefault(dataDir), java.util.Optional.empty(),
        List.of(), List.of()), dataDir);
  }

  /**
   * The node described by an orderer.yaml (or by the embedded default when {@code loaded} came
   * from no file, in which case the MSP is generated and the demo channel created).
   */
  public static OrdererSettings from(LoadedConfig loaded, Path dataDir) {
    OrdererConfiguration c = loaded.config();
    OrdererConfiguration.General general = c.general();
    boolean embedded = loaded.embeddedDefault();
    TlsSettings tls = tls("General.TLS", general.tls());
    return new OrdererSettings(
        dataDir,
        c.fileLedger().location(),
        general.listenSocket(),
        general.maxRecvMsgSize(),
        general.localMspDir(),
        general.localMspId(),
        embedded,
        embedded ? DEMO_CHANNEL : null,
        new DeliverHandler.Settings(general.authentication().timeWindow(), tls.mutual(),
            !general.authentication().noExpirationChecks(), general.maxSendMsgSize()),
        tls,
        c.admin().listenSocket(),
        tls("Admin.TLS", c.admin().tls()),
        c.channelParticipation().enabled(),
        c.channelParticipation().maxRequestBodySize(),
        c.operations().listenSocket(),
        tls("Operations.TLS", c.operations().tls()),
        new OrdererServer.Keepalive(general.keepalive().serverMinInterval(), general.keepalive().serverInterval(),
            general.keepalive().serverTimeout()),
        c.metrics().provider() == OrdererConfiguration.MetricsProvider.PROMETHEUS,
        cluster(c, loaded.source().map(f -> f.toAbsolutePath().getParent()).orElse(dataDir)));
  }

  /**
   * {@code General.Cluster} and {@code Consensus} as this node's Raft side, or null without a
   * cluster listener. Fabric's defaults and fallbacks (docs/raft.md, "Settings"): the client key
   * pair is General.TLS's unless ClientCertificate/ClientPrivateKey are set; the Ratis log and
   * Raft state live under {@code Consensus.WALDir}, by default {@code <FileLedger.Location>/etcdraft/wal}
   * as in Fabric's sample orderer.yaml; a relative WALDir is taken from the configuration file's
   * folder, like every other path in it.
   */
  static ClusterSettings cluster(OrdererConfiguration c, Path configDir) {
    OrdererConfiguration.Cluster cluster = c.general().cluster();
    if (!cluster.listening()) {
      return null;
    }
    Path serverCertificate = cluster.serverCertificate().orElseThrow();
    Path serverKey = cluster.serverPrivateKey().orElseThrow();
    Path clientCertificate = cluster.clientCertificate().or(() -> c.general().tls().certificate()).orElseThrow();
    Path clientKey = cluster.clientPrivateKey().or(() -> c.general().tls().privateKey()).orElseThrow();
    Path walDir = c.consensus().walDir().map(String::trim).filter(w -> !w.isEmpty())
        .map(w -> configDir == null ? Path.of(w) : configDir.resolve(w).normalize())
        .orElse(c.fileLedger().location().resolve("etcdraft").resolve("wal"));
    try {
      byte[] serverPem = java.nio.file.Files.readAllBytes(serverCertificate);
      ClusterTls tls = ClusterTls.read(serverCertificate, serverKey, clientCertificate, clientKey, cluster.rootCas());
      ClusterSettings settings = ClusterSettings.defaults(cluster.listenAddress(), cluster.listenPort(), serverPem,
          walDir).withTls(tls);
      java.util.Optional<String> tick = c.consensus().tickIntervalOverride();
      if (tick.isPresent()) {
        settings = settings.withTickIntervalOverride(org.jorderer.channel.config.GoDuration.parse(tick.get().trim()));
      }
      java.util.Optional<String> leaderWait = c.consensus().broadcastLeaderWait();
      if (leaderWait.isPresent()) {
        settings = settings.withLeaderWait(org.jorderer.channel.config.GoDuration.parse(leaderWait.get().trim()));
      }
      return settings;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("General.Cluster: " + e.getMessage(), e);
    }
  }

  private static TlsSettings tls(String key, OrdererConfiguration.Tls tls) {
    if (!tls.enabled()) {
      return TlsSettings.DISABLED;
    }
    if (tls.clientAuthRequired() && tls.clientRootCas().isEmpty()) {
      // Fabric would add the TLS CAs of every channel's organizations; jorderer does not yet.
      throw new IllegalArgumentException(key + ".ClientAuthRequired needs " + key
          + ".ClientRootCAs: jorderer does not yet add the channels' TLS root CAs by itself");
    }
    return new TlsSettings(true, tls.certificate().orElseThrow(), tls.privateKey().orElseThrow(),
        tls.clientAuthRequired(), tls.clientRootCas());
  }

  public Path adminMspDir() {
    return dataDir.resolve("admin-msp");
  }

  public OrdererSettings withListen(InetSocketAddress address) {
    return new OrdererSettings(dataDir, ledgerDir, address, maxRecvMessageBytes, mspDir, mspId, generateMsp,
        demoChannel, deliver, tls, adminListen, adminTls, participationEnabled, maxJoinRequestBytes,
        operationsListen, operationsTls, keepalive,
        prometheusMetrics, cluster);
  }

  public OrdererSettings withAdminListen(InetSocketAddress address) {
    return new OrdererSettings(dataDir, ledgerDir, listen, maxRecvMessageBytes, mspDir, mspId, generateMsp,
        demoChannel, deliver, tls, address, adminTls, participationEnabled, maxJoinRequestBytes,
        operationsListen, operationsTls, keepalive,
        prometheusMetrics, cluster);
  }

  public OrdererSettings withMsp(Path dir, String id, boolean generate) {
    return new OrdererSettings(dataDir, ledgerDir, listen, maxRecvMessageBytes, dir, id, generate,
        demoChannel, deliver, tls, adminListen, adminTls, participationEnabled, maxJoinRequestBytes,
        operationsListen, operationsTls, keepalive,
        prometheusMetrics, cluster);
  }

  public OrdererSettings withOperationsListen(InetSocketAddress address) {
    return new OrdererSettings(dataDir, ledgerDir, listen, maxRecvMessageBytes, mspDir, mspId, generateMsp,
        demoChannel, deliver, tls, adminListen, adminTls, participationEnabled, maxJoinRequestBytes,
        address, operationsTls, keepalive, prometheusMetrics, cluster);
  }

  /**
   * The same node with {@code General.TLS} set to {@code listenerTls} on its gRPC port (Deliver's
   * TLS binding check follows it, as in {@link #from}).
   */
  public OrdererSettings withTls(TlsSettings listenerTls) {
    DeliverHandler.Settings binding = new DeliverHandler.Settings(deliver.timeWindow(), listenerTls.mutual(),
        deliver.expirationChecks(), deliver.maxSendMessageBytes());
    return new OrdererSettings(dataDir, ledgerDir, listen, maxRecvMessageBytes, mspDir, mspId, generateMsp,
        demoChannel, binding, listenerTls, adminListen, adminTls, participationEnabled, maxJoinRequestBytes,
        operationsListen, operationsTls, keepalive, prometheusMetrics, cluster);
  }

  /** The same node, a consenter of etcdraft channels through {@code settings}. */
  public OrdererSettings withCluster(ClusterSettings settings) {
    return new OrdererSettings(dataDir, ledgerDir, listen, maxRecvMessageBytes, mspDir, mspId, generateMsp,
        demoChannel, deliver, tls, adminListen, adminTls, participationEnabled, maxJoinRequestBytes,
        operationsListen, operationsTls, keepalive, prometheusMetrics, settings);
  }
}
