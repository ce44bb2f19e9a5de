package org.jorderer.consensus.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Config;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigUpdate;
import org.hyperledger.fabric.protos.common.ConfigValue;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.BatchTimeout;
import org.jorderer.channel.envelope.ConfigUpdateEnvelopes;
import org.jorderer.channel.processor.ConfigResult;
import org.jorderer.ledger.testing.SettableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rules every node of a channel must apply alike, on three real Ratis consenters on loopback:
 * re-checks at ordering time judged at the leader's time, whatever each node's clock says.
 */
class RaftRulesTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  /**
   * The client's certificate expires at T. The leader's clock and the followers' disagree about
   * whether T has passed; envelopes Broadcast checked at an older config sequence are re-checked at
   * ordering time. Every node decides as the leader's clock says, so all cut identical blocks.
   */
  @Test
  void nodesWhoseClocksDisagreeRecheckEnvelopesAtTheLeadersTime() throws Exception {
    try (RaftCluster cluster = new RaftCluster(dir, 3, Duration.ofMillis(200), 1)) {
      SettableClock[] clocks = new SettableClock[3];
      for (int i = 0; i < 3; i++) {
        clocks[i] = new SettableClock(Instant.now());
      }
      cluster.clocks = i -> clocks[i];
      cluster.electionTimeoutMin = Duration.ofSeconds(1); // no elections while the test runs
      cluster.startAll();
      await().atMost(WAIT).until(() -> cluster.leader() != null);
      RaftCluster.Node leader = cluster.leader();
      RaftCluster.Node follower = cluster.nodes[(leader.index + 1) % 3];
      Instant expiry = adminExpiry(cluster);
      Instant before = expiry.minus(Duration.ofDays(1));
      Instant after = expiry.plus(Duration.ofDays(1));

      // A config update moves the channel to sequence 1: envelopes checked at 0 are checked again.
      ConfigResult update = follower.support.processor().processConfigUpdate(batchTimeoutUpdate(cluster, follower, "3s"));
      assertThat(update.accepted()).as(update.verdict().info()).isTrue();
      follower.chain.configure(update.config().orElseThrow(), update.configSequence()).get(30, TimeUnit.SECONDS);
      for (RaftCluster.Node node : cluster.nodes) {
        await().atMost(WAIT).until(() -> node.support.sequence() == 1);
      }

      // The leader says the certificate is valid, the followers that it expired: kept everywhere.
      setClocks(cluster, clocks, leader, before, after);
      Envelope kept = cluster.envelope("checked again while valid");
      follower.chain.order(kept, 0).get(30, TimeUnit.SECONDS);
      Envelope marker1 = cluster.envelope("marker 1");
      follower.chain.order(marker1, 1).get(30, TimeUnit.SECONDS);
      awaitEveryNodeHas(cluster, marker1);

      // The leader says it expired, the followers (the proposing one too) that it is valid:
      // discarded everywhere.
      setClocks(cluster, clocks, leader, after, before);
      Envelope discarded = cluster.envelope("checked again once expired");
      follower.chain.order(discarded, 0).get(30, TimeUnit.SECONDS);
      Envelope marker2 = cluster.envelope("marker 2");
      follower.chain.order(marker2, 1).get(30, TimeUnit.SECONDS);
      awaitEveryNodeHas(cluster, marker2);

      assertThat(cluster.leader()).as("the leader stayed the same through the test").isSameAs(leader);
      List<Block> reference = leader.blocks();
      for (RaftCluster.Node node : cluster.nodes) {
        List<Block> blocks = node.blocks();
        assertThat(blocks).hasSameSizeAs(reference);
        for (int n = 0; n < blocks.size(); n++) {
          assertThat(blocks.get(n).getHeader()).isEqualTo(reference.get(n).getHeader());
          assertThat(blocks.get(n).getData()).isEqualTo(reference.get(n).getData());
        }
        assertThat(contains(blocks, kept)).as("node %d keeps the envelope", node.index).isTrue();
        assertThat(contains(blocks, discarded)).as("node %d discards the envelope", node.index).isFalse();
      }
    }
  }

  /**
   * Fabric's quorum-loss rule for consenter changes (a 3-node cluster with one node down refuses
   * to remove a running one) gives the same answer whether the update reaches the leader or a
   * follower: followers count the active consenters the leader reports.
   */
  @Test
  void aFollowerRefusesAConsenterRemovalThatLosesTheQuorumAsTheLeaderDoes() throws Exception {
    try (RaftCluster cluster = new RaftCluster(dir, 3, Duration.ofMillis(200), 10)) {
      cluster.startAll();
      await().atMost(WAIT).until(() -> cluster.leader() != null);
      RaftCluster.Node leader = cluster.leader();
      RaftCluster.Node follower = cluster.nodes[(leader.index + 1) % 3];
      RaftCluster.Node stopped = cluster.nodes[(leader.index + 2) % 3];
      stopped.stop();

      String refusal = "2 out of 3 nodes are alive, configuration will result in quorum loss";
      // Awaited on both nodes: on a loaded machine the two survivors may hold an election (the
      // follower may then lead), and a node that has not yet heard the new leader's count does not
      // judge the rule until it has.
      await().atMost(WAIT).untilAsserted(() -> {
        assertThat(removing(cluster, follower, leader)).contains(refusal);
        assertThat(removing(cluster, leader, leader)).contains(refusal);
        // Removing a running follower is refused too.
        assertThat(removing(cluster, follower, follower)).contains(refusal);
      });
      // Removing the stopped node keeps the quorum.
      assertThat(removing(cluster, follower, stopped)).isEmpty();
      assertThat(removing(cluster, leader, stopped)).isEmpty();

      // The stopped node is back: once the leader hears from it (and has told the follower),
      // nothing is refused any more, on either node.
      stopped.start();
      java.util.Set<Long> all = java.util.Set.of(1L, 2L, 3L);
      await().atMost(WAIT).until(() -> leader.chain.activeNodes().equals(java.util.Optional.of(all))
          && follower.chain.activeNodes().equals(java.util.Optional.of(all)));
      assertThat(removing(cluster, follower, leader)).isEmpty();
      assertThat(removing(cluster, leader, leader)).isEmpty();
    }
  }

  /** {@code at}'s consenter's answer to a config update that removes {@code removed} from the consenters. */
  private static java.util.Optional<String> removing(RaftCluster cluster, RaftCluster.Node at,
      RaftCluster.Node removed) throws Exception {
    org.jorderer.channel.ChannelConfig current = at.support.config();
    Config config = current.config();
    ConfigGroup orderer = config.getChannelGroup().getGroupsOrThrow("Orderer");
    ConfigValue value = orderer.getValuesOrThrow("ConsensusType");
    var type = org.hyperledger.fabric.protos.orderer.ConsensusType.parseFrom(value.getValue());
    var metadata = org.hyperledger.fabric.protos.orderer.etcdraft.ConfigMetadata.parseFrom(type.getMetadata());
    var fewer = metadata.toBuilder().removeConsenters(removed.index).build();
    Config next = config.toBuilder().setSequence(config.getSequence() + 1)
        .setChannelGroup(config.getChannelGroup().toBuilder().putGroups("Orderer", orderer.toBuilder()
            .putValues("ConsensusType", value.toBuilder().setValue(type.toBuilder()
                .setMetadata(fewer.toByteString()).build().toByteString()).build()).build())).build();
    Block last = at.ledger.readBlock(at.ledger.height() - 1);
    return at.consenter.validateConsensusMetadata(current,
        org.jorderer.channel.ChannelConfig.fromConfig(RaftCluster.CHANNEL, next, cluster.signer.crypto()), last,
        Instant.now());
  }

  private static void setClocks(RaftCluster cluster, SettableClock[] clocks, RaftCluster.Node leader,
      Instant leaderTime, Instant followerTime) {
    for (RaftCluster.Node node : cluster.nodes) {
      clocks[node.index].set(node == leader ? leaderTime : followerTime);
    }
  }

  private static void awaitEveryNodeHas(RaftCluster cluster, Envelope envelope) {
    for (RaftCluster.Node node : cluster.nodes) {
      await().atMost(WAIT).until(() -> contains(node.blocks(), envelope));
    }
  }

  private static boolean contains(List<Block> blocks, Envelope envelope) {
    return blocks.stream().anyMatch(b -> b.getData().getDataList().contains(envelope.toByteString()));
  }

  static Instant adminExpiry(RaftCluster cluster) throws Exception {
    X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
        new ByteArrayInputStream(Files.readAllBytes(cluster.root.resolve("org/admin/signcerts/cert.pem"))));
    return cert.getNotAfter().toInstant();
  }

  /** A config update setting the channel's BatchTimeout, signed by the organization's admin. */
  static Envelope batchTimeoutUpdate(RaftCluster cluster, RaftCluster.Node node, String timeout) {
    Config config = node.support.config().config();
    ConfigGroup channel = config.getChannelGroup();
    ConfigGroup orderer = channel.getGroupsOrThrow("Orderer");
    ConfigValue value = orderer.getValuesOrThrow("BatchTimeout");
    ConfigValue next = value.toBuilder().setVersion(value.getVersion() + 1)
        .setValue(BatchTimeout.newBuilder().setTimeout(timeout).build().toByteString()).build();
    ConfigUpdate update = ConfigUpdate.newBuilder()
        .setChannelId(RaftCluster.CHANNEL)
        .setReadSet(ConfigGroup.newBuilder().setVersion(channel.getVersion())
            .putGroups("Orderer", ConfigGroup.newBuilder().setVersion(orderer.getVersion()).build()))
        .setWriteSet(ConfigGroup.newBuilder().setVersion(channel.getVersion())
            .putGroups("Orderer", ConfigGroup.newBuilder().setVersion(orderer.getVersion())
                .putValues("BatchTimeout", next).build()))
        .build();
    return ConfigUpdateEnvelopes.signedUpdate(update, Instant.now(), cluster.admin);
  }
}
