package org.jorderer.consensus.raft;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.genesis.GenesisBlock;
import org.jorderer.channel.genesis.SoloChannelProfile;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.msp.MspGenerator;
import org.jorderer.channel.msp.TlsCa;
import org.jorderer.channel.processor.MessageProcessor;
import org.jorderer.consensus.ConsensusMetrics;
import org.jorderer.consensus.ConsenterSupport;
import org.jorderer.consensus.CurrentConfig;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerOptions;

/**
 * Consenter nodes of one etcdraft channel in this JVM, on loopback: each with its own ledger, Ratis
 * storage and port, and its own generated cluster TLS certificate named in the channel's etcdraft
 * metadata (as configtxgen writes it) and used for mutual TLS between the nodes. The channel's organization, its orderer signer and a client
 * are generated with long validity; all nodes sign blocks with that one orderer identity.
 */
final class RaftCluster implements AutoCloseable {
  static final String CHANNEL = "raftchannel";
  static final String MSP_ID = "RaftOrg";
  static final Duration VALIDITY = Duration.ofDays(3650);

  final Path root;
  final int size;
  final int[] ports;
  /** Each node's cluster server TLS certificate (PEM), as named in the channel config. */
  final byte[][] certificates;
  /** Each node's cluster client TLS key pair and certificate. */
  final TlsCa.Issued[] clients;
  /** The TLS CA of the channel's orderer organization, which issued every node's certificates. */
  final TlsCa tlsCa;
  final LocalSigner signer;
  /** The organization's admin: signs config updates, and the client's envelopes. */
  final LocalSigner admin;
  final SignedEnvelopes client;
  final Block genesis;
  final Node[] nodes;
  final boolean tls;
  /**
   * How long a node holds Broadcast without a leader (null: the settings' default). Long by
   * default: tests that are not about elections must not fail because one is slow on a loaded
   * machine (their short election timeouts make the default wait short too).
   */
  Duration leaderWait = Duration.ofSeconds(20);
  /** The nodes' lower election timeout (the upper one is twice it). */
  Duration electionTimeoutMin = Duration.ofMillis(300);
  /** Entry size limit of the nodes (0: the default); Ratis's log segments are four entries. */
  int maxEntryBytes;
  /** Where each node pulls the blocks it misses behind a snapshot. */
  java.util.function.Function<Node, BlockSource> blocks = node -> BlockSource.NONE;
  /** Each node's clock: its message processor's, by which it checks envelopes and stamps entries. */
  java.util.function.IntFunction<Clock> clocks = index -> Clock.systemUTC();
  /** Each node's settings, given the defaults the cluster made for it. */
  java.util.function.BiFunction<Integer, ClusterSettings, ClusterSettings> tune = (index, settings) -> settings;

  /** One node: its ledger and chain, while running. */
  final class Node {
    final int index;
    BlockStore ledger;
    RaftChain chain;
    /** This run's consenter (which answers config updates' consensus rules) and chain support. */
    RaftConsenter consenter;
    ConsenterSupport support;
    /** The registry this run of the node reports its metrics to. */
    PrometheusRegistry metrics;

    Node(int index) {
      this.index = index;
    }

