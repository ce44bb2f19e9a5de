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
import java.security.KeyPair;
import org.apache.ratis.protocol.RaftClientReply;
import org.jorderer.channel.msp.TlsCa;
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
      await().atMost(WAIT).until(() -> cluster.nodes[0].envelopes() == 45 && cluster.nodes[1].envelopes() == 45
          && cluster.nodes[2].envelopes() == 45);
      cluster.assertSameHeadersAndData();
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

      List<String> logged = java.util.Collections.synchronizedList(new ArrayList<>());
      ch.qos.logback.classic.Logger trustLog =
          (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ClusterTrust.class);
      ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent> capture =
          new ch.qos.logback.core.AppenderBase<>() {
            @Override
            protected void append(ch.qos.logback.classic.spi.ILoggingEvent event) {
              logged.add(event.getFormattedMessage());
            }
          };
      capture.start();
      trustLog.addAppender(capture);
      // Over TLS a peer must present a consenter's certificate in its role, chained to the
      // orderer organization's TLS CA (tls_root_certs in the channel config).
      ConsenterSet consenters = ConsenterSet.of(RaftCluster.CHANNEL, cluster.nodes[0].chain.consenterMetadata(),
          cluster.genesis);
      KeyPair node0Client = cluster.clients[0].keys();
      // The control: node 0's client key with a fresh certificate from the right CA is accepted.
      TlsCa.Issued reissued = cluster.tlsCa.issue("client.orderer0.raftorg.example", node0Client, List.of(),
          RaftCluster.VALIDITY);
      assertThat(send(cluster, consenters, new ClusterTls(node0Client.getPrivate(), reissued.certificate())).isSuccess())
          .isTrue();
      // The same key in a certificate from another CA is refused: pinning alone would take it.
      TlsCa foreign = TlsCa.generate("raftorg.example", RaftCluster.VALIDITY);
      TlsCa.Issued impostor = foreign.issue("client.orderer0.raftorg.example", node0Client, List.of(),
          RaftCluster.VALIDITY);
      assertThatThrownBy(() -> send(cluster, consenters, new ClusterTls(node0Client.getPrivate(), impostor.certificate())))
          .isInstanceOf(java.io.IOException.class);
      // A certificate from the right CA whose key is no consenter's is refused.
      TlsCa.Issued stranger = cluster.tlsCa.issue("stranger.raftorg.example", List.of(), RaftCluster.VALIDITY);
      assertThatThrownBy(() -> send(cluster, consenters, new ClusterTls(stranger.keys().getPrivate(), stranger.certificate())))
          .isInstanceOf(java.io.IOException.class);
      // A consenter's server certificate presented as a client is refused (roles are pinned apart).
      byte[] serverPem = cluster.certificates[1];
      java.security.cert.X509Certificate server1 = (java.security.cert.X509Certificate) java.security.cert
          .CertificateFactory.getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(serverPem));
      ClusterTls asClient = ClusterTls.read(dir.resolve("tls1/server.crt"), dir.resolve("tls1/server.key"));
      assertThat(asClient.clientCertificate()).isEqualTo(server1);
      assertThatThrownBy(() -> send(cluster, consenters, asClient)).isInstanceOf(java.io.IOException.class);
      await().atMost(WAIT).until(() -> logged.stream().anyMatch(line -> line.contains("does not chain to a TLS root CA")));
      assertThat(logged).anyMatch(line -> line.contains("it is not the client TLS certificate of a consenter"));
    }
  }

  /**
   * Proposes a no-op cut marker to the group over TLS as a client with {@code tls}; the client
   * trusts the cluster's servers as a node does.
   */
  private static RaftClientReply send(RaftCluster cluster, ConsenterSet consenters, ClusterTls tls) throws Exception {
    ClusterTrust trust = new ClusterTrust(List.of(cluster.tlsCa.certificate()));
    trust.addConsenters(consenters);
    Parameters parameters = new Parameters();
    GrpcConfigKeys.TLS.setConf(parameters, new GrpcTlsConfig(tls.keyManager(), trust.trustManager(), true));
    RaftProperties properties = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(properties, TimeDuration.valueOf(2, TimeUnit.SECONDS));
    try (RaftClient client = RaftClient.newBuilder().setProperties(properties).setParameters(parameters)
        .setRaftGroup(consenters.group()).setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(20,
            TimeDuration.valueOf(100, TimeUnit.MILLISECONDS))).build()) {
      return client.io().send(Message.valueOf(org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations
          .unsafeWrap(new RaftEntry.CutMarker(1_000_000).encode())));
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
        await().atMost(WAIT).until(() -> node.envelopes() == acknowledged.size());
        assertThat(countEach(node.blocks())).containsOnlyKeys(bytes(acknowledged))
            .allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
      }

      leader.start();
      await().atMost(WAIT).until(() -> leader.ledger.height() == survivors.get(0).ledger.height());
      cluster.assertSameHeadersAndData();

      // The restarted node orders again, as a follower or leader.
      Envelope late = cluster.envelope("late");
      leader.chain.order(late, 0).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      acknowledged.add(late);
      for (RaftCluster.Node node : cluster.nodes) {
        await().atMost(WAIT).until(() -> node.envelopes() == acknowledged.size());
      }
      cluster.assertSameHeadersAndData();
    }
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
