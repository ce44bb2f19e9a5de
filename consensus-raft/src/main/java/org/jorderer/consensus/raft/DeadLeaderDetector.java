package org.jorderer.consensus.raft;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.ratis.proto.RaftProtos.RaftGroupIdProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionReplyProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionRequestProto;
import org.apache.ratis.proto.RaftProtos.TermIndexProto;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts an election on this follower as soon as the leader's process is gone, instead of after
 * the election timeout (docs/raft.md, "Losing the leader").
 *
 * <p>Ratis, like etcd/raft, only notices a dead leader by its silence: a follower campaigns once
 * it heard nothing for a random time in [election timeout, twice that), 5–10 s with Fabric's
 * default ticks. The timeout is long on purpose: a leader paused by a long GC or a slow disk must
 * not be deposed. But a killed process is not silent at the TCP level: the kernel resets its
 * connections at once and refuses new ones on its port, which a paused process never does (its
 * listening socket stays and the kernel still completes connections to it).
 *
 * <p>So this holds one idle TCP connection to the leader's cluster port (it sends nothing; the
 * thread waits in a read). When it breaks, or a connect is refused, the leader is taken for dead
 * only if a fresh connect is refused {@value #CONFIRMATIONS} times {@link #CONFIRM_INTERVAL} apart and
 * the leader sent this node nothing (no append, no heartbeat) since the break. Then this node
 * starts an election at once, through Ratis's StartLeaderElection request, the one a leader sends a
 * follower to hand leadership over ({@code RaftServer.startLeaderElection}, public API of Ratis
 * 3.3.0), as if the dead leader had sent it. Ratis checks it as such: this node must still follow
 * that leader in that term and its log must hold that term's entries; the election then skips the
 * pre-vote, and the other followers vote as in any election (the candidate's term is higher, so
 * Ratis's check "still has a valid leader" does not apply; its log must be at least as up to date).
 *
 * <p>Anything else falls back to Ratis's timeout: a leader host that is unreachable (connects time
 * out, no reset), a partition, a paused or slow leader, or a vote this node loses because another
 * survivor's log is longer.
 */
final class DeadLeaderDetector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeadLeaderDetector.class);
  /** The system property that turns the detection off when {@code false}. */
  static final String SWITCH = "jorderer.raft.deadLeaderDetection";
  /** Refused connects that confirm a break, after it. */
  static final int CONFIRMATIONS = 2;
  /** Between two confirming connects: long enough for a restarting listener to be missed only briefly. */
  static final Duration CONFIRM_INTERVAL = Duration.ofMillis(150);
  /** How often, at most, the leader is looked up again and a connection made again. */
  static final Duration POLL = Duration.ofMillis(500);
  /**
   * How long the detector waits, holding its connection or while this node follows no leader,
   * before it looks the leader up again unprompted. The chain tells it of each leader change
   * ({@link #leaderChanged}), so this only bounds a change it missed (the same leader elected
   * again in a new term). A look is a wake-up on every follower of every channel: an idle
   * channel's cost (docs/performance.md, "Idle Raft nodes, per channel").
   */
  static final Duration RECHECK = Duration.ofSeconds(5);
  /**
   * How long a survivor waits per survivor before it in {@link Follower#turn}: enough for the
   * first one's vote request to reach it, after which it no longer follows the dead leader.
   */
  static final Duration TURN = Duration.ofMillis(400);
  /** A connect that takes longer says nothing (a lost host, not a dead process). */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);

  /** What the detector needs from this node's member of the group. */
  interface Follower {
    /** The leader this node follows, or null when it leads, campaigns or knows no leader. */
    Leader leader();

    /** Starts an election on this node in place of {@code dead}; false when Ratis refused it. */
    boolean elect(Leader dead) throws IOException;

    /**
     * This node's place among the voting members other than {@code dead}, by peer id: 0 campaigns
     * at once, the next ones wait {@link #TURN} each, so survivors that saw the death together do
     * not split the vote.
     */
    int turn(Leader dead);
  }

  /**
   * A leader as one follower sees it.
   *
   * @param id the leader's Raft peer id
   * @param term the term it leads
   * @param address its cluster endpoint, {@code host:port}
   * @param silentMillis how long it has sent this follower nothing
   */
  record Leader(String id, long term, String address, long silentMillis) {
    boolean same(Leader other) {
      return other != null && id.equals(other.id) && term == other.term;
    }
  }

  private final String channelId;
  private final Follower follower;
  private final Duration recheck;
  private final Thread thread;
  private volatile boolean closed;
  private volatile Socket held;
  /** Set by {@link #leaderChanged}, cleared before each look at the leader. */
  private volatile boolean changed;
  private final Object changeSignal = new Object();
  /** Connects made to leaders' ports, for tests to wait on. */
  private final AtomicLong probes = new AtomicLong();
  /** Elections started, for tests to wait on. */
  private final AtomicLong elections = new AtomicLong();

  DeadLeaderDetector(String channelId, Follower follower) {
    this(channelId, follower, RECHECK);
  }

  /** @param recheck see {@link #RECHECK} (tests without a chain to tell of changes use less) */
  DeadLeaderDetector(String channelId, Follower follower, Duration recheck) {
    this.channelId = channelId;
    this.follower = follower;
    this.recheck = recheck;
    this.thread = new Thread(this::run, "raft-dead-leader-" + channelId);
    thread.setDaemon(true);
  }

  /**
   * The shortest election timeout for which this runs. Below it, Ratis's own timer is about as
   * fast as the confirmation and the turns, and a forced election only adds risk: on 3 processes
   * with 50 ms × 10 ticks under load, the survivor whose turn came first often had the shorter
   * log, lost its election, and the new leader came 2.9–3.4 s after the kill instead of ~1 s
   * (RaftProcessClusterTest, 2 runs).
   */
  static final Duration WORTHWHILE = Duration.ofSeconds(2);

  private boolean worthwhile = true;

  /** A detector for this node's member of a group, from Ratis's view of it. */
  static DeadLeaderDetector of(String channelId, Duration electionTimeoutMin, Supplier<RaftServer.Division> division) {
    DeadLeaderDetector detector = new DeadLeaderDetector(channelId, new RatisFollower(division));
    detector.worthwhile = electionTimeoutMin == null || electionTimeoutMin.compareTo(WORTHWHILE) >= 0;
    return detector;
  }

  /**
   * Starts watching, unless the JVM runs with {@value #SWITCH}{@code =false} (for A/B measurements,
   * or should the detection misjudge a deployment: Ratis's election timeout alone then applies).
   */
  DeadLeaderDetector start() {
    if (!worthwhile) {
      log.debug("Dead leader detection not needed for channel {}: its election timeout is under {} ms", channelId,
          WORTHWHILE.toMillis());
      return this;
    }
    if ("false".equalsIgnoreCase(System.getProperty(SWITCH))) {
      log.info("Dead leader detection is off for channel {} ({}=false): a dead leader is replaced after the "
          + "election timeout", channelId, SWITCH);
      return this;
    }
    thread.start();
    return this;
  }

  long probes() {
    return probes.get();
  }

  long elections() {
    return elections.get();
  }

  /**
   * This node's view of the leader changed (a new leader, or none): look again now. Closes the
   * held connection, which the watch then does not take for a break.
   */
  void leaderChanged() {
    changed = true;
    synchronized (changeSignal) {
      changeSignal.notifyAll();
    }
    Socket socket = held;
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing only to wake the reader
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    Socket socket = held;
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing only to wake the reader
      }
    }
    try {
      thread.join(POLL.toMillis() * 4);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    Leader electedFor = null;
    while (!closed) {
      try {
        changed = false;
        Leader leader = follower.leader();
        if (leader == null || leader.same(electedFor)) {
          awaitChange();
          continue;
        }
        long brokeNanos = watch(leader);
        if (brokeNanos == 0 || closed) {
          continue;
        }
        Leader dead = confirmDead(leader, brokeNanos);
        if (dead == null) {
          sleep(POLL);
          continue;
        }
        electedFor = dead;
        int turn = follower.turn(dead);
        if (turn > 0) {
          sleep(TURN.multipliedBy(turn));
          Leader now = follower.leader();
          if (!dead.same(now)) {
            continue; // another survivor campaigned first: this node voted, or has a new leader
          }
          dead = now;
        }
        log.info("Raft leader {} of channel {} at {}: its connection broke and its port refuses connections, and "
            + "it sent nothing for {} ms; this node starts an election now instead of after the election timeout",
            dead.id(), channelId, dead.address(), dead.silentMillis());
        if (follower.elect(dead)) {
          elections.incrementAndGet();
        } else {
          log.info("Raft node refused to start an election for channel {}; Ratis's election timeout applies",
              channelId);
        }
      } catch (InterruptedException e) {
        if (closed) {
          return;
        }
      } catch (IOException | RuntimeException e) {
        if (closed) {
          return;
        }
        log.warn("Watching the Raft leader of channel {}: {}", channelId, e.toString());
        try {
          sleep(POLL);
        } catch (InterruptedException stop) {
          return;
        }
      }
    }
  }

  /**
   * Holds a connection to {@code leader}'s port until it breaks (returns when, as nanoTime), the
   * leader changes or this closes (returns 0). A connect refused counts as a break; one that fails
   * otherwise (timeout, no route: a lost host, not a dead process) does not.
   */
  private long watch(Leader leader) throws InterruptedException {
    InetSocketAddress address = address(leader.address());
    if (address == null) {
      sleep(POLL);
      return 0;
    }
    boolean connected = false;
    long connectedNanos = 0;
    try (Socket socket = new Socket()) {
      held = socket;
      if (changed) { // a change told before the socket was held: leaderChanged closed nothing
        return 0;
      }
      probes.incrementAndGet();
      socket.connect(address, (int) CONNECT_TIMEOUT.toMillis());
      connected = true;
      connectedNanos = System.nanoTime();
      socket.setSoTimeout((int) recheck.toMillis());
      InputStream in = socket.getInputStream();
      byte[] ignored = new byte[256];
      while (!closed) {
        try {
          if (in.read(ignored) < 0) {
            break; // the peer closed: a dying process, or a server dropping an idle connection
          }
        } catch (SocketTimeoutException quiet) {
          if (!leader.same(follower.leader())) {
            return 0;
          }
        }
      }
    } catch (ConnectException refused) {
      return changed ? 0 : System.nanoTime();
    } catch (IOException e) {
      if (changed) {
        return 0; // leaderChanged closed the socket: look again, no break
      }
      if (!connected) {
        sleep(POLL);
        return 0;
      }
      // Reset while reading: the peer's kernel dropped the connection.
    } finally {
      held = null;
    }
    if (closed) {
      return 0;
    }
    // A server that drops idle connections soon after accepting them must not make this spin.
    long heldNanos = System.nanoTime() - connectedNanos;
    if (heldNanos < POLL.toNanos()) {
      sleep(Duration.ofNanos(POLL.toNanos() - heldNanos));
    }
    return System.nanoTime();
  }

  /**
   * The leader as seen now when it is confirmed dead: still this node's leader in the same term,
   * silent since the break, and its port refusing connections each time; else null.
   */
  private Leader confirmDead(Leader leader, long brokeNanos) throws InterruptedException, IOException {
    InetSocketAddress address = address(leader.address());
    Leader now = leader;
    for (int i = 0; i < CONFIRMATIONS; i++) {
      sleep(CONFIRM_INTERVAL);
      now = follower.leader();
      if (!leader.same(now)) {
        return null;
      }
      long sinceBreakMillis = Duration.ofNanos(System.nanoTime() - brokeNanos).toMillis();
      // Milliseconds on both sides: a little slack for rounding.
      if (now.silentMillis() + 5 < sinceBreakMillis) {
        return null; // it sent something after the break: alive
      }
      if (!refused(address)) {
        return null;
      }
    }
    return now;
  }

  /** Whether a connect to {@code address} is refused (a closed port on a live host). */
  private boolean refused(InetSocketAddress address) {
    probes.incrementAndGet();
    try (Socket socket = new Socket()) {
      socket.connect(address, (int) CONNECT_TIMEOUT.toMillis());
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code host:port}, the host possibly in brackets, as where gRPC would dial it; null if unusable. */
  static InetSocketAddress address(String hostPort) {
    if (hostPort == null) {
      return null;
    }
    String resolved = PeerAddresses.resolve(hostPort);
    int colon = resolved.lastIndexOf(':');
    if (colon <= 0) {
      return null;
    }
    String host = resolved.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      return new InetSocketAddress(host, Integer.parseInt(resolved.substring(colon + 1)));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Waits up to {@link #recheck}, or until {@link #leaderChanged} tells of a change. */
  private void awaitChange() throws InterruptedException {
    synchronized (changeSignal) {
      if (!changed && !closed) {
        changeSignal.wait(Math.max(1, recheck.toMillis()));
      }
    }
  }

  private static void sleep(Duration duration) throws InterruptedException {
    Thread.sleep(Math.max(1, duration.toMillis()));
  }

  /** The follower as Ratis's division of the group shows it, and its election through Ratis's server. */
  private static final class RatisFollower implements Follower {
    private final Supplier<RaftServer.Division> division;

    RatisFollower(Supplier<RaftServer.Division> division) {
      this.division = division;
    }

    @Override
    public Leader leader() {
      RaftServer.Division d = division.get();
      if (d == null) {
        return null;
      }
      DivisionInfo info = d.getInfo();
      RaftPeerId leaderId = info.getLeaderId();
      if (!info.isFollower() || leaderId == null || leaderId.equals(d.getId())) {
        return null;
      }
      RaftPeer peer = d.getRaftConf().getPeer(leaderId);
      if (peer == null || peer.getAddress() == null) {
        return null;
      }
      RoleInfoProto role = info.getRoleInfoProto();
      if (!role.hasFollowerInfo()) {
        return null;
      }
      return new Leader(leaderId.toString(), info.getCurrentTerm(), peer.getAddress(),
          role.getFollowerInfo().getLeaderInfo().getLastRpcElapsedTimeMs());
    }

    @Override
    public boolean elect(Leader dead) throws IOException {
      RaftServer.Division d = division.get();
      if (d == null) {
        return false;
      }
      // Ratis accepts the request from the leader it follows in the current term, with a last
      // entry no newer than its own: this node's own last entry, which holds that term's entries
      // once the leader's first entry of the term reached it (RaftServerImpl.startLeaderElection).
      TermIndex last = d.getRaftLog().getLastEntryTermIndex();
      if (last == null || last.getTerm() != dead.term()) {
        return false;
      }
      StartLeaderElectionRequestProto request = StartLeaderElectionRequestProto.newBuilder()
          .setServerRequest(RaftRpcRequestProto.newBuilder()
              .setRequestorId(RaftPeerId.valueOf(dead.id()).toByteString())
              .setReplyId(d.getId().toByteString())
              .setRaftGroupId(RaftGroupIdProto.newBuilder().setId(d.getMemberId().getGroupId().toByteString())))
          .setLeaderLastEntry(TermIndexProto.newBuilder().setTerm(last.getTerm()).setIndex(last.getIndex()))
          .build();
      StartLeaderElectionReplyProto reply = d.getRaftServer().startLeaderElection(request);
      return reply.getServerReply().getSuccess();
    }

    @Override
    public int turn(Leader dead) {
      RaftServer.Division d = division.get();
      if (d == null) {
        return 0;
      }
      String self = d.getId().toString();
      int before = 0;
      for (RaftPeer peer : d.getRaftConf().getCurrentPeers()) {
        String id = peer.getId().toString();
        if (!id.equals(dead.id()) && id.compareTo(self) < 0) {
          before++;
        }
      }
      return before;
    }
  }

  @Override
  public String toString() {
    return "DeadLeaderDetector[" + channelId + "]";
  }
}
