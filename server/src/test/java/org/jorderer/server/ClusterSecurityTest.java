package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.jorderer.server.support.RaftLedgerBlocks.raftMetadata;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.genesis.GenesisBlock;
import org.jorderer.channel.genesis.SoloChannelProfile;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.msp.MspGenerator;
import org.jorderer.channel.msp.TlsCa;
import org.jorderer.consensus.raft.ClusterSettings;
import org.jorderer.consensus.raft.ClusterTls;
import org.jorderer.consensus.raft.EtcdRaftProfile;
import org.jorderer.server.channels.DeliverBlockSource;
import org.jorderer.server.channels.OrdererClientTls;
import org.jorderer.server.support.ClusterChannel;
import org.jorderer.server.support.FreePort;
import org.jorderer.server.tls.TlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster's security across config updates, on full orderer nodes (gRPC, Ratis over mutual
 * TLS, all on loopback), with each node's server and client TLS certificates issued by the
 * orderer organization's TLS CA (its MSP's tlscacerts, so the channel config's tls_root_certs):
 * followers and onboarding consenters pull blocks from orderers whose client port requires mutual
 * TLS; a consenter removed by a config update is refused on the cluster port from then on; a
 * consenter that moved to another port (same certificates) is reached there.
 */
class ClusterSecurityTest {
  private static final String CHANNEL = "securechannel";
  private static final String MSP_ID = "RaftOrg";
  private static final Duration VALIDITY = Duration.ofDays(3650);
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dir;
  private final List<Orderer> nodes = new ArrayList<>();
  private final List<ManagedChannel> connections = new ArrayList<>();
  private final List<EtcdRaftProfile.ConsenterAddress> consenters = new ArrayList<>();
  private final List<Integer> clientPorts = new ArrayList<>();
  private final List<Integer> raftPorts = new ArrayList<>();
  private TlsCa tlsCa;
  private LocalSigner admin;
  private ClusterChannel traffic;
  private Path orgMsp;
  private boolean clientTls;

  @AfterEach
  void tearDown() {
    connections.forEach(c -> {
      if (c != null) {
        c.shutdownNow();
      }
    });
    nodes.forEach(n -> {
      if (n != null) {
        n.close();
      }
    });
  }

  @Test
  void aFollowerAndAnOnboardingConsenterPullFromAnOrdererThatRequiresMutualTls() throws Exception {
    clientTls = true;
    prepare(2);
    // Node 0 is the channel's one consenter; node 1 is not in the set and follows the channel.
    Block genesis = genesis(consenters.subList(0, 1), clientPorts.subList(0, 1));
    start(0);
    start(1);
    nodes.get(0).channels().create(genesis);
    nodes.get(1).channels().join(genesis);
    traffic.broadcast(0, 5);
    await().atMost(WAIT).until(() -> follower(1).equals("follower/active") && height(1) == height(0));
    traffic.broadcast(0, 3);
    // Every envelope is cut (the last one by the batch timeout) and pulled; then nothing moves.
    traffic.awaitEnvelopes(List.of(0, 1));
    await().atMost(WAIT).until(() -> height(1) == height(0));
    var source = nodes.get(0).ledgers().find(CHANNEL).orElseThrow();
    var copy = nodes.get(1).ledgers().find(CHANNEL).orElseThrow();
    for (long n = 0; n < copy.height(); n++) {
      assertThat(copy.read(n).toByteArray()).as("block %d", n).isEqualTo(source.read(n).toByteArray());
    }

    // Onboarding's block source (what a consenter behind the compacted logs uses) against the same
    // orderer: over TLS with node 1's cluster client certificate it gets every block, verified.
    LocalSigner signer = LocalSigner.load(orgMsp, MSP_ID);
    ChannelConfig config = ChannelConfig.fromConfigBlock(genesis, signer.crypto());
    long to = source.height() - 1;
    List<Block> pulled = new ArrayList<>();
    new DeliverBlockSource(signer, Clock.systemUTC(), clientTls(1)).pull(CHANNEL, genesis, config, to, pulled::add);
    assertThat(pulled).hasSize((int) to);
    for (Block block : pulled) {
      assertThat(block.toByteArray()).isEqualTo(source.read(block.getHeader().getNumber()).toByteArray());
    }
    // In plaintext, or with a certificate from another CA, the orderer does not serve it.
    assertThatThrownBy(() -> new DeliverBlockSource(signer, Clock.systemUTC(), null)
        .pull(CHANNEL, genesis, config, to, b -> {})).hasMessageContaining("could not pull blocks 1 to " + to);
    TlsCa foreign = TlsCa.generate("raftorg.example", VALIDITY);
    TlsCa.Issued stranger = foreign.issue("orderer1.raftorg.example", List.of("127.0.0.1"), VALIDITY);
    assertThatThrownBy(() -> new DeliverBlockSource(signer, Clock.systemUTC(),
        new OrdererClientTls(stranger.keys().getPrivate(), stranger.certificate()))
        .pull(CHANNEL, genesis, config, to, b -> {})).hasMessageContaining("could not pull blocks 1 to " + to);
  }

