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
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.server.RaftServer;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.consensus.Chain;
import org.jorderer.consensus.ChainHaltedException;
import org.jorderer.consensus.ConsenterSupport;
import org.jorderer.consensus.ErrorSignal;
import org.jorderer.consensus.OrderingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One etcdraft channel on this node, a member of the channel's Ratis group.
 *
 * <p>Proposing: Broadcast's envelopes enter a bounded {@link OrderingQueue}; one proposer thread
 * takes whatever has gathered and proposes it as one Raft entry (config envelopes as entries of
 * their own), with up to {@code maxInflightEntries} proposals under way, so under load many
 * envelopes share an entry. Proposals go through a Ratis client, which finds the leader by itself:
 * any node, leader or follower, accepts Broadcast. An envelope's future completes only when its
 * entry is committed by a quorum and applied on the leader, so SUCCESS means replicated.
 *
 * <p>Applying: {@link ChannelOrdering} cuts blocks from the committed entries on every node. The
 * leader's batch timer (BatchTimeout after the pending batch's first envelope) proposes a
 * {@link RaftEntry.CutMarker}, so timeouts are decided once and replicated.
 */
public final class RaftChain implements Chain {
  private static final Logger log = LoggerFactory.getLogger(RaftChain.class);

  /** Broadcast's info text once the chain stopped. */
  public static final String HALTED = "Raft chain is halted";

  private record Proposal(RaftEntry.Ordered ordered, boolean config, CompletableFuture<Void> committed) {
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
  private final ErrorSignal errored = new ErrorSignal();
  private final Object lifecycle = new Object();
  private boolean started; // guarded by lifecycle
  private boolean stopped; // guarded by lifecycle
  private ChannelOrdering ordering;
  private RaftClient client;
  private Thread proposer;
  private ScheduledExecutorService timer;
  private volatile long cutProposedFor = -1;
  /** Whether a Ratis reconfiguration is under way from this node (the leader's). */
  private final AtomicBoolean reconfiguring = new AtomicBoolean();
  private volatile long lastMembershipCheckNanos;
  private volatile boolean evicted;

