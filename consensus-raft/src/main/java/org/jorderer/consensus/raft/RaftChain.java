package org.jorderer.consensus.raft;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.TimeDuration;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.consensus.Chain;
import org.jorderer.consensus.ChainHaltedException;
import org.jorderer.consensus.ConsenterSupport;
import org.jorderer.consensus.ErrorSignal;
import org.jorderer.consensus.OrderingQueue;
import org.jorderer.consensus.Submission;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One etcdraft channel on this node, a member of the channel's Ratis group.
 *
 * <p>Proposing: Broadcast's envelopes enter an {@link OrderingQueue} bounded in envelopes and
 * bytes (beyond either, Broadcast waits for room, as with solo); one proposer thread
 * takes whatever has gathered and proposes it as one Raft entry (config envelopes as entries of
 * their own), with up to {@code maxInflightEntries} proposals under way, so under load many
 * envelopes share an entry. Proposals go through a Ratis client, which finds the leader by itself:
 * any node, leader or follower, accepts Broadcast. An envelope's future completes only when its
 * entry is committed by a quorum and applied on the leader, so SUCCESS means replicated.
 *
 * <p>Without a leader: Fabric's {@code Submit} answers "no Raft leader" at once while an election
 * runs. Here an envelope taken while this node knows no leader is held until one is known, and
 * answered SERVICE_UNAVAILABLE "no Raft leader" only once it has waited {@code leaderWait}
 * ({@link ClusterSettings#leaderWait}). A proposal already under way when the leader
 * goes is retried by the Ratis client toward the next leader (at once when this node learns of
 * it, {@link #resendInFlight}), and given up once this node has been without a leader for
 * {@code leaderWait}. A watcher reads the leader this node knows (at once when Ratis names a new
 * one, else every 10 ms while anything is under way and every 500 ms when idle); Fabric's
 * {@code consensus_etcdraft_*} gauges, the count of active nodes and the membership check follow
 * at most every 200 ms, and whether the channel has lost its quorum as far as this node can tell (for
 * {@code /healthz}) is judged from those. Idle, these wake-ups are most of what a node spends on
 * its own (docs/performance.md, "Idle Raft nodes").
 *
 * <p>Applying: {@link ChannelOrdering} cuts blocks from the committed entries on every node. The
 * leader's batch timer (BatchTimeout after the pending batch's first envelope) proposes a
 * {@link RaftEntry.CutMarker}, so timeouts are decided once and replicated.
 */
public final class RaftChain implements Chain {
  private static final Logger log = LoggerFactory.getLogger(RaftChain.class);

  /** Broadcast's info text once the chain stopped (Fabric's {@code Submit}, etcdraft/chain.go). */
  public static final String HALTED = "chain is stopped";

  /**
   * Broadcast's info text when no leader was known within the wait, Fabric's own words for its
   * immediate answer ({@code Submit} in orderer/consensus/etcdraft/chain.go).
   */
  public static final String NO_LEADER = "no Raft leader";

  /** The watcher's tick while anything is under way ({@link #tick}). */
  private static final Duration BUSY_TICK = Duration.ofMillis(10);
  /**
   * The watcher's tick when idle, at most ({@link #idleTickMillis}): etcdraft's default TickInterval.
   * An idle channel pays a wake-up per tick on every node (docs/performance.md, "Idle Raft nodes,
   * per channel"), so idle ticks are as rare as what they serve allows.
   */
  private static final Duration IDLE_TICK = Duration.ofMillis(500);
  /** How long after the ledger last grew the watcher still ticks as busy ({@link #busy}). */
  private static final Duration HEIGHT_BUSY = Duration.ofSeconds(1);
  /** How often the watcher reads the gauges' values and checks the membership ({@link #watchGroup}). */
  private static final Duration GROUP_WATCH = Duration.ofMillis(200);

  /** How long the Ratis client sleeps between attempts of one proposal. */
  private static final long RETRY_SLEEP_MILLIS = 50;

  private record Proposal(RaftEntry.Ordered ordered, boolean config, long arrivedNanos,
      CompletableFuture<Void> committed) {
    int bytes() {
      return ordered.envelope().getSerializedSize() + 16;
    }
  }

  private final ConsenterSupport support;
  private final String channelId;
  private final RatisNode node;
  private final ConsenterSet consenters;
  private final RaftGroup group;
  private final OrderingQueue<Proposal> queue;
  private final Semaphore inflight;
  /** Proposals sent and not answered yet (the watcher's "busy", and what a leader change resends). */
  private final AtomicInteger underWay = new AtomicInteger();
  /** Whether the proposer holds a permit of {@link #inflight} for its next entry (proposer thread only). */
  private boolean permitHeld;
  /**
   * The answers not given yet, from acceptance to commit: a halt drops the queue's envelopes, and
   * their Broadcast callers must still be answered ({@link #HALTED}).
   */
  private final Set<CompletableFuture<Void>> unanswered = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final ErrorSignal errored = new ErrorSignal();
  private final Object lifecycle = new Object();
  private boolean started; // guarded by lifecycle
  /** Whether the node's Ratis server counts this chain (its join succeeded): only then it leaves. */
  private boolean joined; // guarded by lifecycle
  private boolean stopped; // guarded by lifecycle
  private ChannelOrdering ordering;
  // Replaced by renewClient after a proposal ran out of retries (read by the proposer, the batch
  // timer and the close).
  private volatile RaftClient client;
  private Thread proposer;
  private volatile ScheduledExecutorService timer; // also read by Ratis's leader-change event
  private volatile long cutProposedFor = -1;
  private final EtcdRaftMetrics.Channel metrics;
  /** The channel's Raft timers (its etcdraft Options, or the node's fixed ones). */
  private final RaftTiming timing;
  private final long leaderWaitNanos;
  /** Notified when a leader becomes known or the chain halts; guards nothing else. */
  private final Object leaderSignal = new Object();
  private volatile RaftServer.Division division;
  /** The leader this node knows of, or null (an election, or no quorum reachable). */
  private volatile RaftPeerId leader;
  /** The last leader this node knew of (not cleared by elections): where proposals were sent. */
  private volatile RaftPeerId lastLeader;
  private volatile long leaderlessSinceNanos = System.nanoTime();
  private volatile int activeNodeCount;
  /** The leader's own count of active nodes, as it last answered this follower; 0 before. */
  private volatile int leaderActiveNodes;

  /**
   * What the leader last answered this follower: itself and the followers it heard from recently
   * (Fabric's followers take the same list from the leader's heartbeats, etcdraft/chain.go).
   */
  private record LeaderReport(RaftPeerId leader, List<RaftPeerId> active, long atNanos) {}

  private volatile LeaderReport leaderReport;
  // What the gauges show now, so that the watchers set them only when a value changed (read and
  // written on the timer's thread only).
  private boolean shownLeading;
  private int shownClusterSize = -1;
  private int shownActiveNodes = -1;
  private long shownCommitted = Long.MIN_VALUE;
  private long heightChangedNanos = System.nanoTime();
  private long shownSnapshotBlock = -1;
  private long lastGroupWatchNanos = System.nanoTime();
  /** The group configuration and consenter set the last membership check found in step, or null. */
  private org.apache.ratis.server.RaftConfiguration checkedConf;
  private ConsenterSet checkedSet;
  private ScheduledExecutorService leaderView;
  /** Starts an election when the leader's process is gone, before the election timeout. */
  private volatile DeadLeaderDetector deadLeader; // read by the watcher
  private volatile boolean halting;
  /** Whether a Ratis reconfiguration is under way from this node (the leader's). */
  private final AtomicBoolean reconfiguring = new AtomicBoolean();
  private volatile long lastMembershipCheckNanos;
  private volatile boolean evicted;
  private final BlockSource blocks;
  private volatile boolean removing;
  /** The consenter set to accept alone once the Raft group matches it (a consenter was removed). */
  private volatile ConsenterSet narrowedTrust;
  /** The config sequence whose consenters and TLS CAs this node's trust holds for the channel. */
  private volatile long trustedSequence = -1;
  /** Orders the trust updates of config blocks (applying thread) and of the 200 ms check. */
  private final Object trustLock = new Object();

  /** Fabric's default SnapshotIntervalSize (orderer/consensus/etcdraft/chain.go, DefaultSnapshotIntervalSize). */
  static final long DEFAULT_SNAPSHOT_INTERVAL_BYTES = 16L * 1024 * 1024;

  RaftChain(ConsenterSupport support, RatisNode node, ConsenterSet consenters, BlockSource blocks) {
    this.blocks = Objects.requireNonNull(blocks, "blocks");
    this.support = Objects.requireNonNull(support, "support");
    this.channelId = support.channelId();
    this.node = Objects.requireNonNull(node, "node");
    this.consenters = Objects.requireNonNull(consenters, "consenters");
    this.group = consenters.group();
    ClusterSettings settings = node.settings();
    // Bounded in envelopes and in bytes, as a solo channel's queue: beyond either, Broadcast's
    // future waits for room (a hand-off), so a client streaming large envelopes is pushed back.
    this.queue = new OrderingQueue<>(settings.queueCapacity(), settings.queueBytes(), Proposal::bytes,
        settings.handOffExecutor(), () -> new ChainHaltedException(HALTED));
    this.inflight = new Semaphore(settings.maxInflightEntries());
    this.timing = RaftTiming.of(channelId, consenters.metadata().getOptions(), settings);
    this.leaderWaitNanos = settings.effectiveLeaderWait(timing).toNanos();
    this.metrics = EtcdRaftMetrics.of(support.metrics()).forChannel(channelId);
  }

  @Override
  public Role role() {
    return Role.ORDERS;
  }

  @Override
  public ErrorSignal errored() {
    return errored;
  }

  @Override
  public Submission submit(Envelope envelope, long configSequence) {
    metrics.normalProposalReceived();
    return propose(envelope, configSequence, false);
  }

  @Override
  public Submission submitConfig(Envelope configEnvelope, long configSequence) {
    metrics.configProposalReceived();
    return propose(configEnvelope, configSequence, true);
  }

  /**
   * Taken once the proposal queue holds the envelope; settled once its entry is committed by a
   * quorum and applied here. Broadcast hands over a stream's next envelopes as soon as this one is
   * taken, so envelopes of one stream share Raft entries and replication rounds.
   */
  private Submission propose(Envelope envelope, long configSequence, boolean config) {
    Objects.requireNonNull(envelope, "envelope");
    Proposal proposal = new Proposal(new RaftEntry.Ordered(envelope, configSequence), config, System.nanoTime(),
        new CompletableFuture<>());
    unanswered.add(proposal.committed());
    proposal.committed().whenComplete((ok, failure) -> unanswered.remove(proposal.committed()));
    CompletableFuture<Void> accepted = queue.offer(proposal);
    accepted.whenComplete((ok, refused) -> {
      if (refused != null) {
        proposal.committed().completeExceptionally(refused); // never queued: nothing left to answer
      }
    });
    CompletableFuture<Void> answered = accepted.thenCompose(ok -> proposal.committed());
    answered.whenComplete((ok, failure) -> {
      if (failure != null) {
        metrics.proposalFailed(); // Fabric counts every Submit that fails
      }
    });
    return new Submission(accepted, answered);
  }

  /** Whether this node currently leads the channel's group. */
  public boolean isLeader() {
    RaftServer.Division division = node.division(group.getGroupId());
    return division != null && division.getInfo().isLeader();
  }

  /**
   * Why this node cannot order for the channel: it has known no leader for longer than Broadcast
   * waits for one. Elections shorter than that do not count. A node cut off from the others, and
   * every node of a channel that lost its quorum, reports it.
   */
  @Override
  public Optional<String> noQuorum() {
    if (halting || leader != null || division == null) {
      return Optional.empty();
    }
    long leaderless = System.nanoTime() - leaderlessSinceNanos;
    if (leaderless < leaderWaitNanos) {
      return Optional.empty();
    }
    return Optional.of(NO_LEADER + " for " + TimeUnit.NANOSECONDS.toMillis(leaderless) + " ms: "
        + activeNodeCount + " of " + current().members().size() + " consenters reachable from this node, "
        + (current().members().size() / 2 + 1) + " needed");
  }

  /** The channel's etcdraft {@code ConfigMetadata} this chain runs by. */
  public com.google.protobuf.ByteString consenterMetadata() {
    return current().metadata().toByteString();
  }

  /** The consenters as of the last block written (changed by config blocks). */
  private ConsenterSet current() {
    ChannelOrdering o = ordering;
    return o == null ? consenters : o.consenters();
  }

  /**
   * Fabric's active nodes (etcdraft {@code ActiveNodes}), what its quorum-loss rule for consenter
   * changes counts: the Fabric ids of the leader and of the members that answered it within the
   * election timeout. The leader knows them; a follower has them from the leader, which it asks
   * when it learns of the leader and then every minimum election timeout
   * ({@link #leaderAskInterval}; Fabric's followers take them from the leader's heartbeats), so a config update
   * sent to any node gets the same answer. Empty when this node has no recent answer from the
   * leader it knows (no leader, or the leader does not answer): the rule is then not judged here.
   */
  Optional<Set<Long>> activeNodes() {
    RaftServer.Division division = node.division(group.getGroupId());
    if (division == null) {
      return Optional.empty();
    }
    List<RaftPeerId> peers = new ArrayList<>();
    if (division.getInfo().isLeader()) {
      peers.add(node.id());
      peers.addAll(recentFollowers(division.getInfo().getRoleInfoProto()));
    } else {
      LeaderReport report = leaderReport;
      RaftPeerId known = leader;
      long freshNanos = electionTimeoutMax().plusSeconds(1).toNanos();
      if (report == null || known == null || !report.leader().equals(known)
          || System.nanoTime() - report.atNanos() > freshNanos) {
        return Optional.empty();
      }
      peers.addAll(report.active());
    }
    ConsenterSet set = current();
    Set<Long> active = new HashSet<>();
    for (RaftPeerId peer : peers) {
      set.members().stream().filter(m -> m.peerId().equals(peer)).forEach(m -> active.add(m.id()));
    }
    return Optional.of(active);
  }

  /** Whether a config block removed this node from the channel's consenters (the chain then halted). */
  public boolean evicted() {
    return evicted;
  }

  /** Fabric's numeric Raft id of this node in the channel. */
  public long raftId() {
    return current().self(node.settings().serverCertificatePem()).map(ConsenterSet.Member::id).orElse(0L);
  }

  @Override
  public void start() {
    synchronized (lifecycle) {
      if (started || stopped) {
        throw new IllegalStateException("Raft chain for channel " + channelId + " cannot start twice");
      }
      started = true;
      if (support.height() == 0) {
        throw new IllegalStateException("Raft chain for channel " + channelId
            + " cannot start: the ledger is empty (the genesis block must be stored first)");
      }
      long firstBlock = firstBlock();
      ordering = new ChannelOrdering(support, consenters, firstBlock, this::failed, this::membershipChanged);
      ChannelStateMachine machine = node.stateMachine(group.getGroupId());
      machine.bind(new ChannelStateMachine.Binding(ordering, snapshotIntervalBytes(),
          () -> node.requestSnapshot(group.getGroupId(), machine::snapshotRequestDone), peerSnapshots(), blocks,
          this::leaderNotified));
      node.trust(consenters, support.config());
      trustedSequence = support.config().sequence();
      PeerAddresses.update(node.id(), consenters, List.of()); // before Ratis dials anyone
      boolean created;
      try {
        created = node.join(group, groupRunsElsewhere(), timing);
      } catch (RuntimeException e) {
        // Not joined: nothing runs and the server does not count this chain. The machine bound
        // above is forgotten unless Ratis hosts the group, so a chain started again (the
        // registry retries) binds a fresh one rather than restoring from an ordering that never ran.
        stopped = true;
        ordering.stop();
        node.forgetUnhostedMachine(group.getGroupId());
        errored.fire();
        throw e;
      }
      joined = true;
      leaderlessSinceNanos = System.nanoTime();
      deadLeader = DeadLeaderDetector.of(channelId, node.timing().electionTimeoutMin(),
          () -> node.division(group.getGroupId())).start();
      client = node.client(group, new ProposalRetry());
      metrics.clusterSize(consenters.members().size());
      metrics.isLeader(false);
      proposer = new Thread(this::propose, "raft-propose-" + channelId);
      proposer.setDaemon(true);
      proposer.start();
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "raft-batch-timer-" + channelId);
        t.setDaemon(true);
        return t;
      });
      timer.execute(this::tick); // it schedules itself again
      // Its own thread: asking a leader that just died blocks until the request times out.
      leaderView = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "raft-leader-view-" + channelId);
        t.setDaemon(true);
        return t;
      });
      long ask = leaderAskInterval().toMillis();
      leaderView.scheduleWithFixedDelay(this::askLeaderForActiveNodes, ask, ask, TimeUnit.MILLISECONDS);
      log.info("Raft chain for channel {} started at height {} as consenter {} of {} ({} group {})", channelId,
          support.height(), raftId(), consenters.members().size(), created ? "new" : "existing", group.getGroupId());
    }
  }

  /** The channel's etcdraft SnapshotIntervalSize, Fabric's default when it is 0. */
  long snapshotIntervalBytes() {
    long configured = Integer.toUnsignedLong(consenters.metadata().getOptions().getSnapshotIntervalSize());
    return configured == 0 ? DEFAULT_SNAPSHOT_INTERVAL_BYTES : configured;
  }

  private ChannelStateMachine.PeerSnapshots peerSnapshots() {
    org.apache.ratis.protocol.RaftPeerId self = node.id();
    return new ChannelStateMachine.PeerSnapshots() {
      @Override
      public List<org.apache.ratis.protocol.RaftPeerId> peers() {
        return consenters.members().stream().map(ConsenterSet.Member::peerId).filter(p -> !p.equals(self)).toList();
      }

      @Override
      public ChannelSnapshot latest(org.apache.ratis.protocol.RaftPeerId peer) throws IOException {
        return node.latestSnapshot(group, peer);
      }
    };
  }

  /**
   * The number of the last block covered by this node's latest Raft snapshot, or -1 before the
   * first (Fabric's {@code consensus_etcdraft_snapshot_block_number}).
   */
  public long snapshotBlockNumber() {
    return node.stateMachine(group.getGroupId()).snapshotBlockNumber();
  }

  private Path firstBlockFile() {
    return node.settings().storageDir().resolve("channels").resolve(channelId + ".first-block");
  }

  /**
   * The number of the first block this node's group log cuts: the ledger's height when the group
   * was first made here, kept in a file next to Ratis's storage (its log starts there).
   */
  private long firstBlock() {
    Path file = firstBlockFile();
    try {
      if (Files.exists(file)) {
        return Long.parseLong(Files.readString(file, StandardCharsets.UTF_8).trim());
      }
      Files.createDirectories(file.getParent());
      long first = firstBlockOfExistingLog();
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(temp, Long.toString(first), StandardCharsets.UTF_8);
      Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return first;
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("channel " + channelId + ": cannot read or write " + file + ": " + e, e);
    }
  }

  /**
   * The number of the first block the group's log cuts, for a node whose group is new here. A node
   * that makes the group with the channel (its ledger holds blocks no Raft entry cut) starts the
   * log at its height. A node added to an existing group (a consenter added by a config update,
   * or joined late) receives the group's log from its start and already holds the blocks that log
   * cut (pulled while it followed): its log starts at the first block whose etcdraft metadata
   * carries a Raft index, the same block every other member's log starts at.
   */
  private long firstBlockOfExistingLog() {
    long height = support.height();
    for (long n = 1; n < height; n++) {
      var metadata = ConsenterSet.blockMetadata(support.block(n));
      if (metadata.isPresent() && metadata.get().getRaftIndex() > 0) {
        return n;
      }
    }
    return height;
  }

  /**
   * Whether the channel's Raft group already runs on other nodes: the ledger holds a block that
   * group cut (its etcdraft metadata carries a Raft index), so this node was added to the group by
   * a config update, joined late, or lost its Raft storage. Its member then starts without a
   * configuration and waits for the leader ({@link RatisNode#join}). A node whose ledger holds only
   * blocks no Raft entry cut (the genesis block) makes the group with the other consenters.
   */
  private boolean groupRunsElsewhere() {
    return firstBlockOfExistingLog() < support.height();
  }

  // ------------------------------------------------------------------ membership

  /**
   * A config block changed the consenters (on the applying thread, after the block was written).
   * The new members' certificates are pinned at once. A node the block removed stops applying and
   * leaves: Fabric's etcdraft halts and the registrar makes the node a follower. The Ratis group's
   * membership itself is changed by the leader ({@link #reconcileMembership}).
   */
  private void membershipChanged(ConsenterSet.Membership changes) {
    // The config block just written. A removed consenter stays accepted until the Raft group no
    // longer has it: a leader that was removed hands the group over to the others first, and
    // the new leader's reconfiguration may still need it (see refreshTrust).
    List<org.hyperledger.fabric.protos.orderer.etcdraft.Consenter> accepted = new ArrayList<>();
    changes.next().members().forEach(m -> accepted.add(m.consenter()));
    accepted.addAll(changes.removed());
    synchronized (trustLock) {
      node.trust(channelId, accepted, support.config());
      trustedSequence = support.config().sequence();
      if (!changes.removed().isEmpty()) {
        narrowedTrust = changes.next();
      }
    }
    if (changes.next().self(node.settings().serverCertificatePem()).isEmpty()) {
      evicted = true;
      ordering.stop();
      Thread leaving = new Thread(this::leaveEvicted, "raft-evicted-" + channelId);
      leaving.setDaemon(true);
      leaving.start();
    }
  }

  private void leaveEvicted() {
    log.info("Raft chain for channel {}: this node is no longer a consenter of the channel; halting", channelId);
    if (isLeader()) {
      // The others cannot reconfigure without a leader of the new set: hand the group over first.
      setConfiguration(current().group().getPeers().stream().toList());
    }
    // Before the chain leaves (which may close the server): a group left in Ratis's storage would
    // be loaded again at the next start and campaign in a group that no longer has it.
    try {
      node.removeGroup(group.getGroupId());
    } catch (RuntimeException e) {
      // The chain halts anyway; a group left behind is refused by the others' pinning.
      log.warn("Raft chain for channel {}: removing the group after the eviction: {}", channelId, e.toString());
    }
    node.forgetTrust(channelId);
    try {
      Files.deleteIfExists(firstBlockFile()); // a new log, if the node is ever added again
    } catch (IOException e) {
      log.warn("Raft chain for channel {}: cannot delete {}: {}", channelId, firstBlockFile(), e.toString());
    }
    stop("halted: evicted from the consenters", false);
    support.evicted();
  }

  /**
   * On the leader: makes the Ratis group's voting members those of the consenter set the ledger's
   * config names. Deterministic (the target comes from the replicated config) and idempotent, so
   * a new leader finishes what the old one started. Every 200 ms on every node (the peers'
   * addresses and the trust follow the group's configuration); while neither the group's
   * configuration nor the consenter set changed since a check found them in step, it compares
   * nothing (Ratis keeps one configuration object until the next change).
   */
  private void reconcileMembership() {
    try {
      if (evicted) {
        return;
      }
      RaftServer.Division division = node.division(group.getGroupId());
      if (division == null) {
        return;
      }
      var conf = division.getRaftConf();
      ConsenterSet set = current();
      if (conf == checkedConf && set == checkedSet) {
        refreshTrust(conf);
        return;
      }
      List<RaftPeer> groupPeers = new ArrayList<>(conf.getCurrentPeers());
      groupPeers.addAll(conf.getPreviousPeers());
      PeerAddresses.update(node.id(), set, groupPeers);
      refreshTrust(conf);
      Set<RaftPeerId> want = new HashSet<>();
      set.members().forEach(m -> want.add(m.peerId()));
      Set<RaftPeerId> have = new HashSet<>();
      conf.getCurrentPeers().forEach(p -> have.add(p.getId()));
      if (have.equals(want) && conf.getPreviousPeers().isEmpty()) {
        checkedConf = conf; // in step: nothing to compare until either changes
        checkedSet = set;
        return;
      }
      if (reconfiguring.get() || !isLeader()) {
        return;
      }
      if (!conf.getPreviousPeers().isEmpty()) {
        return; // a change is under way
      }
      List<RaftPeer> peers = current().group().getPeers().stream().toList();
      reconfiguring.set(true);
      Thread change = new Thread(() -> {
        try {
          setConfiguration(peers);
        } finally {
          reconfiguring.set(false);
        }
      }, "raft-reconfigure-" + channelId);
      change.setDaemon(true);
      change.start();
    } catch (RuntimeException e) {
      log.warn("Raft chain for channel {}: membership check: {}", channelId, e.toString());
    }
  }

  /**
   * Makes the node's trust for the channel the consenters and TLS CAs of the latest config block,
   * once the Raft group is exactly those consenters (on every node, by its own view of the group's
   * configuration). This is how a removed consenter's certificates stop being accepted (the config
   * block that removed it kept them, see membershipChanged), and how a config block that changed
   * no consenter but an organization's TLS CAs takes effect.
   */
  private void refreshTrust(org.apache.ratis.server.RaftConfiguration groupConf) {
    synchronized (trustLock) { // after a membership change's own update, never over it
      refreshTrustLocked(groupConf);
    }
  }

  private void refreshTrustLocked(org.apache.ratis.server.RaftConfiguration groupConf) {
    boolean narrowing = narrowedTrust != null;
    long sequence = support.config().sequence();
    if ((!narrowing && sequence == trustedSequence) || !groupConf.getPreviousPeers().isEmpty()) {
      return;
    }
    ConsenterSet target = current();
    Set<RaftPeerId> have = new HashSet<>();
    groupConf.getCurrentPeers().forEach(p -> have.add(p.getId()));
    Set<RaftPeerId> want = new HashSet<>();
    target.members().forEach(m -> want.add(m.peerId()));
    if (!have.equals(want)) {
      return;
    }
    narrowedTrust = null;
    trustedSequence = sequence;
    node.trust(target, support.config());
    if (narrowing) {
      log.info("Raft chain for channel {}: the Raft group is now consenters {}; removed consenters' TLS certificates "
          + "are no longer accepted", channelId, target.members().stream().map(m -> m.id() + "@" + m.address()).toList());
    }
  }

  private void setConfiguration(List<RaftPeer> peers) {
    log.info("Raft chain for channel {}: changing the Raft group's members to {}", channelId,
        peers.stream().map(p -> p.getId() + "@" + p.getAddress()).toList());
    try (RaftClient admin = node.client(group)) {
      RaftClientReply reply = admin.admin().setConfiguration(peers);
      if (!reply.isSuccess()) {
        log.warn("Raft chain for channel {}: setConfiguration refused: {}", channelId, reply.getException());
      }
    } catch (IOException | RuntimeException e) {
      log.warn("Raft chain for channel {}: setConfiguration failed (retried while leading): {}", channelId, e.toString());
    }
  }

  // ------------------------------------------------------------------ proposing

  private void propose() {
    List<Proposal> taken = new ArrayList<>();
    int maxBytes = node.settings().maxEntryBytes();
    try {
      while (true) {
        // Group commit: the permit for the next entry is taken before the queue is, so while
        // maxInflightEntries proposals are under way everything Broadcast hands over gathers in
        // the queue and goes as one entry when a proposal commits, and a lone envelope on an idle
        // channel goes at once. Taken the other way round, the proposer took whatever had arrived
        // right after its last send (often one envelope) and held it until a permit came free:
        // entries stayed small under load and each paid Ratis's per-entry costs (log write,
        // appends and replies to two followers over TLS, apply) for a few envelopes
        // (docs/performance.md, "Raft: group commit").
        if (!permitHeld) {
          inflight.acquire();
          permitHeld = true;
        }
        OrderingQueue.Taken what = queue.take(taken, false, 0);
        if (what == OrderingQueue.Taken.HALTED || what == OrderingQueue.Taken.DRAINED) {
          return;
        }
        List<Proposal> entry = new ArrayList<>();
        int bytes = 0;
        for (Proposal proposal : awaitLeader(taken)) {
          if (proposal.config()) {
            send(entry);
            entry = new ArrayList<>();
            bytes = 0;
            send(List.of(proposal));
            continue;
          }
          if (!entry.isEmpty() && bytes + proposal.bytes() > maxBytes) {
            send(entry);
            entry = new ArrayList<>();
            bytes = 0;
          }
          entry.add(proposal);
          bytes += proposal.bytes();
        }
        send(entry);
        taken.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      log.error("Raft chain for channel {}: proposing failed; halting: {}", channelId, e.toString(), e);
      taken.forEach(p -> p.committed().completeExceptionally(new ChainHaltedException(HALTED)));
      failed(e);
    } finally {
      if (permitHeld) { // a close waits for every permit: those of the proposals under way
        permitHeld = false;
        inflight.release();
      }
    }
  }

  private void send(List<Proposal> proposals) throws InterruptedException {
    if (proposals.isEmpty()) {
      return;
    }
    RaftEntry entry;
    if (proposals.size() == 1 && proposals.get(0).config()) {
      RaftEntry.Ordered ordered = proposals.get(0).ordered();
      entry = new RaftEntry.ConfigMessage(ordered.envelope(), ordered.configSequence());
    } else {
      entry = new RaftEntry.Envelopes(proposals.stream().map(Proposal::ordered).toList());
    }
    if (!permitHeld) {
      inflight.acquire(); // a second entry of one take (a config envelope, or past maxEntryBytes)
    }
    permitHeld = false;
    long sentNanos = System.nanoTime();
    CompletableFuture<RaftClientReply> reply;
    RaftClient sender = client;
    underWay.incrementAndGet();
    try {
      reply = sender.async().send(Message.valueOf(
          org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations.unsafeWrap(entry.encode())));
    } catch (RuntimeException e) {
      underWay.decrementAndGet();
      inflight.release();
      throw e;
    }
    reply.whenComplete((r, failure) -> {
      underWay.decrementAndGet();
      inflight.release();
      Throwable why = failure;
      String discarded = "";
      if (why == null && !r.isSuccess()) {
        why = r.getException();
      }
      if (why != null && !config(proposals) && leaderStoppedAfterCommit(why)) {
        // Ratis applies committed entries only: the entry is on a quorum and every running node
        // applies it. Its envelopes are ordered (a normal entry has no other outcome), though the
        // leader, shutting down, could not apply it itself.
        log.info("Raft chain for channel {}: the leader stopped its chain before applying a committed proposal of"
            + " {} envelope(s); answered SUCCESS, as every other node applies it", channelId, proposals.size());
        why = null;
      }
      if (why != null && clientGaveUp(why)) {
        renewClient(sender);
      }
      if (why == null && r != null && r.isSuccess()) {
        discarded = r.getMessage().getContent().toString(StandardCharsets.UTF_8);
        // Committed: a quorum has the entry in its log on disk (this node's wait for it).
        metrics.dataPersisted((System.nanoTime() - sentNanos) / 1e9);
      }
      if (log.isDebugEnabled()) {
        log.debug("Raft chain for channel {}: proposal of {} envelope(s) answered after {} ms{}", channelId,
            proposals.size(), (System.nanoTime() - sentNanos) / 1_000_000, why == null ? "" : ": " + why);
      }
      for (Proposal proposal : proposals) {
        if (why != null) {
          proposal.committed().completeExceptionally(new ChainHaltedException(unavailable(why)));
        } else if (!discarded.isEmpty()) {
          proposal.committed().completeExceptionally(new ChainHaltedException(discarded));
        } else {
          proposal.committed().complete(null);
        }
      }
    });
  }

  /**
   * Whether the Ratis client gave a proposal up (out of retries, or its ordered stream closed).
   * Its ordered requests are sequenced in one sliding window; after such a failure that client was
   * seen failing every later proposal with {@code AlreadyClosedException}, the new leader's
   * included (docs/raft.md, "What is next"), so the chain proposes through a fresh client instead.
   */
  private static boolean clientGaveUp(Throwable why) {
    Throwable cause = why instanceof java.util.concurrent.CompletionException && why.getCause() != null
        ? why.getCause() : why;
    return cause instanceof org.apache.ratis.protocol.exceptions.RaftRetryFailureException
        || cause instanceof org.apache.ratis.protocol.exceptions.AlreadyClosedException;
  }

  /** Proposes through a new Ratis client from now on, unless {@code failed} was already replaced. */
  private void renewClient(RaftClient failed) {
    synchronized (lifecycle) { // a stop closes whichever client is current after it set stopped
      if (stopped || halting || client != failed) {
        return;
      }
      client = node.client(group, new ProposalRetry());
    }
    log.info("Raft chain for channel {}: a proposal ran out of retries; proposing through a new Raft client",
        channelId);
    Thread closing = new Thread(() -> {
      try {
        failed.close();
      } catch (IOException | RuntimeException e) {
        log.debug("Raft chain for channel {}: closing the old Raft client: {}", channelId, e.toString());
      }
    }, "raft-client-close-" + channelId);
    closing.setDaemon(true);
    closing.start();
  }

  private static boolean config(List<Proposal> proposals) {
    return proposals.size() == 1 && proposals.get(0).config();
  }

  /**
   * Whether a proposal failed only because the leader's own chain had stopped when Ratis applied
   * the committed entry there (a leader shutting down closes its chain before its Ratis server).
   */
  private boolean leaderStoppedAfterCommit(Throwable why) {
    Throwable cause = why instanceof java.util.concurrent.CompletionException && why.getCause() != null
        ? why.getCause() : why;
    return cause instanceof org.apache.ratis.protocol.exceptions.StateMachineException
        && ChannelOrdering.ChainStopped.describes(cause, channelId);
  }

  private String unavailable(Throwable why) {
    if (halting) {
      return HALTED;
    }
    if (leader == null) {
      return NO_LEADER;
    }
    Throwable cause = why instanceof java.util.concurrent.CompletionException && why.getCause() != null
        ? why.getCause() : why;
    return "timed out (" + node.settings().submitTimeout().toSeconds() + "s) waiting for the Raft leader "
        + leader + " to commit the proposal (" + cause.getClass().getSimpleName() + ")";
  }

  /**
   * Holds {@code proposals} while this node knows no leader and returns those to propose once one
   * is known. Each proposal waits at most {@code leaderWait} from its arrival, then is answered
   * {@link #NO_LEADER}; a halt answers the rest {@link #HALTED}.
   */
  private List<Proposal> awaitLeader(List<Proposal> proposals) throws InterruptedException {
    if (leader != null || proposals.isEmpty()) {
      return proposals;
    }
    List<Proposal> held = new ArrayList<>(proposals);
    synchronized (leaderSignal) {
      while (leader == null && !held.isEmpty()) {
        if (halting) {
          held.forEach(p -> p.committed().completeExceptionally(new ChainHaltedException(HALTED)));
          return List.of();
        }
        long now = System.nanoTime();
        long nextDeadline = Long.MAX_VALUE;
        List<Proposal> waiting = new ArrayList<>(held.size());
        for (Proposal proposal : held) {
          long left = proposal.arrivedNanos() + leaderWaitNanos - now;
          if (left <= 0) {
            proposal.committed().completeExceptionally(new ChainHaltedException(NO_LEADER));
          } else {
            waiting.add(proposal);
            nextDeadline = Math.min(nextDeadline, left);
          }
        }
        if (waiting.size() < held.size()) {
          log.warn("Raft chain for channel {}: no Raft leader known for {} ms; answered {} envelope(s) "
              + "SERVICE_UNAVAILABLE after waiting {} ms", channelId,
              TimeUnit.NANOSECONDS.toMillis(now - leaderlessSinceNanos), held.size() - waiting.size(),
              TimeUnit.NANOSECONDS.toMillis(leaderWaitNanos));
        }
        held = waiting;
        if (!held.isEmpty()) {
          TimeUnit.NANOSECONDS.timedWait(leaderSignal, nextDeadline);
        }
      }
    }
    return held;
  }

  /**
   * The Ratis client's retries of one proposal: toward whichever node leads, every 50 ms, while a
   * leader is known or has been missing for less than {@code leaderWait}, and within the submit
   * timeout overall (each attempt may itself wait for Ratis's request timeout).
   */
  private final class ProposalRetry implements RetryPolicy {
    private final int maxAttempts =
        (int) Math.max(1, node.settings().submitTimeout().toMillis() / RETRY_SLEEP_MILLIS);
    private final TimeDuration sleep = TimeDuration.valueOf(RETRY_SLEEP_MILLIS, TimeUnit.MILLISECONDS);

    @Override
    public Action handleAttemptFailure(Event event) {
      if (event instanceof org.apache.ratis.client.retry.ClientRetryEvent retry
          && retry.getRequest() instanceof org.apache.ratis.protocol.GroupInfoRequest) {
        return NO_RETRY_ACTION; // asked again at the next tick
      }
      if (log.isDebugEnabled() && event instanceof org.apache.ratis.client.retry.ClientRetryEvent retry) {
        // With the leader-change lines, what docs/raft.md's "Losing the leader" timeline is read from.
        log.debug("Raft chain for channel {}: proposal (call {}) failed attempt {}: {}", channelId,
            retry.getRequest().getCallId(), event.getAttemptCount(), event.getCause());
      }
      if (halting || event.getAttemptCount() >= maxAttempts) {
        return NO_RETRY_ACTION;
      }
      if (leader == null && System.nanoTime() - leaderlessSinceNanos >= leaderWaitNanos) {
        return NO_RETRY_ACTION;
      }
      return () -> sleep;
    }
  }

  // ------------------------------------------------------------------ this node's view of the group

  /**
   * The watcher's tick, on the timer's thread: the leader this node knows, the block gauges, the
   * leader's batch timer, and at most every {@link #GROUP_WATCH} the rest ({@link #watchGroup}).
   * Every 10 ms while anything is under way (a pending batch, envelopes queued or proposed, no
   * leader known, blocks written within the last second: a catch-up, whose progress tools read
   * from the committed block gauge); idle, every {@link #idleTickMillis}. A wake-up is what an
   * idle node pays for (about 0.1 ms
   * of CPU each on the 2-core machine of docs/performance.md, "Idle Raft nodes"), and a new
   * leader needs no tick: Ratis's leader-change event wakes the watcher ({@link #leaderNotified}).
   */
  private void tick() {
    try {
      watchLeader();
      showHeights();
      checkBatchTimeout();
      long now = System.nanoTime();
      if (now - lastGroupWatchNanos >= GROUP_WATCH.toNanos()) {
        lastGroupWatchNanos = now;
        watchGroup();
      }
    } finally {
      long delay = BUSY_TICK.toMillis();
      try {
        if (!busy()) {
          delay = idleTickMillis();
        }
      } catch (RuntimeException e) {
        log.warn("Raft chain for channel {}: watcher: {}", channelId, e.toString());
      }
      try {
        timer.schedule(this::tick, delay, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // stopped
      }
    }
  }

  /**
   * Whether anything is under way that the 10 ms tick serves: a batch to time, a leader to find, a
   * proposal, a ledger that grew within the last second (its gauge is read to follow a catch-up).
   */
  private boolean busy() {
    return leader == null || pendingEnvelopes() > 0 || queue.queued() > 0
        || underWay.get() > 0 || System.nanoTime() - heightChangedNanos < HEIGHT_BUSY.toNanos();
  }

  /**
   * The idle tick: 500 ms, or a quarter of the BatchTimeout when that is shorter. The first
   * envelope of a batch applied while idle makes the channel busy at the next tick, which then
   * comes well before the batch is due, so the batch timer is not late for it.
   */
  private long idleTickMillis() {
    long quarter = IDLE_TICK.toMillis();
    try {
      // toMillis, not Duration.dividedBy: that divides through BigDecimal, a tenth of an idle tick's cost
      quarter = support.config().orderer().orElseThrow().batchTimeout().duration().toMillis() / 4;
    } catch (RuntimeException e) {
      // no orderer config: the default
    }
    return Math.max(BUSY_TICK.toMillis(), Math.min(quarter, IDLE_TICK.toMillis()));
  }

  /**
   * Ratis's event: this node learned of a new leader ({@code StateMachine.EventApi.notifyLeaderChanged},
   * on a Ratis thread). Ratis calls it just before it records the leader, so the watcher reads
   * it a millisecond later; a leader lost has no event and is seen by the tick (every 10 ms once
   * no leader is known, at most {@link #IDLE_TICK} after the loss).
   */
  private void leaderNotified() {
    ScheduledExecutorService t = timer;
    if (t == null || halting) {
      return;
    }
    try {
      t.schedule(this::watchLeader, 1, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // stopped
    }
  }

  /** This node's Ratis division of the group, once it exists (looked up once). */
  private RaftServer.Division division() {
    RaftServer.Division current = division;
    if (current == null) {
      current = node.division(group.getGroupId());
      division = current;
    }
    return current;
  }

  /**
   * Reads the leader this node knows (at each tick, and after Ratis's leader-change event) and
   * acts on a change: wakes the proposals held for a leader, counts and logs the change, sends the
   * proposals under way again. Two volatile reads when nothing changed: the reads that allocate
   * (Ratis's role info) are in {@link #watchGroup}.
   */
  private void watchLeader() {
    try {
      RaftServer.Division current = division();
      if (current == null) {
        return;
      }
      DivisionInfo info = current.getInfo();
      RaftPeerId now = info.isAlive() ? info.getLeaderId() : null;
      RaftPeerId before = leader;
      if (Objects.equals(now, before)) {
        return;
      }
      // Fabric counts every change of the leader it knows, to none included (etcdraft/chain.go, run).
      metrics.leaderChanged();
      if (now == null) {
        leaderlessSinceNanos = System.nanoTime();
        log.info("Raft chain for channel {}: no leader (was {})", channelId, before);
      } else {
        log.info("Raft chain for channel {}: leader is {}{}", channelId, now,
            now.equals(node.id()) ? " (this node)" : "");
      }
      leader = now;
      DeadLeaderDetector detector = deadLeader;
      if (detector != null) {
        detector.leaderChanged(); // it watches the new leader's port now, not after its next look
      }
      boolean leading = now != null && now.equals(node.id());
      shownLeading = leading;
      metrics.isLeader(leading);
      if (now != null) {
        synchronized (leaderSignal) {
          leaderSignal.notifyAll();
        }
        RaftPeerId previous = lastLeader;
        lastLeader = now;
        if (previous != null && !previous.equals(now)) {
          resendInFlight(previous, now);
        }
        if (!leading) {
          askLeaderNow();
        }
      }
    } catch (RuntimeException e) {
      log.warn("Raft chain for channel {}: watching the Raft group: {}", channelId, e.toString());
    }
  }

  /**
   * Every 200 ms: the etcdraft gauges (each set when its value changed), the count of active
   * nodes (from Ratis's role info, which is built afresh at each read), and the membership check.
   */
  private void watchGroup() {
    try {
      RaftServer.Division current = division();
      if (current != null) {
        RaftPeerId now = leader;
        boolean leading = now != null && now.equals(node.id());
        if (leading != shownLeading) {
          shownLeading = leading;
          metrics.isLeader(leading);
        }
        int size = current().members().size(); // config blocks change the set
        if (size != shownClusterSize) {
          shownClusterSize = size;
          metrics.clusterSize(size);
        }
        activeNodeCount = activeNodeCount(current.getInfo(), leading);
        if (activeNodeCount != shownActiveNodes) {
          shownActiveNodes = activeNodeCount;
          metrics.activeNodes(activeNodeCount);
        }
      }
    } catch (RuntimeException e) {
      log.warn("Raft chain for channel {}: watching the Raft group: {}", channelId, e.toString());
    }
    reconcileMembership();
  }

  /**
   * The committed and snapshot block gauges, when they changed: at every tick, since tools wait on
   * the committed block number (bench/raft-cluster times a restarted node's catch-up by it).
   */
  private void showHeights() {
    try {
      long committed = support.height() - 1;
      if (committed != shownCommitted) {
        shownCommitted = committed;
        heightChangedNanos = System.nanoTime();
        metrics.committedBlockNumber(committed);
      }
      long snapshotBlock = snapshotBlockNumber();
      if (snapshotBlock >= 0 && snapshotBlock != shownSnapshotBlock) {
        shownSnapshotBlock = snapshotBlock;
        metrics.snapshotBlockNumber(snapshotBlock);
      }
    } catch (RuntimeException e) {
      log.warn("Raft chain for channel {}: block gauges: {}", channelId, e.toString());
    }
  }

  /**
   * This node learned of a new leader: the proposals still under way went to {@code previous},
   * the leader it knew before, which may be dead or deposed. Closing the Ratis
   * client's connection to it fails them at once (Ratis's {@code AlreadyClosedException}), and the
   * client retries them toward the new leader after one retry sleep, instead of after Ratis's
   * request timeout when that node no longer answers. A retry carries the same client id and call
   * id: a leader that already applied the entry answers from its retry cache, and an entry that
   * is appended twice (the retry reached the new leader before the first copy was applied there)
   * is applied once ({@link ChannelOrdering}'s remembered requests).
   */
  private void resendInFlight(RaftPeerId previous, RaftPeerId next) {
    int underWay = this.underWay.get();
    RaftClient current = client;
    if (underWay <= 0 || current == null || previous.equals(node.id()) || halting) {
      return;
    }
    log.info("Raft chain for channel {}: leader changed from {} to {}; {} proposal(s) under way are sent again",
        channelId, previous, next, underWay);
    // Closing a connection may wait for its channel to terminate: neither on the watcher's thread
    // nor on the common pool, which hands Broadcast's envelopes over and which Ratis uses too.
    Thread closing = new Thread(() -> {
      try {
        current.getClientRpc().handleException(previous, new IOException("the Raft leader changed from " + previous
            + " to " + next), true);
      } catch (RuntimeException e) {
        log.debug("Raft chain for channel {}: closing the connection to {}: {}", channelId, previous, e.toString());
      }
    }, "raft-resend-" + channelId);
    closing.setDaemon(true);
    closing.start();
  }

  /**
   * The consenters this node knows to be reachable, itself included. A leader counts the
   * followers that answered within the election timeout's upper bound (Ratis's own test before it
   * steps down for lost heartbeats). A follower that heard from the leader within that time
   * reports the leader's own count (asked at {@link #leaderAskInterval}; itself and the leader until the first
   * answer), as Fabric's followers do. Without a leader, a node counts itself.
   */
  private int activeNodeCount(DivisionInfo info, boolean leading) {
    RoleInfoProto role = info.getRoleInfoProto();
    if (leading && role.hasLeaderInfo()) {
      return leaderCount(role);
    }
    if (leader != null && role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()
        && role.getFollowerInfo().getLeaderInfo().getLastRpcElapsedTimeMs()
            <= electionTimeoutMax().toMillis()) {
      int leaders = leaderActiveNodes;
      return leaders > 0 ? leaders : 2;
    }
    return 1;
  }

  /**
   * A follower asks the leader for its role (Ratis's group info) and keeps the leader's count of
   * active nodes, as Fabric's followers take it from the leader's heartbeats (etcdraft/chain.go,
   * ActiveNodes in the ClusterMetadata the leader sends). On its own thread: when this node learns
   * of a new leader, and every {@link #leaderAskInterval}.
   */
  private void askLeaderForActiveNodes() {
    RaftPeerId current = leader;
    RaftClient asking = client;
    if (current == null || asking == null || halting || current.equals(node.id())) {
      leaderActiveNodes = 0;
      return;
    }
    try {
      RoleInfoProto role = asking.getGroupManagementApi(current).info(group.getGroupId()).getRoleInfoProto();
      leaderActiveNodes = role.hasLeaderInfo() ? leaderCount(role) : 0;
      if (role.hasLeaderInfo()) {
        List<RaftPeerId> active = new ArrayList<>();
        active.add(current);
        active.addAll(recentFollowers(role));
        leaderReport = new LeaderReport(current, List.copyOf(active), System.nanoTime());
      }
    } catch (IOException | RuntimeException e) {
      leaderActiveNodes = 0;
      log.debug("Raft chain for channel {}: asking leader {} for its followers: {}", channelId, current, e.toString());
    }
  }

  /** Asks the leader this node just learned of for its active nodes, without waiting for the next ask. */
  private void askLeaderNow() {
    ScheduledExecutorService view = leaderView;
    if (view == null || halting) {
      return;
    }
    try {
      view.execute(this::askLeaderForActiveNodes);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // stopping: nothing to ask
    }
  }

  /**
   * How often a follower asks the leader for its active nodes: every minimum election timeout
   * (TickInterval × ElectionTick, 5 s with Fabric's Options), at least every 500 ms. Fabric's
   * followers read the leader's count from each heartbeat; here each ask is a Ratis group-info
   * call on both nodes, for every follower of every channel, and at Ratis's heartbeat interval (2.5
   * s) the asks were the largest part of an idle channel's cost (docs/performance.md, "Idle Raft
   * nodes, per channel"). The answer is then at most that old, plus one more interval after a
   * lost ask: still within the election timeout's upper bound and a second (11 s) that
   * {@link #activeNodes} accepts.
   */
  private Duration leaderAskInterval() {
    RaftTiming applied = node.timing();
    Duration every = (applied != null ? applied : timing).electionTimeoutMin();
    return every.compareTo(Duration.ofMillis(500)) > 0 ? every : Duration.ofMillis(500);
  }

  /** A leader's count: itself and the followers that answered within the election timeout's upper bound. */
  private int leaderCount(RoleInfoProto leaderRole) {
    return 1 + recentFollowers(leaderRole).size();
  }

  /**
   * The followers a leader heard from within the election timeout's upper bound (Ratis's own test
   * before it steps down for lost heartbeats); what both the active-node gauge and Fabric's
   * quorum-loss rule for consenter changes count.
   */
  private List<RaftPeerId> recentFollowers(RoleInfoProto leaderRole) {
    long recentMillis = electionTimeoutMax().toMillis();
    List<RaftPeerId> recent = new ArrayList<>();
    for (ServerRpcProto follower : leaderRole.getLeaderInfo().getFollowerInfoList()) {
      if (follower.getLastRpcElapsedTimeMs() <= recentMillis) {
        recent.add(RaftPeerId.valueOf(follower.getId().getId()));
      }
    }
    return recent;
  }

  /**
   * The election timeout's upper bound Ratis runs by: the node's one Ratis server takes the timers
   * of the first channel it started (docs/raft.md, "Timers"), which may differ from this channel's.
   */
  private Duration electionTimeoutMax() {
    RaftTiming applied = node.timing();
    return (applied != null ? applied : timing).electionTimeoutMax();
  }

  /** The leader this node knows of, or null. */
  RaftPeerId knownLeader() {
    return leader;
  }

  /** This channel's etcdraft metrics (the snapshot gauge is set by whoever takes snapshots). */
  EtcdRaftMetrics.Channel metrics() {
    return metrics;
  }

  // ------------------------------------------------------------------ batch timer (leader only)

  private void checkBatchTimeout() {
    try {
      ChannelOrdering current = ordering;
      if (current == null || current.pending() == 0) {
        return;
      }
      long block = current.nextBlock();
      if (cutProposedFor == block || !isLeader()) {
        return;
      }
      Duration timeout = support.config().orderer().orElseThrow().batchTimeout().duration();
      if (System.nanoTime() - current.pendingSinceNanos() < timeout.toNanos()) {
        return;
      }
      cutProposedFor = block;
      client.async().send(Message.valueOf(org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations
              .unsafeWrap(new RaftEntry.CutMarker(block).encode())))
          .whenComplete((r, failure) -> {
            if (failure != null || !r.isSuccess()) {
              cutProposedFor = -1; // try again at the next tick, if still leading
            }
          });
    } catch (RuntimeException e) {
      log.warn("Raft chain for channel {}: batch timer: {}", channelId, e.toString());
    }
  }

  // ------------------------------------------------------------------ stopping

  private void failed(Throwable e) {
    log.error("Raft chain for channel {} failed; halting: {}", channelId, e.toString());
    stop("failed", false);
  }

  @Override
  public void halt() {
    stop("halted", false);
  }

  /**
   * Stops accepting, proposes what was accepted and waits (up to the submit timeout) for those
   * proposals to be answered, then leaves the group. Envelopes answered SUCCESS are in committed
   * entries, which every node applies, so nothing acknowledged is lost.
   */
  @Override
  public void close() {
    stop("closed", true);
  }

  /**
   * Halts, then deletes this node's Raft state of the channel: the group leaves the node's Ratis
   * server with its directory (log, snapshots, metadata), and the chain's files under
   * {@code channels/} go. Fabric leaves its WAL and snapshot directories behind; here joining the
   * channel again starts from nothing.
   */
  @Override
  public void remove() {
    boolean stoppedBefore;
    synchronized (lifecycle) {
      stoppedBefore = stopped;
      removing = true;
    }
    stop("removed", false);
    if (stoppedBefore && started()) {
      // Stopped before (failed or halted): the group may still be on the node, or its directory.
      node.removeGroup(group.getGroupId());
    }
    // By exact name: a glob over "<channel>.*" would also match channel "<channel>.x"'s files.
    Path file = firstBlockFile();
    try {
      Files.deleteIfExists(file);
      Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".tmp"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("channel " + channelId + ": cannot delete its Raft files: " + e, e);
    }
  }

  private boolean started() {
    synchronized (lifecycle) {
      return started;
    }
  }

  private void stop(String why, boolean drain) {
    Thread proposing;
    synchronized (lifecycle) {
      if (stopped) {
        return;
      }
      stopped = true;
      proposing = proposer;
    }
    if (!drain) {
      stopProposing();
    }
    if (drain && proposing != null) {
      queue.close();
      joinQuietly(proposing);
      try {
        int permits = node.settings().maxInflightEntries();
        if (inflight.tryAcquire(permits, node.settings().submitTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
          inflight.release(permits);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    stopProposing();
    if (proposing != null && proposing != Thread.currentThread()) {
      joinQuietly(proposing);
    }
    if (deadLeader != null) {
      deadLeader.close();
    }
    if (timer != null) {
      timer.shutdownNow();
    }
    if (leaderView != null) {
      leaderView.shutdownNow();
    }
    if (ordering != null) {
      ordering.stop();
    }
    if (client != null) {
      try {
        client.close();
      } catch (IOException e) {
        log.debug("closing the Raft client of channel {}: {}", channelId, e.toString());
      }
    }
    // Whatever was accepted and never answered (dropped from the queue by the halt, or its proposal
    // cut short by the client's close) is answered now; a committed entry may still be applied.
    for (CompletableFuture<Void> answer : List.copyOf(unanswered)) {
      answer.completeExceptionally(new ChainHaltedException(HALTED));
    }
    if (started && removing) {
      node.removeGroup(group.getGroupId());
      node.forgetTrust(channelId);
    }
    if (joined) {
      // On a Ratis thread (a failed apply) the server must not be closed from inside itself.
      if (isRatisThread()) {
        new Thread(node::leave, "raft-leave-" + channelId).start();
      } else {
        node.leave();
      }
    }
    log.info("Raft chain for channel {} {}", channelId, why);
    errored.fire();
  }

  /** Stops proposing: the queue refuses and drops, held proposals are answered, retries end. */
  private void stopProposing() {
    halting = true;
    queue.halt();
    synchronized (leaderSignal) {
      leaderSignal.notifyAll();
    }
  }

  private static boolean isRatisThread() {
    StackTraceElement[] stack = Thread.currentThread().getStackTrace();
    for (StackTraceElement frame : stack) {
      if (frame.getClassName().startsWith("org.apache.ratis.server.impl.StateMachineUpdater")) {
        return true;
      }
    }
    return false;
  }

  private static void joinQuietly(Thread thread) {
    if (thread == Thread.currentThread()) {
      return;
    }
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  // visible for tests
  ChannelOrdering ordering() {
    return ordering;
  }

  // visible for tests: envelopes accepted and not yet taken by the proposer, and their bytes
  int queuedEnvelopes() {
    return queue.queued();
  }

  long queuedBytes() {
    return queue.queuedBytes();
  }

  // visible for tests and the block cutter metric's readers
  int pendingEnvelopes() {
    ChannelOrdering current = ordering;
    return current == null ? 0 : current.pending();
  }
}