  /** Three consenters of the channel from its genesis block, each holding two envelopes ordered. */
  private void threeConsentersOrdering() throws Exception {
    prepare(3);
    Block genesis = genesis(consenters, clientPorts);
    for (int i = 0; i < 3; i++) {
      start(i);
      nodes.get(i).channels().create(genesis);
    }
    traffic.broadcast(0, 2);
    traffic.awaitEnvelopes(List.of(0, 1, 2));
  }

  @Test
  void aConsenterRemovedByAConfigUpdateIsRefusedOnTheClusterPortFromThenOn() throws Exception {
    threeConsentersOrdering();
    List<String> refusals = captureRefusals();
    // The control: node 2's cluster client certificate is accepted by node 0 while node 2 is a consenter.
    listGroups(0, 2);

    BroadcastResponse removed = traffic.broadcast(1, traffic.consenterUpdate(0, consenters.subList(0, 2)));
    assertThat(removed.getStatus()).as(removed.getInfo()).isEqualTo(Status.SUCCESS);
    await().atMost(WAIT).until(() -> follower(2).equals("follower/active"));
    // Once the group no longer has node 2, node 0 refuses its certificate, and says why.
    await().atMost(WAIT).until(() -> {
      try {
        listGroups(0, 2);
        return false;
      } catch (Exception e) {
        return true;
      }
    });
    assertThat(refusals).anyMatch(line -> line.startsWith("Refused a cluster client with certificate CN=client.orderer2")
        && line.contains("it is not the client TLS certificate of a consenter"));
    listGroups(0, 1); // a remaining consenter's certificate still is accepted
    traffic.broadcast(0, 2);
    traffic.awaitEnvelopes(List.of(0, 1, 2));
  }

  @Test
  void aConsenterThatMovedToAnotherPortIsReachedThere() throws Exception {
    threeConsentersOrdering();

    // Node 2 stops; a config update gives its cluster listener another port (same certificates).
    close(2);
    int moved = FreePort.pick();
    List<EtcdRaftProfile.ConsenterAddress> next = new ArrayList<>(consenters.subList(0, 2));
    EtcdRaftProfile.ConsenterAddress old = consenters.get(2);
    next.add(new EtcdRaftProfile.ConsenterAddress(old.host(), moved, old.clientTlsCertificate(), old.serverTlsCertificate()));
    BroadcastResponse update = traffic.broadcast(0, traffic.consenterUpdate(0, next));
    assertThat(update.getStatus()).as(update.getInfo()).isEqualTo(Status.SUCCESS);
    // Not a membership change (Fabric matches consenters by certificate): the ids stay.
    // (SUCCESS comes once the leader applied the update; node 0 may write it a little later.)
    await().atMost(WAIT).until(() -> lastConfigNumber(0) > 0);
    Block configBlock = traffic.lastConfigBlock(0);
    assertThat(raftMetadata(configBlock).getConsenterIdsList()).containsExactly(1L, 2L, 3L);
    assertThat(raftMetadata(configBlock).getNextConsenterId()).isEqualTo(4);

    // Node 2 starts on the new port and catches up from the leader, which must dial it there.
    raftPorts.set(2, moved);
    start(2);
    await().atMost(WAIT).until(() -> height(2) == height(0));
    // With node 1 stopped, nodes 0 and 2 order only if they reach each other.
    close(1);
    traffic.broadcast(0, 3);
    traffic.awaitEnvelopes(List.of(0, 2));
    traffic.broadcast(2, 2);
    traffic.awaitEnvelopes(List.of(0, 2));
  }

