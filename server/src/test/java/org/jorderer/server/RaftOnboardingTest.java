package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.jorderer.server.support.RaftLedgerBlocks.raftMetadata;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.genesis.GenesisBlock;
import org.jorderer.channel.genesis.SoloChannelProfile;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.msp.MspGenerator;
import org.jorderer.consensus.raft.ClusterSettings;
import org.jorderer.consensus.raft.EtcdRaftProfile;
import org.jorderer.ledger.BlockStore;
import org.jorderer.server.support.BroadcastClient;
import org.jorderer.server.support.FreePort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three full orderer nodes on one etcdraft channel whose SnapshotIntervalSize is small (16 KiB)
 * and whose Raft entries are small (Ratis segments of 64 KiB), so a few hundred envelopes take
 * snapshots and purge the logs: a consenter behind them onboards by pulling blocks over Deliver
 * from the others, and a channel removed through the participation API takes its Raft state
 * along.
 */
class RaftOnboardingTest {
  private static final String CHANNEL = "raftchannel";
  private static final String MSP_ID = "RaftOrg";
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newHttpClient();
  private final Orderer[] nodes = new Orderer[3];
  private final OrdererSettings[] settings = new OrdererSettings[3];
  private final List<ManagedChannel> connections = new ArrayList<>();
  private Block genesis;
  private SignedEnvelopes client;

