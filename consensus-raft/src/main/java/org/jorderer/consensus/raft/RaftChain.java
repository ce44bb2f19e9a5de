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
  private final BlockSource blocks;
  private volatile boolean removing;

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
    return consenters.metadata().toByteString();
  }

  /** Fabric's numeric Raft id of this node in the channel. */
  public long raftId() {
    return consenters.self(node.settings().serverCertificatePem()).orElseThrow().id();
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
      ordering = new ChannelOrdering(support, consenters, firstBlock, this::failed);
      ChannelStateMachine machine = node.stateMachine(group.getGroupId());
      machine.bind(new ChannelStateMachine.Binding(ordering, snapshotIntervalBytes(),
          () -> node.requestSnapshot(group.getGroupId(), machine::snapshotRequestDone), peerSnapshots(), blocks));
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
      long first = support.height();
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(temp, Long.toString(first), StandardCharsets.UTF_8);
      Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return first;
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("channel " + channelId + ": cannot read or write " + file + ": " + e, e);
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
    if (started && removing) {
      node.removeGroup(group.getGroupId());
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

  // visible for tests
  ChannelOrdering ordering() {
    return ordering;
  }

  // visible for tests and the block cutter metric's readers
  int pendingEnvelopes() {
    ChannelOrdering current = ordering;
    return current == null ? 0 : current.pending();
  }
}
