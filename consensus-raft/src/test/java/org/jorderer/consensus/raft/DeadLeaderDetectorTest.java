package org.jorderer.consensus.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower starts an election as soon as its leader's process is gone (its port closed, as a
 * kill does), well before the election timeout; a leader that is silent but whose port still
 * accepts connections (a paused or slow process) is left to Ratis's timeout (docs/raft.md,
 * "Losing the leader").
 */
class DeadLeaderDetectorTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  /**
   * Fabric's default ticks (500 ms × 10): a 5–10 s election timeout. The leader's Ratis server
   * closes right after an entry reached the followers, so without the detector no survivor could
   * campaign before 5 s had passed.
   */
  @Test
  void aStoppedLeaderIsReplacedBeforeTheElectionTimeoutWithFabricsDefaultTicks() throws Exception {
    try (RaftCluster cluster = new RaftCluster(dir, 3, Duration.ofMillis(100), 10)) {
      cluster.electionTimeoutMin = Duration.ofSeconds(5);
      cluster.startAll();
      RaftCluster.Node leader = awaitLeaderKnownToAll(cluster);
      RaftCluster.Node survivor = cluster.nodes[(leader.index + 1) % 3];
      survivor.chain.order(cluster.envelope("before"), 0).get(WAIT.toSeconds(), TimeUnit.SECONDS);

      long stoppedAt = System.nanoTime();
      leader.stop();
      await().atMost(WAIT).pollInterval(Duration.ofMillis(20))
          .until(() -> cluster.leader() != null && cluster.leader() != leader);
      Duration elected = Duration.ofNanos(System.nanoTime() - stoppedAt);
      System.out.printf("DeadLeaderDetectorTest: new leader %d ms after the leader's server closed%n",
          elected.toMillis());
      assertThat(elected).isLessThan(cluster.electionTimeoutMin);

      cluster.leader().chain.order(cluster.envelope("after"), 0).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  @Test
  void aClosedPortOfASilentLeaderStartsOneElection() throws Exception {
    int port;
    try (ServerSocket gone = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = gone.getLocalPort();
    }
    FakeFollower follower = new FakeFollower("127.0.0.1:" + port);
    try (DeadLeaderDetector detector = new DeadLeaderDetector("ch", follower, DeadLeaderDetector.POLL).start()) {
      await().atMost(WAIT).until(() -> follower.elected.size() == 1);
      assertThat(follower.elected.get(0).id()).isEqualTo("leader");
      assertThat(follower.elected.get(0).term()).isEqualTo(3);
      // Later looks at the same leader in the same term start no other election.
      int seen = follower.looks.get();
      await().atMost(WAIT).until(() -> follower.looks.get() >= seen + 4);
      assertThat(follower.elected).hasSize(1);
      assertThat(detector.elections()).isEqualTo(1);
    }
  }

  /**
   * The second survivor waits its turn; the first one's vote request moved it to a new term
   * meanwhile, so it does not campaign too (two candidates would split the vote).
   */
  @Test
  void aLaterSurvivorDoesNotCampaignOnceAnEarlierOneDid() throws Exception {
    int port;
    try (ServerSocket gone = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = gone.getLocalPort();
    }
    FakeFollower follower = new FakeFollower("127.0.0.1:" + port);
    follower.turn = 1;
    AtomicInteger turnsAsked = new AtomicInteger();
    follower.onTurn = () -> {
      turnsAsked.incrementAndGet();
      follower.term = 4; // the first survivor's vote request arrives during this node's wait
      follower.leaderKnown = false;
    };
    try (DeadLeaderDetector detector = new DeadLeaderDetector("ch", follower, DeadLeaderDetector.POLL).start()) {
      await().atMost(WAIT).until(() -> turnsAsked.get() == 1 && follower.looks.get() >= 4);
      assertThat(follower.elected).isEmpty();
    }
  }

  /** A paused leader process: its port still completes connections, though it sends nothing. */
  @Test
  void aSilentLeaderWhosePortAcceptsIsNotTakenForDead() throws Exception {
    try (ServerSocket paused = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      FakeFollower follower = new FakeFollower("127.0.0.1:" + paused.getLocalPort());
      try (DeadLeaderDetector detector = new DeadLeaderDetector("ch", follower, DeadLeaderDetector.POLL).start()) {
        // Each look is one more read timeout on the held connection: seconds of a silent leader.
        await().atMost(WAIT).until(() -> follower.looks.get() >= 8);
        assertThat(detector.probes()).isGreaterThanOrEqualTo(1);
        assertThat(follower.elected).isEmpty();
      }
    }
  }

  /** A live server that drops idle connections: each break is checked and found alive. */
  @Test
  void aLeaderThatClosesIdleConnectionsIsNotTakenForDead() throws Exception {
    try (ServerSocket live = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      AtomicInteger accepted = new AtomicInteger();
      Thread acceptor = new Thread(() -> {
        while (!live.isClosed()) {
          try (Socket s = live.accept()) {
            accepted.incrementAndGet();
          } catch (IOException e) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      FakeFollower follower = new FakeFollower("127.0.0.1:" + live.getLocalPort());
      try (DeadLeaderDetector detector = new DeadLeaderDetector("ch", follower, DeadLeaderDetector.POLL).start()) {
        await().atMost(WAIT).until(() -> accepted.get() >= 6);
        assertThat(follower.elected).isEmpty();
      }
    }
  }

  /** The port refuses, but the leader keeps sending: it is alive (say, its listener restarts). */
  @Test
  void aRefusingLeaderThatStillSendsIsNotTakenForDead() throws Exception {
    int port;
    try (ServerSocket gone = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = gone.getLocalPort();
    }
    FakeFollower follower = new FakeFollower("127.0.0.1:" + port);
    follower.silentMillis = () -> 0L;
    try (DeadLeaderDetector detector = new DeadLeaderDetector("ch", follower, DeadLeaderDetector.POLL).start()) {
      await().atMost(WAIT).until(() -> detector.probes() >= 8);
      assertThat(follower.elected).isEmpty();
    }
  }

  /**
   * Told of a new leader, the detector drops its connection to the old one and connects to the
   * new one at once, not after its next unprompted look (seconds in production), and does not take
   * the connection it closed itself for a dead leader.
   */
  @Test
  void aLeaderChangeMovesTheHeldConnectionAtOnce() throws Exception {
    try (ServerSocket first = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        ServerSocket second = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      AtomicInteger acceptedBySecond = new AtomicInteger();
      Thread acceptor = new Thread(() -> {
        try (Socket s = second.accept()) {
          acceptedBySecond.incrementAndGet();
          Thread.sleep(WAIT.toMillis());
        } catch (IOException | InterruptedException e) {
          // the test ended
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      FakeFollower follower = new FakeFollower("127.0.0.1:" + first.getLocalPort());
      follower.silentMillis = () -> 0L;
      try (DeadLeaderDetector detector = new DeadLeaderDetector("ch", follower, Duration.ofMinutes(10)).start()) {
        await().atMost(WAIT).until(() -> detector.probes() == 1);
        follower.address = "127.0.0.1:" + second.getLocalPort();
        follower.term = 4;
        long toldAt = System.nanoTime();
        detector.leaderChanged();
        await().atMost(WAIT).until(() -> acceptedBySecond.get() == 1);
        assertThat(Duration.ofNanos(System.nanoTime() - toldAt)).isLessThan(Duration.ofSeconds(5));
        assertThat(detector.probes()).isEqualTo(2);
        assertThat(follower.elected).isEmpty();
      }
    }
  }

  /** A follower with a fixed leader, silent since the test began unless told otherwise. */
  private static final class FakeFollower implements DeadLeaderDetector.Follower {
    volatile String address;
    private final long since = System.nanoTime();
    final AtomicInteger looks = new AtomicInteger();
    final List<DeadLeaderDetector.Leader> elected = new CopyOnWriteArrayList<>();
    volatile java.util.function.LongSupplier silentMillis =
        () -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);

    FakeFollower(String address) {
      this.address = address;
    }

    volatile int turn;
    volatile Runnable onTurn = () -> { };
    volatile long term = 3;
    volatile boolean leaderKnown = true;

    @Override
    public DeadLeaderDetector.Leader leader() {
      looks.incrementAndGet();
      return leaderKnown ? new DeadLeaderDetector.Leader("leader", term, address, silentMillis.getAsLong()) : null;
    }

    @Override
    public int turn(DeadLeaderDetector.Leader dead) {
      onTurn.run();
      return turn;
    }

    @Override
    public boolean elect(DeadLeaderDetector.Leader dead) {
      elected.add(dead);
      return true;
    }
  }

  private static RaftCluster.Node awaitLeaderKnownToAll(RaftCluster cluster) {
    AtomicReference<RaftCluster.Node> agreed = new AtomicReference<>();
    await().atMost(WAIT).until(() -> {
      RaftCluster.Node leader = cluster.leader();
      if (leader == null || leader.chain.knownLeader() == null) {
        return false;
      }
      for (RaftCluster.Node node : cluster.nodes) {
        if (!leader.chain.knownLeader().equals(node.chain.knownLeader())) {
          return false;
        }
      }
      agreed.set(leader);
      return true;
    });
    return agreed.get();
  }
}