    void start() {
      Path dir = root.resolve("node" + index);
      ledger = BlockStore.open(dir.resolve("ledger"), LedgerOptions.defaults());
      metrics = new PrometheusRegistry();
      support = support(ledger, metrics, clocks.apply(index));
      ClusterSettings settings = ClusterSettings.defaults("127.0.0.1", ports[index], certificates[index],
              dir.resolve("raft"))
          .withElectionTimeout(electionTimeoutMin, electionTimeoutMin.multipliedBy(2))
          .withSubmitTimeout(Duration.ofSeconds(20))
          .withLeaderWait(leaderWait);
      if (maxEntryBytes > 0) {
        settings = settings.withMaxEntryBytes(maxEntryBytes);
      }
      if (tls) {
        try {
          Path folder = root.resolve("tls" + index);
          settings = settings.withTls(ClusterTls.read(folder.resolve("server.crt"), folder.resolve("server.key"),
              folder.resolve("client.crt"), folder.resolve("client.key"), List.of()));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      settings = tune.apply(index, settings);
      consenter = new RaftConsenter(settings, blocks.apply(this));
      chain = (RaftChain) consenter.handleChain(support);
      chain.start();
    }

    /** Stops the node: its Ratis server and ledger close, its files stay. */
    void stop() {
      chain.halt();
      ledger.close();
      chain = null;
      consenter = null;
      support = null;
      ledger = null;
    }

    boolean running() {
      return chain != null;
    }

    /** The node's Ratis directory of the channel's group. */
    Path groupDir() {
      return root.resolve("node" + index).resolve("raft/ratis")
          .resolve(ConsenterSet.groupId(CHANNEL).getUuid().toString());
    }

    /** The first index of each Ratis log segment file the node keeps, sorted. */
    List<Long> logSegmentStarts() throws IOException {
      List<Long> starts = new ArrayList<>();
      try (var files = Files.newDirectoryStream(groupDir().resolve("current"), "log_*")) {
        for (Path file : files) {
          String name = file.getFileName().toString(); // log_<first>-<last>, or log_inprogress_<first>
          String first = name.startsWith("log_inprogress_") ? name.substring("log_inprogress_".length())
              : name.substring("log_".length(), name.indexOf('-'));
          starts.add(Long.parseLong(first));
        }
      }
      starts.sort(null);
      return starts;
    }

    /** The names of the node's snapshot files of the channel. */
    List<String> snapshotFiles() throws IOException {
      List<String> names = new ArrayList<>();
      Path sm = groupDir().resolve("sm");
      if (Files.isDirectory(sm)) {
        try (var files = Files.newDirectoryStream(sm, "snapshot.*")) {
          files.forEach(f -> names.add(f.getFileName().toString()));
          names.removeIf(name -> name.endsWith(".md5"));
        }
      }
      names.sort(null);
      return names;
    }

    List<Block> blocks() {
      List<Block> blocks = new ArrayList<>();
      for (long n = 0; n < ledger.height(); n++) {
        blocks.add(ledger.readBlock(n));
      }
      return blocks;
    }

    /** The envelopes in the node's ledger after the genesis block. */
    int envelopes() {
      int count = 0;
      for (long n = 1; n < ledger.height(); n++) {
        count += ledger.readBlock(n).getData().getDataCount();
      }
      return count;
    }
  }

  /** Checks that every node holds the same blocks as node 0, headers and data (each signs its own metadata). */
  void assertSameHeadersAndData() {
    List<Block> first = nodes[0].blocks();
    for (Node node : nodes) {
      List<Block> blocks = node.blocks();
      assertThat(blocks).as("blocks of node %d", node.index).hasSameSizeAs(first);
      for (int n = 0; n < blocks.size(); n++) {
        assertThat(blocks.get(n).getHeader()).as("header of block %d on node %d", n, node.index)
            .isEqualTo(first.get(n).getHeader());
        assertThat(blocks.get(n).getData()).as("data of block %d on node %d", n, node.index)
            .isEqualTo(first.get(n).getData());
      }
    }
  }

  RaftCluster(Path root, int size, Duration batchTimeout, int maxMessageCount) throws IOException {
    this(root, size, batchTimeout, maxMessageCount, true);
  }

  /** @param tls mutual TLS between the nodes (else plaintext) */
  RaftCluster(Path root, int size, Duration batchTimeout, int maxMessageCount, boolean tls) throws IOException {
    this(root, size, batchTimeout, maxMessageCount, tls, 0);
  }

  /** @param snapshotIntervalBytes the channel's etcdraft SnapshotIntervalSize (0: configtxgen's 16 MB) */
  RaftCluster(Path root, int size, Duration batchTimeout, int maxMessageCount, boolean tls, int snapshotIntervalBytes)
      throws IOException {
    this.tls = tls;
    this.root = root;
    this.size = size;
    MspGenerator.generate(root.resolve("org/orderer"), root.resolve("org/admin"), "raftorg.example",
        "orderer.raftorg.example", VALIDITY);
    this.signer = LocalSigner.load(root.resolve("org/orderer"), MSP_ID);
    this.admin = LocalSigner.load(root.resolve("org/admin"), MSP_ID);
    this.client = new SignedEnvelopes(admin);
    this.ports = new int[size];
    this.certificates = new byte[size][];
    this.clients = new TlsCa.Issued[size];
    // The organization's TLS CA, in its MSP's tlscacerts/ as cryptogen lays it out: the channel
    // config then names it in tls_root_certs, and the nodes check each other's certificates by it.
    this.tlsCa = TlsCa.generate("raftorg.example", VALIDITY);
    Files.createDirectories(root.resolve("org/orderer/tlscacerts"));
    Files.writeString(root.resolve("org/orderer/tlscacerts/ca.pem"), tlsCa.certificatePem());
    List<EtcdRaftProfile.ConsenterAddress> consenters = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      ports[i] = freePort();
      // Each node has a server and a distinct client TLS certificate, both issued by the TLS CA.
      Path folder = root.resolve("tls" + i);
      tlsCa.issue("orderer" + i + ".raftorg.example", List.of("127.0.0.1", "localhost"), VALIDITY).write(folder, "server");
      clients[i] = tlsCa.issue("client.orderer" + i + ".raftorg.example", List.of("127.0.0.1"), VALIDITY);
      clients[i].write(folder, "client");
      certificates[i] = Files.readAllBytes(folder.resolve("server.crt"));
      consenters.add(new EtcdRaftProfile.ConsenterAddress("127.0.0.1", ports[i],
          clients[i].certificatePem().getBytes(java.nio.charset.StandardCharsets.US_ASCII), certificates[i]));
    }
    SoloChannelProfile profile = new SoloChannelProfile(MSP_ID,
        MspFolder.readMspConfig(root.resolve("org/orderer"), MSP_ID), List.of("127.0.0.1:7050"), maxMessageCount,
        10 << 20, 2 << 20, batchTimeout);
    var metadata = EtcdRaftProfile.metadata(consenters);
    if (snapshotIntervalBytes > 0) {
      metadata = metadata.toBuilder().setOptions(metadata.getOptions().toBuilder()
          .setSnapshotIntervalSize(snapshotIntervalBytes)).build();
    }
    this.genesis = GenesisBlock.of(CHANNEL, EtcdRaftProfile.withEtcdRaft(profile.config(), metadata), Instant.now());
    this.nodes = new Node[size];
    for (int i = 0; i < size; i++) {
      nodes[i] = new Node(i);
    }
  }