  // ------------------------------------------------------------------ cluster

  private void prepare(int count) throws Exception {
    orgMsp = dir.resolve("org/orderer");
    MspGenerator.generate(orgMsp, dir.resolve("org/admin"), "raftorg.example", "orderer.raftorg.example", VALIDITY);
    admin = LocalSigner.load(dir.resolve("org/admin"), MSP_ID);
    traffic = new ClusterChannel(CHANNEL, admin, nodes, connections);
    // The organization's TLS CA, in its MSP's tlscacerts/: the channel config's tls_root_certs.
    tlsCa = TlsCa.generate("raftorg.example", VALIDITY);
    Files.createDirectories(orgMsp.resolve("tlscacerts"));
    Files.writeString(orgMsp.resolve("tlscacerts/tlsca.pem"), tlsCa.certificatePem());
    tlsCa.write(dir.resolve("tlsca"));
    tlsCa.issue("admin.raftorg.example", List.of(), VALIDITY).write(dir.resolve("tlsca"), "admin");
    for (int i = 0; i < count; i++) {
      Path tls = dir.resolve("tls" + i);
      tlsCa.issue("orderer" + i + ".raftorg.example", List.of("127.0.0.1", "localhost"), VALIDITY).write(tls, "server");
      tlsCa.issue("client.orderer" + i + ".raftorg.example", List.of(), VALIDITY).write(tls, "client");
      int port = FreePort.pick();
      raftPorts.add(port);
      consenters.add(new EtcdRaftProfile.ConsenterAddress("127.0.0.1", port,
          Files.readAllBytes(tls.resolve("client.crt")), Files.readAllBytes(tls.resolve("server.crt"))));
      clientPorts.add(FreePort.pick());
      nodes.add(null);
      connections.add(null);
    }
  }

  private Block genesis(List<EtcdRaftProfile.ConsenterAddress> members, List<Integer> endpointPorts) throws Exception {
    List<String> endpoints = endpointPorts.stream().map(p -> "127.0.0.1:" + p).toList();
    SoloChannelProfile profile = new SoloChannelProfile(MSP_ID, MspFolder.readMspConfig(orgMsp, MSP_ID), endpoints, 2,
        10 << 20, 2 << 20, Duration.ofMillis(200));
    return GenesisBlock.of(CHANNEL, EtcdRaftProfile.withEtcdRaft(profile.config(), EtcdRaftProfile.metadata(members)),
        Instant.now());
  }

  private void start(int i) throws Exception {
    Path tls = dir.resolve("tls" + i);
    ClusterSettings cluster = ClusterSettings.defaults("127.0.0.1", raftPorts.get(i),
            Files.readAllBytes(tls.resolve("server.crt")), dir.resolve("node" + i + "/raft"))
        .withElectionTimeout(Duration.ofMillis(500), Duration.ofMillis(1000))
        // Not a test of elections: a first election on a loaded machine may outlast the default wait.
        .withLeaderWait(Duration.ofSeconds(20))
        .withTls(ClusterTls.read(tls.resolve("server.crt"), tls.resolve("server.key"), tls.resolve("client.crt"),
            tls.resolve("client.key"), List.of()));
    OrdererSettings settings = OrdererSettings.embeddedDefault(dir.resolve("node" + i))
        .withListen(new InetSocketAddress("127.0.0.1", clientPorts.get(i)))
        .withAdminListen(null)
        .withOperationsListen(null)
        .withMsp(orgMsp, MSP_ID, false)
        .withCluster(cluster);
    if (clientTls) {
      // General.TLS with client certificates required, as Fabric's test networks run it.
      settings = settings.withTls(new TlsSettings(true, tls.resolve("server.crt"), tls.resolve("server.key"), true,
          List.of(dir.resolve("tlsca/ca.crt"))));
    }
    Orderer node = Orderer.start(settings);
    nodes.set(i, node);
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress("127.0.0.1", node.port());
    if (clientTls) {
      builder.sslContext(GrpcSslContexts.forClient().trustManager(dir.resolve("tlsca/ca.crt").toFile())
          .keyManager(dir.resolve("tlsca/admin.crt").toFile(), dir.resolve("tlsca/admin.key").toFile()).build());
    } else {
      builder.usePlaintext();
    }
    connections.set(i, builder.build());
  }

