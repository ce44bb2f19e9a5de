package org.jorderer.consensus.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.etcdraft.BlockMetadata;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.block.BlockSignatureVerifier;
import org.jorderer.ledger.BlockHeaderHash;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.jorderer.channel.msp.MspGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three real Ratis consenters of one etcdraft channel on loopback. */
class RaftClusterTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @Test
  void envelopesBroadcastToEveryNodeAreCutIntoIdenticalBlocksOnEveryNode() throws Exception {
    try (RaftCluster cluster = new RaftCluster(dir, 3, Duration.ofMillis(200), 10)) {
      cluster.startAll();
      List<Envelope> sent = new ArrayList<>();
      List<CompletableFuture<Void>> acks = new ArrayList<>();
      for (int i = 0; i < 45; i++) {
        Envelope envelope = cluster.envelope("tx " + i);
        sent.add(envelope);
        acks.add(cluster.nodes[i % 3].chain.order(envelope, 0));
      }
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);

      // 45 envelopes at 10 per block: the last 5 are cut by the leader's replicated batch timeout.
      await().atMost(WAIT).until(() -> envelopesIn(cluster.nodes[0]) == 45 && envelopesIn(cluster.nodes[1]) == 45
          && envelopesIn(cluster.nodes[2]) == 45);
      assertSameHeadersAndData(cluster);
      assertThat(countEach(cluster.nodes[0].blocks())).containsOnlyKeys(bytes(sent)).allSatisfy((k, v) -> assertThat(v).isEqualTo(1));

      for (RaftCluster.Node node : cluster.nodes) {
        List<Block> blocks = node.blocks();
        for (int n = 1; n < blocks.size(); n++) {
          Block block = blocks.get(n);
          BlockMetadata raft = ConsenterSet.blockMetadata(block).orElseThrow();
          assertThat(raft.getConsenterIdsList()).containsExactly(1L, 2L, 3L);
          assertThat(raft.getNextConsenterId()).isEqualTo(4);
          assertThat(raft.getRaftIndex()).isPositive();
          assertThat(block.getData().getDataCount()).isBetween(1, 10);
        }
        ChannelConfig config = ChannelConfig.fromConfigBlock(blocks.get(0), cluster.signer.crypto());
        for (int n = 1; n < blocks.size(); n++) {
          assertThat(BlockSignatureVerifier.verify(blocks.get(n), config).satisfied()).isTrue();
          assertThat(blocks.get(n).getHeader().getPreviousHash())
              .isEqualTo(ByteString.copyFrom(BlockHeaderHash.of(blocks.get(n - 1).getHeader())));
        }
      }
      assertThat(cluster.nodes[0].chain.raftId()).isEqualTo(1);
      assertThat(cluster.nodes[2].chain.raftId()).isEqualTo(3);

      // A client whose TLS certificate is no consenter's is refused by every node.
      Path intruder = dir.resolve("intruder");
      MspGenerator.generate(intruder.resolve("node"), intruder.resolve("unused"), "intruder.example", "intruder",
          RaftCluster.VALIDITY);
      ClusterTls intruderTls = ClusterTls.read(intruder.resolve("node/signcerts/cert.pem"),
          intruder.resolve("node/keystore/priv_sk"));
      java.util.Set<java.nio.ByteBuffer> trusted = ClusterTls.newMemberSet();
      for (byte[] certificate : cluster.certificates) {
        trusted.add(java.nio.ByteBuffer.wrap(ConsenterSet.publicKey(certificate)));
      }
      Parameters parameters = new Parameters();
      GrpcConfigKeys.TLS.setConf(parameters,
          new GrpcTlsConfig(intruderTls.keyManager(), ClusterTls.pinned(trusted), true));
      ConsenterSet consenters = ConsenterSet.of(RaftCluster.CHANNEL,
          cluster.nodes[0].chain.consenterMetadata(), cluster.genesis);
      RaftProperties properties = new RaftProperties();
      RaftClientConfigKeys.Rpc.setRequestTimeout(properties, TimeDuration.valueOf(2, TimeUnit.SECONDS));
      try (RaftClient client = RaftClient.newBuilder().setProperties(properties).setParameters(parameters)
          .setRaftGroup(consenters.group()).setRetryPolicy(RetryPolicies.noRetry()).build()) {
        Envelope forged = cluster.envelope("forged");
        assertThatThrownBy(() -> client.io().send(Message.valueOf(org.apache.ratis.thirdparty.com.google.protobuf
            .UnsafeByteOperations.unsafeWrap(new RaftEntry.Envelopes(List.of(new RaftEntry.Ordered(forged, 0)))
                .encode()))))
            .isInstanceOf(java.io.IOException.class);
      }
    }
  }

  @Test
  void aStoppedLeaderLosesNothingAcknowledgedAndCatchesUpAfterRestart() throws Exception {
    try (RaftCluster cluster = new RaftCluster(dir, 3, Duration.ofMillis(200), 10)) {
      cluster.startAll();
      await().atMost(WAIT).until(() -> cluster.leader() != null);
      RaftCluster.Node leader = cluster.leader();
      List<Envelope> acknowledged = new ArrayList<>();
      for (int i = 0; i < 23; i++) {
        Envelope envelope = cluster.envelope("before " + i);
        cluster.nodes[i % 3].chain.order(envelope, 0).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        acknowledged.add(envelope);
      }

      leader.stop();
      List<RaftCluster.Node> survivors = new ArrayList<>();
      for (RaftCluster.Node node : cluster.nodes) {
        if (node.running()) {
          survivors.add(node);
        }
      }
      await().atMost(WAIT).until(() -> cluster.leader() != null);
      for (int i = 0; i < 17; i++) {
        Envelope envelope = cluster.envelope("after " + i);
        survivors.get(i % 2).chain.order(envelope, 0).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        acknowledged.add(envelope);
      }
      for (RaftCluster.Node node : survivors) {
        await().atMost(WAIT).until(() -> envelopesIn(node) == acknowledged.size());
        assertThat(countEach(node.blocks())).containsOnlyKeys(bytes(acknowledged))
            .allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
      }

      leader.start();
      await().atMost(WAIT).until(() -> leader.ledger.height() == survivors.get(0).ledger.height());
      assertSameHeadersAndData(cluster);

      // The restarted node orders again, as a follower or leader.
      Envelope late = cluster.envelope("late");
      leader.chain.order(late, 0).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      acknowledged.add(late);
      for (RaftCluster.Node node : cluster.nodes) {
        await().atMost(WAIT).until(() -> envelopesIn(node) == acknowledged.size());
      }
      assertSameHeadersAndData(cluster);
    }
  }

  private static void assertSameHeadersAndData(RaftCluster cluster) {
    List<Block> first = cluster.nodes[0].blocks();
    for (RaftCluster.Node node : cluster.nodes) {
      List<Block> blocks = node.blocks();
      assertThat(blocks).hasSameSizeAs(first);
      for (int n = 0; n < blocks.size(); n++) {
        assertThat(blocks.get(n).getHeader()).as("header of block %d on node %d", n, node.index)
            .isEqualTo(first.get(n).getHeader());
        assertThat(blocks.get(n).getData()).as("data of block %d on node %d", n, node.index)
            .isEqualTo(first.get(n).getData());
      }
    }
  }

  private static int envelopesIn(RaftCluster.Node node) {
    int count = 0;
    for (long n = 1; n < node.ledger.height(); n++) {
      count += node.ledger.readBlock(n).getData().getDataCount();
    }
    return count;
  }

  private static Map<ByteString, Integer> countEach(List<Block> blocks) {
    Map<ByteString, Integer> counts = new HashMap<>();
    for (Block block : blocks.subList(1, blocks.size())) {
      block.getData().getDataList().forEach(d -> counts.merge(d, 1, Integer::sum));
    }
    return counts;
  }

  private static ByteString[] bytes(List<Envelope> envelopes) {
    return envelopes.stream().map(Envelope::toByteString).toArray(ByteString[]::new);
  }
}