  /** A support over {@code ledger} (given the genesis block if empty), at the genesis block's config. */
  ConsenterSupport support(BlockStore ledger) {
    return support(ledger, new PrometheusRegistry());
  }

  /** As {@link #support(BlockStore)}, reporting metrics to {@code metrics}. */
  ConsenterSupport support(BlockStore ledger, PrometheusRegistry metrics) {
    return support(ledger, metrics, Clock.systemUTC());
  }

  /** As {@link #support(BlockStore)}, checking envelopes by {@code clock}. */
  ConsenterSupport support(BlockStore ledger, PrometheusRegistry metrics, Clock clock) {
    if (ledger.height() == 0) {
      ledger.append(genesis);
    }
    // The config of the ledger's last config block is in force.
    Block last = ledger.readBlock(ledger.height() - 1);
    long lastConfig = org.jorderer.channel.block.BlockMetadataReader.lastConfigIndex(last);
    return support(ledger, ChannelConfig.fromConfigBlock(ledger.readBlock(lastConfig), signer.crypto()), metrics,
        clock);
  }

  /** A support over {@code ledger} whose config in force is {@code config}. */
  ConsenterSupport support(BlockStore ledger, ChannelConfig config) {
    return support(ledger, config, new PrometheusRegistry(), Clock.systemUTC());
  }

  /** As above, checking envelopes by {@code clock}. */
  ConsenterSupport support(BlockStore ledger, ChannelConfig config, Clock clock) {
    return support(ledger, config, new PrometheusRegistry(), clock);
  }

  private ConsenterSupport support(BlockStore ledger, ChannelConfig config, PrometheusRegistry metrics, Clock clock) {
    CurrentConfig current = CurrentConfig.holding(config);
    MessageProcessor processor = new MessageProcessor(CHANNEL, current, signer, clock, true);
    return new ConsenterSupport(ledger, current, processor, signer, new ConsensusMetrics(metrics));
  }

  void startAll() {
    for (Node node : nodes) {
      node.start();
    }
  }

  Envelope envelope(String text) {
    return client.message(CHANNEL, ByteString.copyFromUtf8(text), Instant.now()).envelope();
  }

  Node leader() {
    for (Node node : nodes) {
      if (node.running() && node.chain.isLeader()) {
        return node;
      }
    }
    return null;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    for (Node node : nodes) {
      if (node.running()) {
        try {
          node.stop();
        } catch (RuntimeException e) {
          throw new UncheckedIOException(new IOException("stopping node " + node.index, e));
        }
      }
    }
  }
}
