package org.jorderer.consensus.raft;

import java.time.Duration;
import java.util.Objects;
import org.hyperledger.fabric.protos.orderer.etcdraft.Options;
import org.jorderer.channel.config.GoDuration;

/**
 * The Raft timers a Ratis server runs with, from a channel's etcdraft {@code Options} as Fabric
 * reads them (orderer/consensus/etcdraft/consenter.go, {@code HandleChain}): the election timeout
 * is {@code TickInterval × ElectionTick}, randomized like etcd/raft's over [that, twice that),
 * and {@code Consensus.TickIntervalOverride} replaces the channel's TickInterval on this node.
 *
 * <p>Ratis has no heartbeat setting: its leader sends a heartbeat to a follower it has not
 * contacted for half the minimum election timeout ({@code LogAppender.getHeartbeatWaitTimeMs} in
 * Ratis 3.3.0 divides {@code minRpcTimeoutMs} by 2, a rule no key changes). {@code TickInterval ×
 * HeartbeatTick} is therefore checked (Fabric's rule: ElectionTick must exceed HeartbeatTick) and
 * reported in {@link #heartbeat}, but Ratis's own interval applies.
 *
 * <p>{@code MaxInflightBlocks} is etcd/raft's {@code MaxInflightMsgs} in Fabric (consenter.go,
 * {@code HandleChain}): the append messages the leader may have unanswered to one follower. Ratis's
 * equivalent is the gRPC log appender's outstanding appends per follower
 * ({@code raft.grpc.server.leader.outstanding.appends.max}); it is read here but not applied yet
 * ({@link RatisNode}'s properties say why).
 *
 * @param electionTimeoutMin a follower that hears no leader for this long, at least, starts an election
 * @param electionTimeoutMax ... and at most this long
 * @param heartbeat what the channel asked for as heartbeat interval ({@code TickInterval × HeartbeatTick})
 * @param maxInflightAppends the channel's {@code MaxInflightBlocks}: append requests the leader has
 *     under way to one follower, at most
 * @param source where the values come from, for logs
 */
record RaftTiming(Duration electionTimeoutMin, Duration electionTimeoutMax, Duration heartbeat,
    int maxInflightAppends, String source) {
  RaftTiming {
    Objects.requireNonNull(electionTimeoutMin, "electionTimeoutMin");
    Objects.requireNonNull(electionTimeoutMax, "electionTimeoutMax");
    Objects.requireNonNull(heartbeat, "heartbeat");
    if (maxInflightAppends < 1) {
      throw new IllegalArgumentException("maxInflightAppends must be positive, got " + maxInflightAppends);
    }
  }

  /**
   * The timers for a channel on a node with {@code settings}: the node's fixed election timeout if
   * it has one ({@link ClusterSettings#electionTimeoutMin}), else the channel's options, with the
   * node's tick interval override if any.
   *
   * @throws IllegalArgumentException with Fabric's texts when the options are unusable
   */
  static RaftTiming of(String channelId, Options options, ClusterSettings settings) {
    if (options.getElectionTick() == 0 || options.getHeartbeatTick() == 0 || options.getMaxInflightBlocks() == 0) {
      throw new IllegalArgumentException("channel " + channelId + ": none of HeartbeatTick (" + options.getHeartbeatTick()
          + "), ElectionTick (" + options.getElectionTick() + ") and MaxInflightBlocks ("
          + options.getMaxInflightBlocks() + ") can be zero");
    }
    if (options.getElectionTick() <= options.getHeartbeatTick()) {
      throw new IllegalArgumentException("channel " + channelId + ": ElectionTick (" + options.getElectionTick()
          + ") must be greater than HeartbeatTick (" + options.getHeartbeatTick() + ")");
    }
    Duration tick;
    String source;
    if (settings.tickIntervalOverride() != null) {
      tick = settings.tickIntervalOverride();
      source = "Consensus.TickIntervalOverride " + GoDuration.format(tick) + " x channel " + channelId + "'s ticks";
    } else {
      try {
        tick = GoDuration.parse(options.getTickInterval());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("channel " + channelId + ": failed to parse TickInterval ("
            + options.getTickInterval() + ") to time duration", e);
      }
      if (tick.isZero() || tick.isNegative()) {
        throw new IllegalArgumentException("channel " + channelId + ": TickInterval (" + options.getTickInterval()
            + ") must be positive");
      }
      source = "channel " + channelId + "'s Options (TickInterval " + options.getTickInterval() + ")";
    }
    Duration heartbeat = tick.multipliedBy(options.getHeartbeatTick());
    // uint32 in the proto: anything above int's range is as good as unbounded.
    int inflight = (int) Math.min(Integer.MAX_VALUE, Integer.toUnsignedLong(options.getMaxInflightBlocks()));
    if (settings.electionTimeoutMin() != null) {
      return new RaftTiming(settings.electionTimeoutMin(), settings.electionTimeoutMax(), heartbeat, inflight,
          "this node's fixed election timeout");
    }
    Duration election = tick.multipliedBy(options.getElectionTick());
    return new RaftTiming(election, election.multipliedBy(2), heartbeat, inflight, source);
  }

  /**
   * How often Ratis's leader sends a heartbeat to an idle follower: half the minimum election
   * timeout (Ratis 3.3.0's {@code LogAppender.getHeartbeatWaitTimeMs}); 2.5 s with Fabric's Options.
   */
  Duration ratisHeartbeat() {
    return electionTimeoutMin.dividedBy(2);
  }

  @Override
  public String toString() {
    return "election timeout " + electionTimeoutMin.toMillis() + "-" + electionTimeoutMax.toMillis() + " ms from "
        + source + ", " + maxInflightAppends + " appends in flight per follower (MaxInflightBlocks)";
  }
}
