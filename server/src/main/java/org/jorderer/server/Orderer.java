package org.jorderer.server;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.jorderer.channel.crypto.CryptoProvider;
import org.jorderer.channel.genesis.GenesisBlock;
import org.jorderer.channel.genesis.SoloChannelProfile;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.msp.MspGenerator;
import java.util.HashMap;
import java.util.Map;
import org.jorderer.consensus.Consenter;
import org.jorderer.consensus.raft.BlockSource;
import org.jorderer.consensus.raft.ClusterSettings;
import org.jorderer.consensus.raft.RaftConsenter;
import org.jorderer.consensus.ConsensusMetrics;
import org.jorderer.consensus.Consenters;
import org.jorderer.consensus.solo.SoloConsenter;
import org.jorderer.consensus.solo.SoloOptions;
import org.jorderer.ledger.LedgerDirectory;
import org.jorderer.ledger.LedgerOptions;
import org.jorderer.server.broadcast.BroadcastHandler;
import org.jorderer.server.broadcast.BroadcastMetrics;
import org.jorderer.server.broadcast.BroadcastableChannel;
import org.jorderer.server.channels.ChainFactory;
import org.jorderer.server.channels.ChannelRegistry;
import org.jorderer.server.channels.DeliverBlockSource;
import org.jorderer.server.channels.OrdererClientTls;
import org.jorderer.server.operations.HealthChecks;
import org.jorderer.server.operations.NodeHealth;
import org.jorderer.server.operations.OperationsServer;
import org.jorderer.server.operations.OperationsSettings;
import org.jorderer.server.participation.AdminServer;
import org.jorderer.server.tls.TlsContexts;
import org.jorderer.server.participation.ChannelParticipationHandler;
import org.jorderer.server.deliver.DeliverHandler;
import org.jorderer.server.deliver.DeliverMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running orderer node: ledgers, channels, Deliver, and the gRPC listener, started in that order. */
public final class Orderer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Orderer.class);

  private final OrdererSettings settings;
  private final LedgerDirectory ledgers;
  private final ChannelRegistry channels;
  private final PrometheusRegistry metrics;
  private final ExecutorService executor;
  private final OrdererServer server;
  private final LocalSigner signer;
  private final AdminServer admin;
  private final OperationsServer operations;
  private final HealthChecks health;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private Orderer(OrdererSettings settings, LedgerDirectory ledgers, ChannelRegistry channels, PrometheusRegistry metrics,
      ExecutorService executor, OrdererServer server, LocalSigner signer, AdminServer admin,
      OperationsServer operations, HealthChecks health) {
    this.admin = admin;
    this.operations = operations;
    this.health = health;
    this.settings = settings;
    this.ledgers = ledgers;
    this.channels = channels;
    this.metrics = metrics;
    this.executor = executor;
    this.server = server;
    this.signer = signer;
  }

  public static Orderer start(OrdererSettings settings) {
    return start(settings, Clock.systemUTC());
  }

  /**
   * Starts a node whose time (Deliver's and Broadcast's expiry checks, CONFIG envelope timestamps)
   * is {@code clock}: tests replay Fabric's vectors at a fixed time.
   */
  public static Orderer start(OrdererSettings settings, Clock clock) {
    // Before anything is generated or opened: a name that does not resolve fails only at bind time,
    // with Netty's "<unresolved>" form, after the channels have started.
    checkResolves(settings.listen(), "");
    checkResolves(settings.adminListen(), " for the admin API");
    checkResolves(settings.operationsListen(), " for the operations endpoint");
    LocalSigner signer = localSigner(settings);
    CryptoProvider crypto = signer.crypto();
    // Blocks are read with positional reads, not through the segments' memory maps: a mapped page
    // counts in the node's RSS for as long as the page cache keeps it (docs/performance.md, "Memory").
    LedgerDirectory ledgers = LedgerDirectory.open(settings.ledgerDir(), LedgerOptions.defaults().withMappedReads(false));
    ChannelRegistry channels = null;
    ExecutorService executor = null;
    try {
      PrometheusRegistry metrics = new PrometheusRegistry();
      channels = ChannelRegistry.open(ledgers, crypto, chainFactory(signer, new ConsensusMetrics(metrics), clock,
          settings.deliver().expirationChecks(), settings.cluster(), pullTls(settings),
          DeliverBlockSource.ownEndpoints(settings.listen())), signer);
      if (settings.demoChannel() != null && channels.channel(settings.demoChannel()).isEmpty()) {
        createDemoChannel(settings, channels, clock);
      }
      executor = new ForkJoinPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
          ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, true);
      DeliverHandler deliver = new DeliverHandler(channels, settings.deliver(), new DeliverMetrics(metrics), executor,
          clock);
      ChannelRegistry registry = channels;
      BroadcastHandler broadcast = new BroadcastHandler(id -> registry.channel(id).map(BroadcastableChannel.class::cast),
          new BroadcastMetrics(metrics), executor);
      OrdererServer server = OrdererServer.start(new OrdererServer.Settings(settings.listen(),
          settings.maxRecvMessageBytes(), settings.tls(), settings.keepalive()), deliver, broadcast, executor, metrics);
      AdminServer admin = null;
      if (settings.adminListen() != null) {
        try {
          admin = AdminServer.start(settings.adminListen(), settings.adminTls(),
              new ChannelParticipationHandler(channels, settings.participationEnabled(), settings.maxJoinRequestBytes()));
        } catch (RuntimeException e) {
          server.close();
          throw e;
        }
      }
      HealthChecks health = new HealthChecks();
      health.register("ledger", NodeHealth.ledgerDiskWritable(settings.ledgerDir()));
      health.register("chains", NodeHealth.chains(channels));
      OperationsServer operations = null;
      if (settings.operationsListen() != null) {
        try {
          OperationsSettings ops = OperationsSettings.plain(settings.operationsListen());
          if (settings.operationsTls().enabled()) {
            ops = ops.withHttps(TlsContexts.https(settings.operationsTls()));
          }
          // Fabric exposes its metrics only with Metrics.Provider: prometheus.
          operations = OperationsServer.start(ops, settings.prometheusMetrics() ? metrics : new PrometheusRegistry(), health);
        } catch (IOException e) {
          if (admin != null) {
            admin.close();
          }
          server.close();
          throw new UncheckedIOException("cannot listen on " + hostPort(settings.operationsListen())
              + " for the operations endpoint: " + e.getMessage(), e);
        } catch (RuntimeException e) {
          if (admin != null) {
            admin.close();
          }
          server.close();
          throw e;
        }
      }
      return new Orderer(settings, ledgers, channels, metrics, executor, server, signer, admin, operations, health);
    } catch (RuntimeException e) {
      if (executor != null) {
        executor.shutdownNow();
      }
      if (channels != null) {
        channels.close();
      }
      ledgers.close();
      throw e;
    }
  }

  /** The consensus types a node without cluster settings runs: solo. */
  public static Consenters consenters() {
    return consenters(null);
  }

  /**
   * The consensus types this node runs: solo, and etcdraft (on Apache Ratis, one Ratis server for
   * all of this node's etcdraft channels) when it has cluster settings.
   */
  public static Consenters consenters(ClusterSettings cluster) {
    return consenters(cluster, BlockSource.NONE);
  }

  /**
   * As {@link #consenters(ClusterSettings)}; an etcdraft consenter behind the others' compacted
   * Raft logs pulls the blocks it misses from {@code blocks}.
   */
  public static Consenters consenters(ClusterSettings cluster, BlockSource blocks) {
    Map<String, Consenter> byType = new HashMap<>();
    byType.put(SoloConsenter.TYPE, new SoloConsenter(SoloOptions.defaults()));
    if (cluster != null) {
      byType.put(RaftConsenter.TYPE, new RaftConsenter(cluster, blocks));
      return new Consenters(byType);
    }
    // Fabric would carry Raft on the general listener; Ratis needs a port of its own.
    return new Consenters(byType, Map.of(RaftConsenter.TYPE, "this node has no cluster listener: set "
        + "General.Cluster.ListenPort, ListenAddress, ServerCertificate and ServerPrivateKey in orderer.yaml "
        + "(jorderer runs Raft on a listener of its own, see docs/raft.md)"));
  }

  /** What makes each channel's processor and chain, the chain by the channel's consensus type. */
  public static ChainFactory chainFactory(LocalSigner signer, ConsensusMetrics metrics, Clock clock,
      boolean expirationChecks) {
    return chainFactory(signer, metrics, clock, expirationChecks, null);
  }

  /** As {@link #chainFactory(LocalSigner, ConsensusMetrics, Clock, boolean)}, etcdraft included when {@code cluster} is set. */
  public static ChainFactory chainFactory(LocalSigner signer, ConsensusMetrics metrics, Clock clock,
      boolean expirationChecks, ClusterSettings cluster) {
    return chainFactory(signer, metrics, clock, expirationChecks, cluster, null);
  }

  /**
   * As above; followers and onboarding consenters dial the other orderers with {@code pullTls}
   * (null: plaintext).
   */
  public static ChainFactory chainFactory(LocalSigner signer, ConsensusMetrics metrics, Clock clock,
      boolean expirationChecks, ClusterSettings cluster, OrdererClientTls pullTls) {
    return chainFactory(signer, metrics, clock, expirationChecks, cluster, pullTls, Set.of());
  }

  /** As above; a pull never dials {@code ownEndpoints}, the node's own client listener ({@code host:port}). */
  public static ChainFactory chainFactory(LocalSigner signer, ConsensusMetrics metrics, Clock clock,
      boolean expirationChecks, ClusterSettings cluster, OrdererClientTls pullTls, Set<String> ownEndpoints) {
    // Onboarding pulls over Deliver with requests signed by this node (docs/raft.md, "Snapshots and onboarding").
    return new ChainFactory(consenters(cluster, new DeliverBlockSource(signer, clock, pullTls, ownEndpoints)), signer,
        metrics, clock, expirationChecks, pullTls);
  }

  /**
   * How this node dials other orderers' client endpoints to pull blocks (docs/operating.md,
   * "Pulling blocks from other orderers"): over TLS when its own client listener runs TLS
   * (General.TLS.Enabled; Fabric dials only over TLS and requires TLS of cluster nodes), with its
   * cluster client key pair (General.Cluster.ClientCertificate, which falls back to
   * General.TLS.Certificate), or General.TLS's pair on a node without a cluster listener; else
   * in plaintext, as every orderer of such a network listens.
   */
  static OrdererClientTls pullTls(OrdererSettings settings) {
    if (!settings.tls().enabled()) {
      return null;
    }
    if (settings.cluster() != null && settings.cluster().tls() != null) {
      return new OrdererClientTls(settings.cluster().tls().clientKey(), settings.cluster().tls().clientCertificate());
    }
    try {
      X509Certificate certificate;
      try (var in = Files.newInputStream(settings.tls().certificate())) {
        certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      }
      return new OrdererClientTls(LocalSigner.readPrivateKey(settings.tls().privateKey()), certificate);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read General.TLS's key pair: " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read General.TLS's key pair: " + e.getMessage(), e);
    }
  }

  private static void checkResolves(java.net.InetSocketAddress address, String purpose) {
    if (address != null && address.isUnresolved()) {
      throw new IllegalArgumentException("cannot listen on " + hostPort(address) + purpose + ": the host name '"
          + address.getHostString() + "' does not resolve to an address");
    }
  }

  /** {@code host:port} as written in orderer.yaml, without InetSocketAddress's "name/address" form. */
  static String hostPort(java.net.InetSocketAddress address) {
    String host = address.getHostString();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  private static LocalSigner localSigner(OrdererSettings settings) {
    try {
      if (!Files.isDirectory(settings.mspDir())) {
        if (!settings.generateMsp()) {
          throw new IllegalArgumentException("local MSP folder " + settings.mspDir() + " does not exist");
        }
        MspGenerator.generate(settings.mspDir(), settings.adminMspDir(), "jorderer.local", "orderer.jorderer.local",
            OrdererSettings.GENERATED_CERTIFICATE_VALIDITY);
        log.info("Generated the local MSP {} (and an admin identity in {}) for MSP ID {}",
            settings.mspDir(), settings.adminMspDir(), settings.mspId());
      }
      return LocalSigner.load(settings.mspDir(), settings.mspId());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the local MSP from " + settings.mspDir() + ": " + e.getMessage(), e);
    }
  }

  private static void createDemoChannel(OrdererSettings settings, ChannelRegistry channels, Clock clock) {
    try {
      String endpoint = settings.listen().getHostString() + ":" + settings.listen().getPort();
      SoloChannelProfile profile = SoloChannelProfile.withDefaults(settings.mspId(),
          MspFolder.readMspConfig(settings.mspDir(), settings.mspId()), List.of(endpoint));
      channels.create(GenesisBlock.of(settings.demoChannel(), profile.config(), clock.instant()));
      log.info("Created channel {} from the built-in solo profile (organization {})", settings.demoChannel(),
          settings.mspId());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the local MSP " + settings.mspDir() + ": " + e.getMessage(), e);
    }
  }

  public OrdererSettings settings() {
    return settings;
  }

  public int port() {
    return server.port();
  }

  /** The operations endpoint's port, or -1 when it is off. */
  public int operationsPort() {
    return operations == null ? -1 : operations.port();
  }

  /** The admin endpoint's port, or -1 when it is off. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  /** The node's ledgers, those of followed channels included. */
  public LedgerDirectory ledgers() {
    return ledgers;
  }

  public ChannelRegistry channels() {
    return channels;
  }

  public PrometheusRegistry metrics() {
    return metrics;
  }

  public LocalSigner signer() {
    return signer;
  }

  /**
   * Halts the channels (so waiting Deliver streams end with SERVICE_UNAVAILABLE, as Fabric's do
   * when a chain halts), stops the listener and closes the ledgers.
   */
  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      return;
    }
    if (admin != null) {
      admin.close();
    }
    channels.close();
    if (operations != null) {
      operations.close();
    }
    health.close();
    server.close();
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ledgers.close();
    log.info("Orderer stopped");
  }
}