  private void close(int i) {
    connections.get(i).shutdownNow();
    nodes.get(i).close();
    nodes.set(i, null);
  }

  private OrdererClientTls clientTls(int i) throws Exception {
    ClusterTls pair = ClusterTls.read(dir.resolve("tls" + i + "/client.crt"), dir.resolve("tls" + i + "/client.key"));
    return new OrdererClientTls(pair.clientKey(), pair.clientCertificate());
  }

  /** The node's relation and status as the participation API reports them. */
  private String follower(int i) {
    return nodes.get(i).channels().participationInfo(CHANNEL).map(p -> p.consensusRelation() + "/" + p.status())
        .orElse("none");
  }

  private long height(int i) {
    return traffic.ledger(i).height();
  }

  /**
   * Asks node {@code server}'s Ratis server for its groups over its cluster port, as a TLS client
   * with node {@code as}'s cluster client certificate.
   *
   * @throws java.io.IOException when the connection is refused
   */
  private void listGroups(int server, int as) throws Exception {
    Path tls = dir.resolve("tls" + as);
    ClusterTls pair = ClusterTls.read(tls.resolve("client.crt"), tls.resolve("client.key"));
    Parameters parameters = new Parameters();
    GrpcTlsConfig config = new GrpcTlsConfig(pair.clientKey(), pair.clientCertificate(),
        List.of(tlsCa.certificate()), true);
    GrpcConfigKeys.TLS.setConf(parameters, config);
    GrpcConfigKeys.Admin.setTlsConf(parameters, config);
    GrpcConfigKeys.Client.setTlsConf(parameters, config);
    RaftProperties properties = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(properties, TimeDuration.valueOf(3, TimeUnit.SECONDS));
    RaftPeerId peer = peerId(Files.readAllBytes(dir.resolve("tls" + server + "/server.crt")));
    RaftGroup group = RaftGroup.valueOf(groupId(), RaftPeer.newBuilder().setId(peer)
        .setAddress("127.0.0.1:" + raftPorts.get(server)).build());
    try (RaftClient client = RaftClient.newBuilder().setProperties(properties).setParameters(parameters)
        .setRaftGroup(group).setRetryPolicy(RetryPolicies.noRetry()).build()) {
      assertThat(client.getGroupManagementApi(peer).list().getGroupIds()).contains(groupId());
    }
  }

  /** The channel's Raft group id (docs/raft.md: a name-based UUID of "jorderer/etcdraft/" + channel). */
  private static RaftGroupId groupId() {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("jorderer/etcdraft/" + CHANNEL).getBytes(StandardCharsets.UTF_8)));
  }

  /** A node's Ratis peer id (docs/raft.md: "n" + 16 hex digits of the SHA-256 of its key). */
  private static RaftPeerId peerId(byte[] certificatePem) throws Exception {
    var certificate = java.security.cert.CertificateFactory.getInstance("X.509")
        .generateCertificate(new java.io.ByteArrayInputStream(certificatePem));
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getPublicKey().getEncoded());
    return RaftPeerId.valueOf("n" + HexFormat.of().formatHex(digest, 0, 8));
  }

  private static List<String> captureRefusals() {
    List<String> logged = Collections.synchronizedList(new ArrayList<>());
    ch.qos.logback.classic.Logger trustLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
        .getLogger("org.jorderer.consensus.raft.ClusterTrust");
    AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent event) {
        logged.add(event.getFormattedMessage());
      }
    };
    capture.start();
    trustLog.addAppender(capture);
    return logged;
  }

  /** The number of the last config block of node {@code i}'s ledger. */
  private long lastConfigNumber(int i) {
    var ledger = traffic.ledger(i);
    return org.jorderer.channel.block.BlockMetadataReader.lastConfigIndex(ledger.readBlock(ledger.height() - 1));
  }
}