  RaftChain(ConsenterSupport support, RatisNode node, ConsenterSet consenters) {
    this.support = Objects.requireNonNull(support, "support");
    this.channelId = support.channelId();
    this.node = Objects.requireNonNull(node, "node");
    this.consenters = Objects.requireNonNull(consenters, "consenters");
    this.group = consenters.group();
    ClusterSettings settings = node.settings();
    this.queue = new OrderingQueue<>(settings.queueCapacity(), settings.handOffExecutor(),
        () -> new ChainHaltedException(HALTED));
    this.inflight = new Semaphore(settings.maxInflightEntries());
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
  public CompletableFuture<Void> order(Envelope envelope, long configSequence) {
    return submit(envelope, configSequence, false);
  }

  @Override
  public CompletableFuture<Void> configure(Envelope configEnvelope, long configSequence) {
    return submit(configEnvelope, configSequence, true);
  }

  private CompletableFuture<Void> submit(Envelope envelope, long configSequence, boolean config) {
    Objects.requireNonNull(envelope, "envelope");
    Proposal proposal = new Proposal(new RaftEntry.Ordered(envelope, configSequence), config, new CompletableFuture<>());
    return queue.offer(proposal).thenCompose(accepted -> proposal.committed());
  }

  /** Whether this node currently leads the channel's group. */
  public boolean isLeader() {
    RaftServer.Division division = node.division(group.getGroupId());
    return division != null && division.getInfo().isLeader();
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
   * Fabric's active nodes (etcdraft {@code Tracker}): on the leader, the Fabric ids of itself and
   * of the members that answered within the election timeout; empty on a node that does not lead
   * (Fabric's followers learn the list from the leader; Ratis does not pass it on).
   */
  Optional<Set<Long>> activeNodes() {
    RaftServer.Division division = node.division(group.getGroupId());
    if (division == null || !division.getInfo().isLeader()) {
      return Optional.empty();
    }
    ConsenterSet set = current();
    Set<Long> active = new HashSet<>();
    set.self(node.settings().serverCertificatePem()).ifPresent(m -> active.add(m.id()));
    long limit = node.settings().electionTimeoutMax().toMillis();
    for (var follower : division.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList()) {
      if (follower.getLastRpcElapsedTimeMs() > limit) {
        continue;
      }
      RaftPeerId peer = RaftPeerId.valueOf(follower.getId().getId());
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
      node.stateMachine(group.getGroupId()).bind(ordering);
      node.trust(consenters);
      boolean created = node.join(group);
      client = node.client(group);
      proposer = new Thread(this::propose, "raft-propose-" + channelId);
      proposer.setDaemon(true);
      proposer.start();
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "raft-batch-timer-" + channelId);
        t.setDaemon(true);
        return t;
      });
      timer.scheduleWithFixedDelay(this::checkBatchTimeout, 10, 10, TimeUnit.MILLISECONDS);
      timer.scheduleWithFixedDelay(this::reconcileMembership, 200, 200, TimeUnit.MILLISECONDS);
      log.info("Raft chain for channel {} started at height {} as consenter {} of {} ({} group {})", channelId,
          support.height(), raftId(), consenters.members().size(), created ? "new" : "existing", group.getGroupId());
    }
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

  private Path firstBlockFile() {
    return node.settings().storageDir().resolve("channels").resolve(channelId + ".first-block");
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

  // ------------------------------------------------------------------ membership

  /**
   * A config block changed the consenters (on the applying thread, after the block was written).
   * The new members' certificates are pinned at once. A node the block removed stops applying and
   * leaves: Fabric's etcdraft halts and the registrar makes the node a follower. The Ratis group's
   * membership itself is changed by the leader ({@link #reconcileMembership}).
   */
  private void membershipChanged(ConsenterSet.Membership changes) {
    node.trust(changes.next());
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
    node.removeGroup(group.getGroupId());
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
   * a new leader finishes what the old one started.
   */
  private void reconcileMembership() {
    try {
      if (evicted || reconfiguring.get() || !isLeader()) {
        return;
      }
      RaftServer.Division division = node.division(group.getGroupId());
      if (division == null) {
        return;
      }
      Set<RaftPeerId> want = new HashSet<>();
      current().members().forEach(m -> want.add(m.peerId()));
      var conf = division.getRaftConf();
      Set<RaftPeerId> have = new HashSet<>();
      conf.getCurrentPeers().forEach(p -> have.add(p.getId()));
      if (have.equals(want) && conf.getPreviousPeers().isEmpty()) {
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
        OrderingQueue.Taken what = queue.take(taken, false, 0);
        if (what == OrderingQueue.Taken.HALTED || what == OrderingQueue.Taken.DRAINED) {
          return;
        }
        List<Proposal> entry = new ArrayList<>();
        int bytes = 0;
        for (Proposal proposal : taken) {
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
    inflight.acquire();
    CompletableFuture<RaftClientReply> reply;
    try {
      reply = client.async().send(Message.valueOf(
          org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations.unsafeWrap(entry.encode())));
    } catch (RuntimeException e) {
      inflight.release();
      throw e;
    }
    reply.whenComplete((r, failure) -> {
      inflight.release();
      Throwable why = failure;
      String discarded = "";
      if (why == null && !r.isSuccess()) {
        why = r.getException();
      }
      if (why == null) {
        discarded = r.getMessage().getContent().toString(StandardCharsets.UTF_8);
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

  private static String unavailable(Throwable why) {
    Throwable cause = why instanceof java.util.concurrent.CompletionException && why.getCause() != null
        ? why.getCause() : why;
    return "no Raft leader: the proposal was not committed (" + cause.getClass().getSimpleName() + ")";
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

  private void stop(String why, boolean drain) {
    Thread proposing;
    synchronized (lifecycle) {
      if (stopped) {
        return;
      }
      stopped = true;
      proposing = proposer;
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
    queue.halt();
    if (proposing != null && proposing != Thread.currentThread()) {
      joinQuietly(proposing);
    }
    if (timer != null) {
      timer.shutdownNow();
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
    if (started) {
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

  // visible for tests and the block cutter metric's readers
  int pendingEnvelopes() {
    ChannelOrdering current = ordering;
    return current == null ? 0 : current.pending();
  }
}
