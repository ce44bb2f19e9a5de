package org.jorderer.consensus.raft;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ratis's side of one channel: hands each committed entry, in log order, to the channel's
 * {@link ChannelOrdering}, takes snapshots of it, and installs one when the leader's log no longer
 * holds what this node misses. Ratis may make it (when it loads a group from its storage) before
 * the channel's chain exists; applying waits until the chain has {@linkplain #bind bound} it.
 *
 * <p><b>Snapshots.</b> After every {@code snapshotIntervalBytes} of applied entries (the channel's
 * etcdraft {@code SnapshotIntervalSize}, as Fabric's chain counts applied block bytes in
 * orderer/consensus/etcdraft/chain.go) the node asks its Ratis server for a snapshot; Ratis then
 * calls {@link #takeSnapshot} between two entries and purges its log up to the snapshot's index.
 * The snapshot is a {@link ChannelSnapshot} (the ledger's height at that index, the pending
 * envelopes, the remembered requests) in Ratis's state machine directory of the group
 * ({@code sm/snapshot.<term>_<index>}). At a restart Ratis applies only the entries after it.
 *
 * <p><b>Installing.</b> Ratis runs in notification mode: a leader whose log starts after this
 * node's last entry calls {@link #notifyInstallSnapshotFromLeader}. The node asks the leader
 * (else another consenter) for its latest snapshot over a Ratis read, keeps it as its own and
 * answers its index at once; the leader then appends its entries after it. When Ratis reloads
 * this machine from the snapshot, the blocks below its {@code nextBlock} are pulled over Deliver
 * from the channel's orderers through the {@link BlockSource} (verified: hash chain and
 * signatures) before any entry is applied. This is Fabric's onboarding: blocks come over Deliver,
 * not inside the snapshot.
 */
final class ChannelStateMachine extends BaseStateMachine {
  private static final Logger log = LoggerFactory.getLogger(ChannelStateMachine.class);

  /** Snapshot files kept (Ratis's {@code Snapshot.retentionFileNum} is set to the same). */
  static final int RETAINED_SNAPSHOTS = 2;

  /** The read-only query that asks a consenter for its latest snapshot. */
  static final String LATEST_SNAPSHOT = "jorderer/latest-snapshot";

  /**
   * What the chain gives its state machine.
   *
   * @param snapshotIntervalBytes entry bytes applied between snapshots
   * @param requestSnapshot asks the node's Ratis server to take a snapshot of this group soon
   * @param peers asks a consenter for its latest snapshot
   * @param leaderChanged told when Ratis names a new leader of the group, so the chain need not
   *     poll for it often (called before Ratis records the leader: see {@link #notifyLeaderChanged})
   */
  record Binding(ChannelOrdering ordering, long snapshotIntervalBytes, Runnable requestSnapshot, PeerSnapshots peers,
      BlockSource blocks, Runnable leaderChanged) {}

  /** The other consenters of the channel, and their latest snapshots. */
  interface PeerSnapshots {
    List<RaftPeerId> peers();

    ChannelSnapshot latest(RaftPeerId peer) throws IOException;
  }

  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  private final CompletableFuture<Binding> binding = new CompletableFuture<>();
  private ChannelSnapshot toRestore; // guarded by this: loaded from disk, not yet given to the ordering
  private long bytesSinceSnapshot; // Ratis's updater thread
  private volatile boolean snapshotRequested;
  private volatile long snapshotBlockNumber = -1;

  /**
   * Binds the channel's chain. A chain started again while the group stayed on this node's
   * server replaces the old one and continues from the old one's state (the entries it applied).
   */
  void bind(Binding chain) {
    if (!binding.complete(chain)) {
      Binding old = binding.join();
      TermIndex last = getLastAppliedTermIndex();
      chain.ordering().restore(old.ordering().snapshot(last.getTerm(), last.getIndex()));
      binding.obtrudeValue(chain);
    }
    restoreLoaded();
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    getLifeCycle().startAndTransition(() -> {
      super.initialize(server, groupId, raftStorage);
      storage.init(raftStorage);
      loadLatestSnapshot();
    });
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return storage;
  }