  @BeforeEach
  void cluster() throws Exception {
    Duration validity = Duration.ofDays(3650);
    Path orgMsp = dir.resolve("org/orderer");
    MspGenerator.generate(orgMsp, dir.resolve("org/admin"), "raftorg.example", "orderer.raftorg.example", validity);
    LocalSigner admin = LocalSigner.load(dir.resolve("org/admin"), MSP_ID);
    client = new SignedEnvelopes(admin);
    List<EtcdRaftProfile.ConsenterAddress> consenters = new ArrayList<>();
    List<String> endpoints = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Path tls = dir.resolve("tls" + i);
      MspGenerator.generate(tls.resolve("node"), tls.resolve("unused"), "tls" + i + ".example", "orderer" + i, validity);
      byte[] cert = Files.readAllBytes(tls.resolve("node/signcerts/cert.pem"));
      int raftPort = FreePort.pick();
      int clientPort = FreePort.pick();
      consenters.add(new EtcdRaftProfile.ConsenterAddress("127.0.0.1", raftPort, cert, cert));
      endpoints.add("127.0.0.1:" + clientPort);
      ClusterSettings cluster = ClusterSettings.defaults("127.0.0.1", raftPort, cert, dir.resolve("node" + i + "/raft"))
          .withElectionTimeout(Duration.ofSeconds(1), Duration.ofSeconds(2)) // the node's defaults
          // Not a test of elections: a first election on a loaded machine may outlast the default wait.
          .withLeaderWait(Duration.ofSeconds(20))
          .withMaxEntryBytes(16 << 10);
      settings[i] = OrdererSettings.embeddedDefault(dir.resolve("node" + i))
          .withListen(new InetSocketAddress("127.0.0.1", clientPort))
          .withAdminListen(new InetSocketAddress("127.0.0.1", 0))
          .withOperationsListen(null)
          .withMsp(orgMsp, MSP_ID, false)
          .withCluster(cluster);
    }
    // The orderer endpoints in the config are the nodes' Deliver listeners: where onboarding pulls.
    SoloChannelProfile profile = new SoloChannelProfile(MSP_ID, MspFolder.readMspConfig(orgMsp, MSP_ID), endpoints,
        10, 10 << 20, 2 << 20, Duration.ofMillis(200));
    var metadata = EtcdRaftProfile.metadata(consenters);
    metadata = metadata.toBuilder().setOptions(metadata.getOptions().toBuilder().setSnapshotIntervalSize(16 << 10))
        .build();
    genesis = GenesisBlock.of(CHANNEL, EtcdRaftProfile.withEtcdRaft(profile.config(), metadata), Instant.now());
    for (int i = 0; i < 3; i++) {
      start(i);
      assertThat(join(i).statusCode()).isEqualTo(201);
    }
  }

  private void start(int i) {
    nodes[i] = Orderer.start(settings[i]);
    connections.add(NettyChannelBuilder.forAddress("127.0.0.1", nodes[i].port()).usePlaintext().build());
  }

  private ManagedChannel connection(int i) {
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", nodes[i].port()).usePlaintext().build();
    connections.add(c);
    return c;
  }

  @AfterEach
  void stop() {
    connections.forEach(ManagedChannel::shutdownNow);
    for (Orderer node : nodes) {
      if (node != null) {
        node.close();
      }
    }
  }

  @Test
  void aConsenterBehindTheCompactedLogsPullsTheBlocksOverDeliverThenOrdersAgain() throws Exception {
    List<ByteString> sent = new ArrayList<>(broadcast(0, 0, 20));
    awaitEnvelopes(List.of(0, 1, 2), sent.size());
    long behindIndex = lastRaftIndex(ledger(2));
    long heightWhenStopped = ledger(2).height();
    nodes[2].close();
    nodes[2] = null;

    sent.addAll(broadcast(0, 20, 150));
    sent.addAll(broadcast(1, 170, 150));
    awaitEnvelopes(List.of(0, 1), sent.size());
    // The survivors took snapshots and purged their logs past the stopped node's last entry.
    for (int i = 0; i < 2; i++) {
      int node = i;
      await().atMost(WAIT).until(() -> firstLogIndex(node) > behindIndex + 1);
    }

    start(2);
    await().atMost(WAIT).until(() -> ledger(2).height() == ledger(0).height());
    assertSameHeadersAndData(List.of(0, 1, 2));
    // Blocks pulled over Deliver are kept as their maker signed them (byte for byte a peer's copy);
    // blocks a node cuts itself carry its own signature.
    int pulled = 0;
    for (long n = heightWhenStopped; n < ledger(2).height(); n++) {
      ByteString mine = ledger(2).readBlock(n).getMetadata().toByteString();
      if (mine.equals(ledger(0).readBlock(n).getMetadata().toByteString())
          || mine.equals(ledger(1).readBlock(n).getMetadata().toByteString())) {
        pulled++;
      }
    }
    assertThat(pulled).as("blocks node 2 pulled over Deliver").isPositive();

    sent.addAll(broadcast(2, 320, 15));
    awaitEnvelopes(List.of(0, 1, 2), sent.size());
    assertSameHeadersAndData(List.of(0, 1, 2));
    List<ByteString> ordered = new ArrayList<>();
    for (long n = 1; n < ledger(2).height(); n++) {
      ordered.addAll(ledger(2).readBlock(n).getData().getDataList());
    }
    assertThat(ordered).containsExactlyInAnyOrderElementsOf(sent);
  }

  /**
   * Node 0's own client endpoint is the first the channel config lists. Restarted behind the
   * others' purged logs, it pulls from a peer that holds the blocks and never dials itself: its
   * own Deliver service opens no stream (Fabric's BlockPuller probes the endpoints' heights and
   * skips those without the wanted block, orderer/common/cluster/deliver.go).
   */
  @Test
  void aNodeRestartedBehindPullsFromAPeerWithoutDialingItself() throws Exception {
    List<ByteString> sent = new ArrayList<>(broadcast(0, 0, 20));
    awaitEnvelopes(List.of(0, 1, 2), sent.size());
    long behindIndex = lastRaftIndex(ledger(0));
    long heightWhenStopped = ledger(0).height();
    nodes[0].close();
    nodes[0] = null;

    sent.addAll(broadcast(1, 20, 150));
    sent.addAll(broadcast(2, 170, 150));
    awaitEnvelopes(List.of(1, 2), sent.size());
    for (int node : List.of(1, 2)) {
      await().atMost(WAIT).until(() -> firstLogIndex(node) > behindIndex + 1);
    }
    double servedBefore = deliverStreams(1) + deliverStreams(2);

    long startNanos = System.nanoTime();
    start(0);
    await().atMost(WAIT).until(() -> ledger(0).height() == ledger(1).height());
    System.out.printf("node 0 caught up %d blocks in %d ms from its start%n", ledger(0).height() - heightWhenStopped,
        (System.nanoTime() - startNanos) / 1_000_000);
    assertSameHeadersAndData(List.of(0, 1, 2));
    assertThat(deliverStreams(0)).as("Deliver streams node 0 opened to itself").isZero();
    assertThat(deliverStreams(1) + deliverStreams(2)).as("Deliver streams the peers served").isGreaterThan(servedBefore);
  }

  private double deliverStreams(int node) {
    for (MetricSnapshot snapshot : nodes[node].metrics().scrape()) {
      if (snapshot.getMetadata().getPrometheusName().equals("deliver_streams_opened")
          && snapshot instanceof CounterSnapshot counter) {
        return counter.getDataPoints().stream().mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
      }
    }
    return 0;
  }

  @Test
  void removingTheChannelRemovesItsRaftGroupAndFilesAndTheChannelCanBeJoinedAgain() throws Exception {
    List<ByteString> sent = new ArrayList<>(broadcast(0, 0, 30));
    awaitEnvelopes(List.of(0, 1, 2), sent.size());
    Path raft = dir.resolve("node2/raft");
    Path group = groupDir(2);
    assertThat(group.resolve("current")).isDirectory();
    assertThat(raft.resolve("channels/" + CHANNEL + ".first-block")).exists();

    HttpResponse<String> removed = http.send(HttpRequest.newBuilder(admin(2, "/participation/v1/channels/" + CHANNEL))
        .DELETE().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(removed.statusCode()).isEqualTo(204);
    assertThat(group).doesNotExist();
    try (var left = Files.list(raft.resolve("ratis"))) {
      assertThat(left.filter(Files::isDirectory).toList()).as("Raft groups left on node 2").isEmpty();
    }
    try (var left = Files.list(raft.resolve("channels"))) {
      assertThat(left.toList()).as("Raft files of the channel left on node 2").isEmpty();
    }
    assertThat(dir.resolve("node2/chains/" + CHANNEL)).doesNotExist();

    // The two others keep a quorum and go on; then node 2 joins again from the genesis block.
    sent.addAll(broadcast(1, 30, 200));
    awaitEnvelopes(List.of(0, 1), sent.size());
    assertThat(join(2).statusCode()).isEqualTo(201);
    await().atMost(WAIT).until(() -> ledger(2).height() == ledger(0).height());
    sent.addAll(broadcast(2, 230, 10));
    awaitEnvelopes(List.of(0, 1, 2), sent.size());
    assertSameHeadersAndData(List.of(0, 1, 2));
  }

  private HttpResponse<String> join(int node) throws Exception {
    String boundary = "jorderer-test-boundary";
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"config-block\"; filename=\"channel.block\""
        + "\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.write(genesis.toByteArray());
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return http.send(HttpRequest.newBuilder(admin(node, "/participation/v1/channels"))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI admin(int node, String path) {
    return URI.create("http://127.0.0.1:" + nodes[node].adminPort() + path);
  }

  /** Broadcasts {@code count} envelopes to {@code node} on one stream; every answer is SUCCESS. */
  private List<ByteString> broadcast(int node, int first, int count) throws Exception {
    List<Envelope> envelopes = new ArrayList<>();
    for (int n = 0; n < count; n++) {
      envelopes.add(client.message(CHANNEL, ByteString.copyFromUtf8("tx " + (first + n) + " " + "x".repeat(200)),
          Instant.now()).envelope());
    }
    BroadcastClient.sendAllAccepted(connection(node), envelopes);
    return envelopes.stream().map(Envelope::toByteString).toList();
  }

  private BlockStore ledger(int node) {
    return nodes[node].channels().channel(CHANNEL).orElseThrow().ledger();
  }

  private void awaitEnvelopes(List<Integer> which, int count) {
    for (int node : which) {
      await().atMost(WAIT).until(() -> {
        BlockStore ledger = ledger(node);
        int envelopes = 0;
        for (long n = 1; n < ledger.height(); n++) {
          envelopes += ledger.readBlock(n).getData().getDataCount();
        }
        return envelopes == count;
      });
    }
  }

  private void assertSameHeadersAndData(List<Integer> which) {
    BlockStore first = ledger(which.get(0));
    for (int node : which) {
      BlockStore ledger = ledger(node);
      assertThat(ledger.height()).isEqualTo(first.height());
      for (long n = 0; n < ledger.height(); n++) {
        assertThat(ledger.readBlock(n).getHeader()).as("header of block %d on node %d", n, node)
            .isEqualTo(first.readBlock(n).getHeader());
        assertThat(ledger.readBlock(n).getData()).as("data of block %d on node %d", n, node)
            .isEqualTo(first.readBlock(n).getData());
      }
    }
  }

  /** The Raft index etcdraft's block metadata records in the ledger's last block. */
  private static long lastRaftIndex(BlockStore ledger) throws Exception {
    return raftMetadata(ledger.readBlock(ledger.height() - 1)).getRaftIndex();
  }

  private Path groupDir(int node) throws Exception {
    try (var groups = Files.list(dir.resolve("node" + node + "/raft/ratis"))) {
      return groups.filter(Files::isDirectory).findFirst().orElseThrow();
    }
  }

  /** The first Raft index the node's log segment files hold. */
  private long firstLogIndex(int node) throws Exception {
    long first = Long.MAX_VALUE;
    try (var files = Files.newDirectoryStream(groupDir(node).resolve("current"), "log_*")) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        String start = name.startsWith("log_inprogress_") ? name.substring("log_inprogress_".length())
            : name.substring("log_".length(), name.indexOf('-'));
        first = Math.min(first, Long.parseLong(start));
      }
    }
    return first;
  }
}
