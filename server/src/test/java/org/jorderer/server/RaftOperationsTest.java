package org.jorderer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.hyperledger.fabric.protos.orderer.DeliverResponse;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.genesis.GenesisBlock;
import org.jorderer.channel.genesis.SoloChannelProfile;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.msp.MspFolder;
import org.jorderer.channel.msp.MspGenerator;
import org.jorderer.consensus.raft.ClusterSettings;
import org.jorderer.consensus.raft.EtcdRaftProfile;
import org.jorderer.server.support.BroadcastClient;
import org.jorderer.server.support.DeliverClient;
import org.jorderer.server.support.FreePort;
import org.jorderer.server.support.RaftLedgerBlocks;
import org.jorderer.server.support.SeekRequests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator sees of a Raft channel through the operations endpoint, from three full nodes
 * on loopback: Fabric's {@code consensus_etcdraft_*} metrics (names, help texts, types and label
 * as orderer/consensus/etcdraft/metrics.go of v2.4.9 defines them, written out here by hand), and,
 * once two of the three nodes stop, {@code /healthz} naming the channel without quorum, the
 * gauges saying so, Broadcast answered with Fabric's "no Raft leader" and Deliver still serving
 * the remaining node's ledger.
 */
class RaftOperationsTest {
  private static final String CHANNEL = "raftchannel";
  private static final String MSP_ID = "RaftOrg";
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static final Map<String, String> FABRIC = new TreeMap<>(Map.of(
      "consensus_etcdraft_cluster_size", "gauge Number of nodes in this channel.",
      "consensus_etcdraft_is_leader",
          "gauge The leadership status of the current node: 1 if it is the leader else 0.",
      "consensus_etcdraft_active_nodes", "gauge Number of active nodes in this channel.",
      "consensus_etcdraft_committed_block_number", "gauge The block number of the latest block committed.",
      "consensus_etcdraft_snapshot_block_number", "gauge The block number of the latest snapshot.",
      "consensus_etcdraft_leader_changes", "counter The number of leader changes since process start.",
      "consensus_etcdraft_proposal_failures", "counter The number of proposal failures.",
      "consensus_etcdraft_data_persist_duration",
          "histogram The time taken for etcd/raft data to be persisted in storage (in seconds).",
      "consensus_etcdraft_normal_proposals_received",
          "counter The total number of proposals received for normal type transactions.",
      "consensus_etcdraft_config_proposals_received",
          "counter The total number of proposals received for config type transactions."));

  private static final Pattern HELP = Pattern.compile("^# HELP (consensus_etcdraft_\\S+) (.*)$");
  private static final Pattern TYPE = Pattern.compile("^# TYPE (consensus_etcdraft_\\S+) (\\S+)$");

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path dir;

  @Test
  void metricsHaveFabricsNamesAndAMinorityNodeReportsNoQuorumWhileDeliverKeepsServing() throws Exception {
    Duration validity = Duration.ofDays(3650);
    Path orgMsp = dir.resolve("org/orderer");
    MspGenerator.generate(orgMsp, dir.resolve("org/admin"), "raftorg.example", "orderer.raftorg.example", validity);
    LocalSigner admin = LocalSigner.load(dir.resolve("org/admin"), MSP_ID);
    List<EtcdRaftProfile.ConsenterAddress> consenters = new ArrayList<>();
    List<ClusterSettings> clusters = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Path tls = dir.resolve("tls" + i);
      MspGenerator.generate(tls.resolve("node"), tls.resolve("unused"), "tls" + i + ".example", "orderer" + i, validity);
      byte[] cert = Files.readAllBytes(tls.resolve("node/signcerts/cert.pem"));
      int port = FreePort.pick();
      consenters.add(new EtcdRaftProfile.ConsenterAddress("127.0.0.1", port, cert, cert));
      clusters.add(ClusterSettings.defaults("127.0.0.1", port, cert, dir.resolve("node" + i + "/raft"))
          .withElectionTimeout(Duration.ofMillis(500), Duration.ofMillis(1000))
          .withLeaderWait(Duration.ofSeconds(3)));
    }
    SoloChannelProfile profile = new SoloChannelProfile(MSP_ID, MspFolder.readMspConfig(orgMsp, MSP_ID),
        List.of("127.0.0.1:7050"), 10, 10 << 20, 2 << 20, Duration.ofMillis(100));
    Block genesis = GenesisBlock.of(CHANNEL,
        EtcdRaftProfile.withEtcdRaft(profile.config(), EtcdRaftProfile.metadata(consenters)), Instant.now());

