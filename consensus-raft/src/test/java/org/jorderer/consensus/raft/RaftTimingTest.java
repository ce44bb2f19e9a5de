package org.jorderer.consensus.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.hyperledger.fabric.protos.orderer.etcdraft.Options;
import org.junit.jupiter.api.Test;

/** The Raft timers from a channel's etcdraft Options, as Fabric reads them. */
class RaftTimingTest {
  private static final ClusterSettings NODE = ClusterSettings.defaults("127.0.0.1", 7051, new byte[0], Path.of("wal"));

  @Test
  void fabricsDefaultOptionsGiveFiveToTenSecondElections() {
    RaftTiming timing = RaftTiming.of("ch", EtcdRaftProfile.defaultOptions(), NODE);

    assertThat(timing.electionTimeoutMin()).isEqualTo(Duration.ofSeconds(5));
    assertThat(timing.electionTimeoutMax()).isEqualTo(Duration.ofSeconds(10));
    assertThat(timing.heartbeat()).isEqualTo(Duration.ofMillis(500));
    assertThat(timing.maxInflightAppends()).isEqualTo(5);
    // What Ratis beats at, and how often an idle follower asks the leader for its active nodes.
    assertThat(timing.ratisHeartbeat()).isEqualTo(Duration.ofMillis(2500));
  }

  @Test
  void maxInflightBlocksIsReadButRatissOutstandingAppendsKeepTheirDefault() {
    Options options = EtcdRaftProfile.defaultOptions().toBuilder().setMaxInflightBlocks(3).build();
    RaftTiming timing = RaftTiming.of("ch", options, NODE);
    assertThat(timing.maxInflightAppends()).isEqualTo(3);

    var properties = RatisNode.properties(NODE, timing);
    // Not applied (docs/raft.md, "Timers"): Ratis's default stays.
    assertThat(org.apache.ratis.grpc.GrpcConfigKeys.Server.leaderOutstandingAppendsMax(properties)).isEqualTo(8);
    // Ratis's heartbeat follows the minimum election timeout (half of it); HeartbeatTick has no key.
    assertThat(org.apache.ratis.server.RaftServerConfigKeys.Rpc.timeoutMin(properties).toLong(
        java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(5_000);
    // With a fixed election timeout on the node, the channel's MaxInflightBlocks still applies.
    RaftTiming fixed = RaftTiming.of("ch", options, NODE.withElectionTimeout(Duration.ofMillis(300), Duration.ofMillis(600)));
    assertThat(fixed.maxInflightAppends()).isEqualTo(3);
  }

  @Test
  void theLeaderTriesAFollowerItCannotReachAgainAtTheChannelsHeartbeatInterval() {
    RaftTiming timing = RaftTiming.of("ch", EtcdRaftProfile.defaultOptions(), NODE);
    var properties = RatisNode.properties(NODE, timing);
    var policy = org.apache.ratis.retry.RetryPolicy.parse(
        org.apache.ratis.server.RaftServerConfigKeys.Log.Appender.retryPolicy(properties), "retry");
    // Ratis's appender sleeps this long after a failed append (GrpcLogAppender.sleepForErrors);
    // its default grows to 5 s, Fabric's etcdraft sends every HeartbeatTick (500 ms here).
    java.util.function.IntFunction<Long> sleepAfter = failures -> policy.handleAttemptFailure(() -> failures)
        .getSleepTime().toLong(java.util.concurrent.TimeUnit.MILLISECONDS);
    assertThat(sleepAfter.apply(1)).isLessThanOrEqualTo(1);
    for (int failures : new int[] {11, 40, 100_000}) {
      assertThat(policy.handleAttemptFailure(() -> failures).shouldRetry()).isTrue();
      // MultipleLinearRandomRetry draws each sleep between half and one and a half times its figure.
      assertThat(sleepAfter.apply(failures)).isBetween(250L, 750L);
    }
  }

  @Test
  void theNodesTickIntervalOverrideReplacesTheChannels() {
    Options options = EtcdRaftProfile.defaultOptions().toBuilder().setElectionTick(20).setHeartbeatTick(2).build();

    RaftTiming timing = RaftTiming.of("ch", options, NODE.withTickIntervalOverride(Duration.ofMillis(50)));

    assertThat(timing.electionTimeoutMin()).isEqualTo(Duration.ofSeconds(1));
    assertThat(timing.electionTimeoutMax()).isEqualTo(Duration.ofSeconds(2));
    assertThat(timing.heartbeat()).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void aFixedElectionTimeoutOnTheNodeWins() {
    RaftTiming timing = RaftTiming.of("ch", EtcdRaftProfile.defaultOptions(),
        NODE.withElectionTimeout(Duration.ofMillis(300), Duration.ofMillis(600)));

    assertThat(timing.electionTimeoutMin()).isEqualTo(Duration.ofMillis(300));
    assertThat(timing.electionTimeoutMax()).isEqualTo(Duration.ofMillis(600));
  }

  @Test
  void unusableOptionsAreRefusedWithFabricsReasons() {
    Options defaults = EtcdRaftProfile.defaultOptions();
    assertThatThrownBy(() -> RaftTiming.of("ch", defaults.toBuilder().setTickInterval("often").build(), NODE))
        .hasMessage("channel ch: failed to parse TickInterval (often) to time duration");
    assertThatThrownBy(() -> RaftTiming.of("ch", defaults.toBuilder().setElectionTick(1).build(), NODE))
        .hasMessage("channel ch: ElectionTick (1) must be greater than HeartbeatTick (1)");
    assertThatThrownBy(() -> RaftTiming.of("ch", defaults.toBuilder().setHeartbeatTick(0).build(), NODE))
        .hasMessage("channel ch: none of HeartbeatTick (0), ElectionTick (10) and MaxInflightBlocks (5) can be zero");
  }
}
