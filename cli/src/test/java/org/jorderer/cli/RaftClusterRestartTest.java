package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.envelope.SignedEnvelopes;
import org.jorderer.channel.msp.LocalSigner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole cluster stops and starts again: three {@code jorderer start --config} processes (the
 * files {@code jorderer dev-cluster} makes) joined to an etcdraft channel through the participation
 * API order envelopes sent to each; then all three stop at once, by SIGKILL (a power cut of the
 * whole cluster) or by SIGTERM (an operator's shutdown), and start again on their data. Each node
 * comes back at the height it had, serves the same bytes for every block it served before, its
 * signatures included, the three serve identical headers and data, and the cluster orders again:
 * envelopes sent to each node are answered SUCCESS and delivered by all three.
 */
class RaftClusterRestartTest {
  @TempDir Path dir;

  private final List<NodeProcess> processes = new ArrayList<>();
  private final List<ManagedChannel> connections = new ArrayList<>();

  @AfterEach
  void stopEverything() throws Exception {
    connections.forEach(ManagedChannel::shutdownNow);
    for (NodeProcess process : processes) {
      process.close();
    }
  }

  @Test
  @Timeout(value = 12, unit = java.util.concurrent.TimeUnit.MINUTES)
  void sigkillOfAllThreeNodesAtOnceThenRestartKeepsEveryBlockAndOrdersAgain() throws Exception {
    restartWholeCluster("KILL", 128 + 9);
  }

  @Test
  @Timeout(value = 12, unit = java.util.concurrent.TimeUnit.MINUTES)
  void sigtermOfAllThreeNodesThenRestartKeepsEveryBlockAndOrdersAgain() throws Exception {
    restartWholeCluster("TERM", 128 + 15);
  }

  private void restartWholeCluster(String signal, int exitCode) throws Exception {
    LocalCluster cluster = LocalCluster.create(dir.resolve("cluster"), 3, "mychannel", Duration.ofMillis(100), 50,
        Duration.ofMillis(200));
    for (LocalCluster.Node node : cluster.nodes()) {
      processes.add(NodeProcess.start(node));
    }
    for (LocalCluster.Node node : cluster.nodes()) {
      processes.get(node.index()).awaitServing(Duration.ofSeconds(180));
      assertThat(DevClusterCommand.joinIfNeeded(node, cluster.channel(), cluster.genesisBlock()))
          .startsWith("joined mychannel");
      connections.add(NettyChannelBuilder.forAddress("127.0.0.1", node.port()).usePlaintext()
          .maxInboundMessageSize(Integer.MAX_VALUE).build());
    }
    SignedEnvelopes client = new SignedEnvelopes(LocalSigner.load(cluster.adminMsp(), cluster.mspId()));
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    sendToEachNode(client, cluster.channel(), acknowledged, "before");
    List<List<Block>> before = OrdererCalls.awaitIdenticalLedgers(connections, cluster.channel(), client,
        List.of(0, 1, 2), acknowledged);
    int height = before.get(0).size();
    assertThat(height).as("blocks were cut").isGreaterThan(2);
    List<List<Block>> signedBefore = new ArrayList<>();
    for (ManagedChannel connection : connections) {
      signedBefore.add(OrdererCalls.deliverAllWithMetadata(connection, client, cluster.channel()));
    }

    // All three at once: every signal is sent before any exit is awaited.
    for (NodeProcess process : processes) {
      process.signal(signal);
    }
    for (NodeProcess process : processes) {
      assertThat(process.awaitExit()).as("exit code after SIG%s; log:%n%s", signal, process.logTail())
          .isEqualTo(exitCode);
    }

    // New connections: the old ones may be waiting out gRPC's reconnect backoff from while the
    // nodes were down.
    connections.forEach(ManagedChannel::shutdownNow);
    connections.clear();
    for (LocalCluster.Node node : cluster.nodes()) {
      processes.set(node.index(), NodeProcess.start(node));
      connections.add(NettyChannelBuilder.forAddress("127.0.0.1", node.port()).usePlaintext()
          .maxInboundMessageSize(Integer.MAX_VALUE).build());
    }
    for (LocalCluster.Node node : cluster.nodes()) {
      NodeProcess process = processes.get(node.index());
      process.awaitServing(Duration.ofSeconds(180));
      assertThat(process.logSinceStart()).as("node %d restarts at its height", node.index())
          .contains("channels: mychannel (height " + height + ")");
    }
    for (int i = 0; i < 3; i++) {
      List<Block> signedAfter = OrdererCalls.deliverAllWithMetadata(connections.get(i), client, cluster.channel());
      assertThat(signedAfter).as("node %d serves the same height after the restart", i).hasSize(height);
      for (int n = 0; n < height; n++) {
        assertThat(signedAfter.get(n).toByteString()).as("node %d block %d, byte for byte", i, n)
            .isEqualTo(signedBefore.get(i).get(n).toByteString());
      }
    }

    // Ordering resumes through every node.
    sendToEachNode(client, cluster.channel(), acknowledged, "after");
    List<List<Block>> after = OrdererCalls.awaitIdenticalLedgers(connections, cluster.channel(), client,
        List.of(0, 1, 2), acknowledged);
    assertThat(after.get(0).size()).as("new blocks").isGreaterThan(height);
    assertThat(after.get(0).subList(0, height)).as("the blocks from before the restart").isEqualTo(before.get(0));
  }

  private void sendToEachNode(SignedEnvelopes client, String channel, Set<String> acknowledged, String tag)
      throws Exception {
    for (int i = 0; i < 3; i++) {
      List<SignedEnvelopes.SignedEnvelope> batch = new ArrayList<>();
      for (int n = 0; n < 60; n++) {
        batch.add(client.message(channel, ByteString.copyFromUtf8(tag + " node " + i + " tx " + n), Instant.now()));
      }
      for (BroadcastResponse response : OrdererCalls.broadcast(connections.get(i), batch)) {
        assertThat(response.getStatus()).as("%s, node %d: %s", tag, i, response.getInfo()).isEqualTo(Status.SUCCESS);
      }
      batch.forEach(e -> acknowledged.add(e.txId()));
    }
  }
}