    List<Orderer> nodes = new ArrayList<>();
    ManagedChannel connection = null;
    try {
      for (int i = 0; i < 3; i++) {
        OrdererSettings settings = OrdererSettings.embeddedDefault(dir.resolve("node" + i))
            .withListen(new InetSocketAddress("127.0.0.1", 0))
            .withAdminListen(null)
            .withOperationsListen(new InetSocketAddress("127.0.0.1", 0))
            .withMsp(orgMsp, MSP_ID, false)
            .withCluster(clusters.get(i));
        Orderer node = Orderer.start(settings);
        nodes.add(node);
        node.channels().create(genesis);
      }
      Orderer remaining = nodes.get(0);
      connection = NettyChannelBuilder.forAddress("127.0.0.1", remaining.port()).usePlaintext().build();
      await().atMost(WAIT).until(() -> nodes.stream()
          .anyMatch(n -> metrics(n).contains("consensus_etcdraft_is_leader{channel=\"raftchannel\"} 1")));

      SignedEnvelopes client = new SignedEnvelopes(admin);
      try (BroadcastClient broadcast = new BroadcastClient(connection)) {
        for (int n = 0; n < 3; n++) {
          broadcast.send(client.message(CHANNEL, ByteString.copyFromUtf8("tx " + n), Instant.now()).envelope());
          BroadcastResponse response = broadcast.next(60);
          assertThat(response.getStatus()).as(response.getInfo()).isEqualTo(Status.SUCCESS);
        }
      }
      await().atMost(WAIT).until(() -> envelopesIn(remaining) == 3);
      long height = remaining.channels().channel(CHANNEL).orElseThrow().ledger().height();
      String text = metrics(remaining);
      Map<String, String> help = new TreeMap<>();
      Map<String, String> type = new TreeMap<>();
      for (String line : text.split("\n")) {
        Matcher m;
        if ((m = HELP.matcher(line)).matches()) {
          help.put(m.group(1), m.group(2));
        } else if ((m = TYPE.matcher(line)).matches()) {
          type.put(m.group(1), m.group(2));
        }
      }
      Map<String, String> exposed = new TreeMap<>();
      help.forEach((name, h) -> exposed.put(name, type.get(name) + " " + h));
      assertThat(exposed).isEqualTo(FABRIC);
      assertThat(text).contains("consensus_etcdraft_cluster_size{channel=\"raftchannel\"} 3\n")
          .contains("consensus_etcdraft_normal_proposals_received{channel=\"raftchannel\"} 3\n")
          .containsPattern("consensus_etcdraft_data_persist_duration_bucket\\{channel=\"raftchannel\",le=\"0.005\"\\}")
          .containsPattern("consensus_etcdraft_leader_changes\\{channel=\"raftchannel\"\\} [1-9]");
      await().atMost(WAIT).until(() -> metrics(remaining)
          .contains("consensus_etcdraft_committed_block_number{channel=\"raftchannel\"} " + (height - 1) + "\n"));
      // Leader or follower, the node sees all three consenters active.
      await().atMost(WAIT).until(() -> metrics(remaining)
          .contains("consensus_etcdraft_active_nodes{channel=\"raftchannel\"} 3\n"));
      assertThat(healthz(remaining).statusCode()).isEqualTo(200);

      // Two of three stop: the remaining node knows no leader, and says so.
      nodes.get(1).close();
      nodes.get(2).close();
      await().atMost(WAIT).until(() -> healthz(remaining).statusCode() == 503);
      HttpResponse<String> health = healthz(remaining);
      assertThat(health.body())
          .startsWith("{\"status\":\"Service Unavailable\",")
          .contains("\"failed_checks\":[{\"component\":\"chains\",\"reason\":\"channel raftchannel has no Raft quorum"
              + " (no Raft leader for ")
          .contains(" ms: 1 of 3 consenters reachable from this node, 2 needed)\"}]");
      String outage = metrics(remaining);
      assertThat(outage).contains("consensus_etcdraft_is_leader{channel=\"raftchannel\"} 0\n")
          .contains("consensus_etcdraft_active_nodes{channel=\"raftchannel\"} 1\n")
          .contains("consensus_etcdraft_cluster_size{channel=\"raftchannel\"} 3\n");

      // Broadcast: held for the wait, then Fabric's answer.
      try (BroadcastClient broadcast = new BroadcastClient(connection)) {
        broadcast.send(client.message(CHANNEL, ByteString.copyFromUtf8("refused"), Instant.now()).envelope());
        BroadcastResponse response = broadcast.next(60);
        assertThat(response.getStatus()).isEqualTo(Status.SERVICE_UNAVAILABLE);
        assertThat(response.getInfo()).isEqualTo("no Raft leader");
      }
      assertThat(metrics(remaining)).contains("consensus_etcdraft_proposal_failures{channel=\"raftchannel\"} 1\n");

      // Deliver serves every block the node has, from its own ledger.
      SeekRequests seeks = new SeekRequests(admin);
      try (DeliverClient deliver = new DeliverClient(connection)) {
        deliver.send(seeks.envelope(CHANNEL,
            SeekRequests.seek(SeekRequests.oldest(), SeekRequests.specified(height - 1)), Instant.now()));
        List<Block> blocks = new ArrayList<>();
        Status status = null;
        for (DeliverResponse response : deliver.untilStatus(30)) {
          if (response.hasBlock()) {
            blocks.add(response.getBlock());
          } else {
            status = response.getStatus();
          }
        }
        assertThat(status).isEqualTo(Status.SUCCESS);
        assertThat(blocks).hasSize((int) height);
        assertThat(blocks.get((int) height - 1).getHeader().getNumber()).isEqualTo(height - 1);
      }
    } finally {
      if (connection != null) {
        connection.shutdownNow();
      }
      nodes.forEach(Orderer::close);
    }
  }

  private String metrics(Orderer node) {
    return get(node, "/metrics").body();
  }

  private HttpResponse<String> healthz(Orderer node) {
    return get(node, "/healthz");
  }

  private HttpResponse<String> get(Orderer node, String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.operationsPort() + path)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int envelopesIn(Orderer node) {
    return RaftLedgerBlocks.envelopesAfterGenesis(node.channels().channel(CHANNEL).orElseThrow().ledger());
  }
}