  @Override
  public void pause() {
    LifeCycle lifeCycle = getLifeCycle();
    if (lifeCycle.getCurrentState() == LifeCycle.State.RUNNING) {
      lifeCycle.transition(LifeCycle.State.PAUSING);
      lifeCycle.transition(LifeCycle.State.PAUSED);
    }
  }

  /** After an installed snapshot: continue from it. */
  @Override
  public void reinitialize() throws IOException {
    try {
      loadLatestSnapshot();
    } catch (ChannelOrdering.ChainStopped e) {
      // The chain halted while pulling the blocks below the snapshot (the node stops). Ratis's
      // updater must not see a failure here: Ratis 3.3.0's StateMachineUpdater, failing in a
      // reload while the server closes, spins without end and the close waits for it forever.
      // Nothing more is written; the next start loads the snapshot and pulls again.
      log.info("{} while pulling the blocks below the installed Raft snapshot; the next start pulls them",
          e.getMessage());
    }
    if (getLifeCycle().getCurrentState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  private void loadLatestSnapshot() throws IOException {
    SingleFileSnapshotInfo latest = storage.loadLatestSnapshot();
    if (latest == null) {
      return;
    }
    ChannelSnapshot snapshot;
    try {
      snapshot = ChannelSnapshot.read(latest.getFile().getPath());
    } catch (IllegalArgumentException e) {
      throw new IOException("cannot read the Raft snapshot " + latest.getFile().getPath() + ": " + e.getMessage(), e);
    }
    setLastAppliedTermIndex(TermIndex.valueOf(snapshot.term(), snapshot.index()));
    snapshotBlockNumber = snapshot.nextBlock() - 1;
    synchronized (this) {
      toRestore = snapshot;
    }
    restoreLoaded();
  }

  /** Gives a snapshot loaded from disk to the ordering, once both exist. */
  private void restoreLoaded() {
    Binding bound = binding.getNow(null);
    if (bound == null) {
      return;
    }
    ChannelSnapshot snapshot;
    synchronized (this) {
      snapshot = toRestore;
      toRestore = null;
    }
    if (snapshot != null) {
      pullUntilHeld(bound, snapshot);
      bound.ordering().restore(snapshot);
    }
  }

  /**
   * Logs each leader change, as Fabric's chain does ("Raft leader changed"), so that an operator
   * (and {@code jorderer dev-cluster}) sees who leads after a failure.
   */
  @Override
  public void notifyLeaderChanged(org.apache.ratis.protocol.RaftGroupMemberId member,
      org.apache.ratis.protocol.RaftPeerId newLeader) {
    log.info("Raft leader of group {} is now {}{}", member.getGroupId(), newLeader,
        member.getPeerId().equals(newLeader) ? " (this node)" : "");
    // Ratis 3.3.0 calls this from ServerState.setLeader before it records the new leader (and
    // only for a leader, never for none): the chain reads it a moment later, on its own thread.
    Binding bound = binding.getNow(null);
    if (bound != null) {
      bound.leaderChanged().run();
    }
  }

  /**
   * On the leader, before a proposal enters the log: stamps it with this node's time
   * ({@link RaftEntry.Stamped}), by which every node then judges the time-dependent checks of
   * that entry. The node's time is that of its message processor, the clock Broadcast checks by.
   * A proposal that is not an unstamped entry of a known kind is refused here, before it could
   * reach the log and halt every node that fails to apply it.
   */
  @Override
  public TransactionContext startTransaction(org.apache.ratis.protocol.RaftClientRequest request) throws IOException {
    ByteString proposed = request.getMessage().getContent();
    if (proposed.isEmpty() || proposed.byteAt(0) < RaftEntry.ENVELOPES || proposed.byteAt(0) > RaftEntry.CUT) {
      throw new IOException("not a Raft entry a proposer sends (" + proposed.size() + " bytes, kind "
          + (proposed.isEmpty() ? "none" : proposed.byteAt(0)) + ")");
    }
    Binding bound = binding.getNow(null);
    java.time.Instant now = bound != null
        ? bound.ordering().support().processor().clock().instant()
        : java.time.Instant.now(); // the chain is not bound yet: the node's system time
    return TransactionContext.newBuilder()
        .setStateMachine(this)
        .setClientRequest(request)
        .setLogData(RaftEntry.Stamped.stamp(proposed, now))
        .build();
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    Binding bound;
    try {
      bound = binding.get(); // Ratis's updater thread of this group only
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.failedFuture(e);
    } catch (ExecutionException e) {
      return CompletableFuture.failedFuture(e.getCause());
    }
    ChannelOrdering channel = bound.ordering();
    try {
      restoreLoaded();
      var request = entry.getStateMachineLogEntry();
      ByteString data = request.getLogData();
      String outcome = channel.apply(entry.getIndex(),
          HexFormat.of().formatHex(request.getClientId().toByteArray()) + "#" + request.getCallId(),
          RaftEntry.decode(data.toByteArray()));
      updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
      bytesSinceSnapshot += data.size();
      if (bytesSinceSnapshot >= bound.snapshotIntervalBytes() && !snapshotRequested) {
        snapshotRequested = true;
        bound.requestSnapshot().run();
      }
      return CompletableFuture.completedFuture(Message.valueOf(outcome));
    } catch (ChannelOrdering.ChainStopped e) {
      return CompletableFuture.failedFuture(e);
    } catch (RuntimeException | Error e) {
      channel.failed(e);
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Called when a requested snapshot was taken, or could not be: the next apply may ask again. */
  void snapshotRequestDone() {
    snapshotRequested = false;
  }

  /** On Ratis's updater thread, between two entries. */
  @Override
  public long takeSnapshot() throws IOException {
    Binding bound = binding.getNow(null);
    TermIndex last = getLastAppliedTermIndex();
    if (bound == null || last == null || last.getIndex() < 0) {
      return RaftLog.INVALID_LOG_INDEX;
    }
    SingleFileSnapshotInfo latest = storage.getLatestSnapshot();
    if (latest != null && latest.getIndex() >= last.getIndex()) {
      return latest.getIndex();
    }
    restoreLoaded();
    ChannelSnapshot snapshot = bound.ordering().snapshot(last.getTerm(), last.getIndex());
    keep(snapshot);
    bytesSinceSnapshot = 0;
    log.info("[channel: {}] Took a Raft snapshot at index {} (block {} next, {} envelopes pending)",
        bound.ordering().support().channelId(), last.getIndex(), snapshot.nextBlock(), snapshot.pending().size());
    return last.getIndex();
  }

  /** Writes {@code snapshot} as this node's latest. */
  private void keep(ChannelSnapshot snapshot) throws IOException {
    File file = storage.getSnapshotFile(snapshot.term(), snapshot.index());
    snapshot.write(file.toPath());
    // Ratis's retention deletes old snapshots only when they have their MD5 file beside them.
    MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
    storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5),
        TermIndex.valueOf(snapshot.term(), snapshot.index())));
    snapshotBlockNumber = snapshot.nextBlock() - 1;
    // Ratis cleans up after the snapshots it asks for; an installed one is cleaned up here.
    storage.cleanupOldSnapshots(new SnapshotRetentionPolicy() {
      @Override
      public int getNumSnapshotsRetained() {
        return RETAINED_SNAPSHOTS;
      }
    });
  }

  /** The number of the last block the latest snapshot covers, or -1 without one. */
  long snapshotBlockNumber() {
    return snapshotBlockNumber;
  }

  /** Answers {@link #LATEST_SNAPSHOT} with this node's latest snapshot, empty without one. */
  @Override
  public CompletableFuture<Message> query(Message request) {
    if (!LATEST_SNAPSHOT.equals(request.getContent().toStringUtf8())) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("unknown query"));
    }
    SingleFileSnapshotInfo latest = storage.getLatestSnapshot();
    if (latest == null) {
      return CompletableFuture.completedFuture(Message.EMPTY);
    }
    try {
      return CompletableFuture.completedFuture(
          Message.valueOf(UnsafeByteOperations.unsafeWrap(Files.readAllBytes(latest.getFile().getPath()))));
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Answers at once, within the leader's notification, so that the leader appends its entries
   * after the snapshot right away and this node stays a follower (a follower that waits for the
   * next notification can time out, stand for election and, in Ratis 3.3.0, find itself with an
   * empty configuration and shut its group down). Only the peer's snapshot is fetched here; the
   * blocks are pulled when Ratis reloads this machine from it ({@link #reinitialize}), on the
   * thread that applies entries, while the log keeps growing.
   */
  @Override
  public CompletableFuture<TermIndex> notifyInstallSnapshotFromLeader(RoleInfoProto roleInfo,
      TermIndex firstTermIndexInLog) {
    RaftPeerId leader = roleInfo.hasFollowerInfo() && roleInfo.getFollowerInfo().hasLeaderInfo()
        ? RaftPeerId.valueOf(roleInfo.getFollowerInfo().getLeaderInfo().getId().getId())
        : null;
    try {
      return CompletableFuture.completedFuture(install(leader, firstTermIndexInLog.getIndex()));
    } catch (IOException | RuntimeException e) {
      log.warn("Installing a Raft snapshot for group {} failed: {}", getGroupId(), e.toString());
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Takes a consenter's latest snapshot at or after {@code firstIndex - 1} (the leader's log holds
   * every entry after it) as this node's own; its blocks are pulled when it is loaded.
   */
  private TermIndex install(RaftPeerId leader, long firstIndex) throws IOException {
    Binding bound = binding.getNow(null);
    if (bound == null) {
      throw new IllegalStateException("the channel's chain has not started yet");
    }
    String channelId = bound.ordering().support().channelId();
    if (firstIndex <= 0) {
      // The leader's log still starts at its first entry: nothing to install. Ratis asks every
      // member added to a group once (a bootstrapping follower), even then; no snapshot (null)
      // makes it answer SNAPSHOT_UNAVAILABLE and send the whole log instead.
      log.info("[channel: {}] The leader's Raft log is whole: receiving it from its start", channelId);
      return null;
    }
    List<RaftPeerId> asked = new ArrayList<>();
    if (leader != null) {
      asked.add(leader);
    }
    for (RaftPeerId peer : bound.peers().peers()) {
      if (!asked.contains(peer)) {
        asked.add(peer);
      }
    }
    for (RaftPeerId peer : asked) {
      try {
        ChannelSnapshot offered = bound.peers().latest(peer);
        if (offered != null && offered.index() >= firstIndex - 1) {
          log.info("[channel: {}] The leader's Raft log starts at index {}, after this node's: installing the "
              + "snapshot of {} at index {} (blocks below {})", channelId, firstIndex, peer, offered.index(),
              offered.nextBlock());
          keep(offered);
          return TermIndex.valueOf(offered.term(), offered.index());
        }
      } catch (IOException | RuntimeException e) {
        log.info("[channel: {}] Consenter {} could not give its latest snapshot: {}", channelId, peer, e.toString());
      }
    }
    throw new IllegalStateException("channel " + channelId + ": no consenter has a snapshot at or after Raft index "
        + (firstIndex - 1));
  }

  /**
   * Pulls the blocks below {@code snapshot}'s next block that the ledger lacks, again and again
   * until it holds them or the chain stops: the node cannot apply anything after the snapshot
   * before (a snapshot installed from a peer, or kept by a node that crashed before it pulled).
   */
  private void pullUntilHeld(Binding bound, ChannelSnapshot snapshot) {
    long waitMillis = 200;
    while (bound.ordering().support().height() < snapshot.nextBlock()) {
      try {
        bound.ordering().pullBlocks(snapshot.nextBlock(), bound.blocks());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ChannelOrdering.ChainStopped(bound.ordering().support().channelId());
      } catch (RuntimeException e) {
        if (bound.ordering().stopped()) {
          throw new ChannelOrdering.ChainStopped(bound.ordering().support().channelId());
        }
        log.warn("[channel: {}] Pulling the blocks below {} for the Raft snapshot at index {} failed; trying again "
            + "in {} ms: {}", bound.ordering().support().channelId(), snapshot.nextBlock(), snapshot.index(),
            waitMillis, e.getMessage());
        try {
          Thread.sleep(waitMillis);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new ChannelOrdering.ChainStopped(bound.ordering().support().channelId());
        }
        waitMillis = Math.min(5_000, waitMillis * 2);
      }
    }
  }
}
