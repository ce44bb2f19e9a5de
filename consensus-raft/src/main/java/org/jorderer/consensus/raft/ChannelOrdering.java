package org.jorderer.consensus.raft;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.block.BlockMetadataReader;
import org.jorderer.channel.processor.NormalResult;
import org.jorderer.consensus.ConsenterSupport;
import org.jorderer.consensus.cutter.BlockCutter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deterministic half of a Raft chain: turns the channel's committed Raft entries, in log order,
 * into blocks. It depends only on the entries and on the channel's config, which itself changes
 * only through entries, so every node cuts the same blocks with the same headers and data; each
 * signs its own copy (metadata differs per node, as in Fabric).
 *
 * <ul>
 *   <li>{@link RaftEntry.Envelopes}: each envelope goes through the block cutter (re-checked by the
 *       channel's message processor first when the config moved since Broadcast checked it, as
 *       Fabric's chains do, with the creator's expiry judged at the time the leader stamped on the
 *       entry, {@link RaftEntry.Stamped}); every batch the cutter returns becomes a block.
 *   <li>{@link RaftEntry.ConfigMessage}: the pending batch is cut, then the config envelope is
 *       written alone in its block. One made at an older config sequence is discarded on every node
 *       (re-making it would sign a new envelope on each node, different bytes on each).
 *   <li>{@link RaftEntry.CutMarker}: the leader's batch timer; cuts the pending batch if it is still
 *       the block the marker names.
 * </ul>
 *
 * <p>A client request (Ratis client id and call id) committed twice is applied once: the entry
 * that repeats one of the last 100,000 requests is skipped on every node.
 *
 * <p>Each block's consenter metadata is etcdraft's {@code BlockMetadata} with the index of the
 * entry that cut it. After a restart the log is applied again from the latest snapshot (or from
 * its start when none was taken): blocks below the ledger's height are cut under the config in
 * force at that point of the log and checked against the stored ones (same envelopes, or the chain
 * halts) instead of written.
 *
 * <p>{@link #snapshot} and {@link #restore} carry the state between entries that is not in the
 * ledger ({@link ChannelSnapshot}): the number of the block being filled, the pending envelopes
 * and the remembered requests.
 *
 * <p>Applied on Ratis's updater thread of the group; the batch timer reads the volatile fields.
 */
final class ChannelOrdering {
  private static final Logger log = LoggerFactory.getLogger(ChannelOrdering.class);

  private final ConsenterSupport support;
  private volatile ConsenterSet consenters;
  private final String channelId;
  private final Consumer<Throwable> onFailure;
  private final Consumer<ConsenterSet.Membership> onMembership;
  private static final int REMEMBERED_REQUESTS = 100_000;
  /** The client requests of the last entries applied, oldest first. */
  private final java.util.Set<String> recentRequests = java.util.Collections.newSetFromMap(
      new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, Boolean> eldest) {
          return size() > REMEMBERED_REQUESTS;
        }
      });
  private BlockCutter replayCutter; // while replaying stored blocks
  private ChannelConfig replayConfig; // the config in force at the replay's point of the log
  private volatile long nextBlock;
  private volatile long pendingSinceNanos;
  private volatile int pending;
  private volatile boolean stopped;
  private volatile long firstApplied = -1;

  /**
   * @param firstBlock the number of the first block this group's log cuts (the ledger's height
   *     when this node's group was made)
   */
  ChannelOrdering(ConsenterSupport support, ConsenterSet consenters, long firstBlock, Consumer<Throwable> onFailure) {
    this(support, consenters, firstBlock, onFailure, changes -> {});
  }

  /**
   * @param onMembership told, on the applying thread, after a config block that changes the
   *     consenters was written (with the new set and what changed)
   */
  ChannelOrdering(ConsenterSupport support, ConsenterSet consenters, long firstBlock, Consumer<Throwable> onFailure,
      Consumer<ConsenterSet.Membership> onMembership) {
    this.onMembership = Objects.requireNonNull(onMembership, "onMembership");
    this.support = Objects.requireNonNull(support, "support");
    this.consenters = Objects.requireNonNull(consenters, "consenters");
    this.channelId = support.channelId();
    this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
    this.nextBlock = firstBlock;
  }

  ConsenterSupport support() {
    return support;
  }

  /** The state after the entries applied so far, the last of them at {@code index}. */
  synchronized ChannelSnapshot snapshot(long term, long index) {
    List<Envelope> pendingEnvelopes;
    if (replayCutter != null) {
      pendingEnvelopes = replayCutter.pending();
    } else if (replaying()) {
      pendingEnvelopes = List.of();
    } else {
      pendingEnvelopes = support.blockCutter().pending();
    }
    return new ChannelSnapshot(term, index, nextBlock, pendingEnvelopes, List.copyOf(recentRequests));
  }

  /**
   * Continues from {@code snapshot}'s state, whatever this ordering held before (a restart, or a
   * snapshot installed after pulling the blocks it needs). The ledger must hold every block below
   * the snapshot's {@code nextBlock}; blocks above are checked when the entries after the snapshot
   * cut them again.
   *
   * @throws IllegalStateException when the ledger is behind the snapshot, or the pending envelopes
   *     would cut a block under the config in force at the snapshot's point
   */
  synchronized void restore(ChannelSnapshot snapshot) {
    long height = support.height();
    if (snapshot.nextBlock() > height) {
      throw new IllegalStateException("channel " + channelId + ": the Raft snapshot at index " + snapshot.index()
          + " continues at block " + snapshot.nextBlock() + " but the ledger's height is only " + height);
    }
    recentRequests.clear();
    recentRequests.addAll(snapshot.recentRequests());
    replayCutter = null;
    replayConfig = null;
    support.blockCutter().cut(); // whatever the live cutter held belongs to a state left behind
    nextBlock = snapshot.nextBlock();
    for (Envelope envelope : snapshot.pending()) {
      if (!cutter().ordered(envelope).batches().isEmpty()) {
        throw new IllegalStateException("channel " + channelId + ": the envelopes pending in the Raft snapshot at "
            + "index " + snapshot.index() + " cut a block; the snapshot and the ledger disagree");
      }
    }
    pending = snapshot.pending().size();
    pendingSinceNanos = System.nanoTime();
    log.info("[channel: {}] Continuing from the Raft snapshot at index {}: block {} is next, {} envelopes pending",
        channelId, snapshot.index(), nextBlock, pending);
  }

  /**
   * Pulls, verified, the blocks from the ledger's height up to {@code nextBlock - 1} from the
   * channel's other orderers and appends them (a node behind a snapshot it installs).
   */
  void pullBlocks(long nextBlock, BlockSource source) throws InterruptedException {
    long height = support.height();
    if (height >= nextBlock) {
      return;
    }
    log.info("[channel: {}] Pulling blocks {} to {} from the channel's orderers", channelId, height, nextBlock - 1);
    // Verified blocks are written in groups, one fsync each (PulledBlockBatch); those verified
    // before a failure are kept too, so the next attempt goes on after them.
    PulledBlockBatch batch = new PulledBlockBatch(support::appendPulled);
    try {
      source.pull(channelId, support.block(height - 1), support.config(), nextBlock - 1, batch);
    } catch (RuntimeException | InterruptedException e) {
      try {
        batch.flush();
      } catch (RuntimeException writeFailure) {
        e.addSuppressed(writeFailure);
      }
      throw e;
    }
    batch.flush();
  }

  /** The index of the first entry this ordering applied, or -1 before the first. */
  long firstAppliedIndex() {
    return firstApplied;
  }

  /** The number of the block being filled. */
  long nextBlock() {
    return nextBlock;
  }

  /** The consenters as of the last block written. */
  ConsenterSet consenters() {
    return consenters;
  }

  /** Envelopes in the pending batch. */
  int pending() {
    return pending;
  }

  /** {@link System#nanoTime} when the pending batch got its first envelope on this node. */
  long pendingSinceNanos() {
    return pendingSinceNanos;
  }

  /** Thrown for entries applied after the chain stopped: Ratis stops applying, nothing is written. */
  static final class ChainStopped extends IllegalStateException {
    ChainStopped(String channelId) {
      super(text(channelId));
    }

    private static String text(String channelId) {
      return "Raft chain of channel " + channelId + " is halted";
    }

    /**
     * Whether {@code failure} is, or carries the text of, a {@code ChainStopped} of the channel: a
     * node whose chain had stopped failed to apply an entry. Ratis sends a state machine's failure
     * to the client as a {@code StateMachineException} with the cause's text only.
     */
    static boolean describes(Throwable failure, String channelId) {
      String wanted = text(channelId);
      for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
        if (t instanceof ChainStopped || (t.getMessage() != null && t.getMessage().contains(wanted))) {
          return true;
        }
      }
      return false;
    }
  }

  boolean stopped() {
    return stopped;
  }

  /** Entries applied after this are not written (the chain halted). */
  void stop() {
    stopped = true;
  }

  void failed(Throwable e) {
    stopped = true;
    onFailure.accept(e);
  }

  /**
   * Applies one committed entry. Returns what the proposer is told: empty when applied, otherwise
   * why the entry was discarded.
   */
  synchronized String apply(long index, String requestId, RaftEntry entry) {
    if (stopped) {
      throw new ChainStopped(channelId);
    }
    if (firstApplied < 0) {
      firstApplied = index;
    }
    if (!recentRequests.add(requestId)) {
      // The same client request committed twice (a retry that reached a new leader before the
      // first copy was applied there): applied once, on every node alike, since the log decides.
      log.debug("[channel: {}] Raft entry {} repeats request {}; not applied again", channelId, index, requestId);
      return "";
    }
    // The leader's time when the entry entered the log: what re-checks judge expiry by, on every
    // node alike. Entries logged before leaders stamped them fall back to this node's clock.
    java.time.Instant leaderTime = null;
    if (entry instanceof RaftEntry.Stamped stamped) {
      leaderTime = stamped.leaderTime();
      entry = stamped.entry();
    }
    String outcome = "";
    if (entry instanceof RaftEntry.Envelopes batch) {
      java.time.Instant at = leaderTime != null ? leaderTime : support.processor().clock().instant();
      for (RaftEntry.Ordered ordered : batch.envelopes()) {
        orderNormal(index, ordered, at);
      }
    } else if (entry instanceof RaftEntry.ConfigMessage config) {
      outcome = orderConfig(index, config);
    } else if (entry instanceof RaftEntry.CutMarker cut) {
      if (cut.blockNumber() == nextBlock && cutter().pendingCount() > 0) {
        write(index, cutter().cut(), false);
      }
    }
    pending = cutter().pendingCount();
    return outcome;
  }

  /**
   * Fabric's etcdraft {@code ordered} for a normal envelope: checked again by the message processor
   * when the config moved since Broadcast checked it, then given to the block cutter.
   *
   * @param at the time the re-check judges the creator's expiry by: the leader's stamp on the entry
   */
  private void orderNormal(long index, RaftEntry.Ordered ordered, java.time.Instant at) {
    // Replayed envelopes of blocks already written are checked against those blocks instead.
    if (!replaying() && ordered.configSequence() < support.sequence()) {
      NormalResult result = support.processor().processNormalAt(ordered.envelope(), at);
      if (!result.accepted()) {
        log.warn("[channel: {}] Discarding bad normal message: {}", channelId, result.verdict().info());
        return;
      }
    }
    if (cutter().pendingCount() == 0) {
      pendingSinceNanos = System.nanoTime();
    }
    BlockCutter.Ordered cut = cutter().ordered(ordered.envelope());
    for (List<Envelope> batch : cut.batches()) {
      write(index, batch, false);
    }
    if (cut.batches().size() > 0 && cut.pending()) {
      pendingSinceNanos = System.nanoTime();
    }
  }

  private String orderConfig(long index, RaftEntry.ConfigMessage config) {
    boolean replay = replaying();
    if (!replay && config.configSequence() < support.sequence()) {
      String why = "config update made at config sequence " + config.configSequence()
          + " discarded: the channel's config moved to sequence " + support.sequence() + " meanwhile";
      log.warn("[channel: {}] {}", channelId, why);
      return why;
    }
    write(index, cutter().cut(), false);
    write(index, List.of(config.envelope()), true);
    return "";
  }

  private boolean replaying() {
    return nextBlock < support.height();
  }

  /**
   * The live cutter, or while replaying blocks already stored a cutter that reads the config in
   * force at that point of the log (the live one reads today's, whose BatchSize may differ). When
   * the replay reaches the ledger's height its pending envelopes move to the live cutter; the
   * config is then the same, so they stay pending there as they did on the nodes that ran live.
   */
  private BlockCutter cutter() {
    if (!replaying()) {
      if (replayCutter != null) {
        List<Envelope> pendingEnvelopes = replayCutter.cut();
        replayCutter = null;
        replayConfig = null;
        for (Envelope envelope : pendingEnvelopes) {
          if (!support.blockCutter().ordered(envelope).batches().isEmpty()) {
            throw new IllegalStateException("channel " + channelId + ": the envelopes pending after replaying the "
                + "Raft log cut a block under the current config; the log and the config disagree");
          }
        }
      }
      return support.blockCutter();
    }
    if (replayCutter == null) {
      replayConfig = configAt(nextBlock - 1);
      replayCutter = new BlockCutter(() -> replayConfig, seconds -> {});
    }
    return replayCutter;
  }

  /** The config in force after block {@code number}: that of its last config block. */
  private ChannelConfig configAt(long number) {
    long lastConfig = BlockMetadataReader.lastConfigIndex(support.block(number));
    return ChannelConfig.fromConfigBlock(support.block(lastConfig), support.signer().crypto());
  }

  private void write(long index, List<Envelope> batch, boolean configBlock) {
    if (batch.isEmpty()) {
      return;
    }
    long number = nextBlock;
    long height = support.height();
    if (number < height) {
      checkStored(number, batch);
      if (configBlock) {
        replayConfig = ChannelConfig.fromConfigBlock(support.block(number), support.signer().crypto());
      }
    } else if (number == height) {
      Block block = support.createNextBlock(batch);
      if (configBlock) {
        // Fabric's writeConfigBlock: the consenter ids of the new config (ComputeMembershipChanges)
        // go into the config block's own metadata.
        ConsenterSet.Membership changes = membership(block);
        ConsenterSet after = changes == null ? consenters : changes.next();
        support.writeConfigBlock(block, after.blockMetadata(index).toByteString());
        consenters = after;
        if (changes != null && changes.changed()) {
          log.info("[channel: {}] Config block {} changes the consenters: {} added, {} removed; now ids {}", channelId,
              number, changes.added().size(), changes.removed().size(),
              after.members().stream().map(ConsenterSet.Member::id).toList());
          onMembership.accept(changes);
        }
      } else {
        ByteString metadata = consenters.blockMetadata(index).toByteString();
        support.writeBlock(block, metadata);
      }
    } else {
      throw new IllegalStateException("channel " + channelId + ": Raft entry " + index + " cuts block " + number
          + " but the ledger's height is " + height);
    }
    nextBlock = number + 1;
  }

  /** The consenters a config block's config names, or null when it is not an etcdraft config. */
  private ConsenterSet.Membership membership(Block configBlock) {
    ChannelConfig next = ChannelConfig.fromConfigBlock(configBlock, support.signer().crypto());
    var orderer = next.orderer();
    if (orderer.isEmpty() || !RaftConsenter.TYPE.equals(orderer.get().consensusType().type())) {
      return null;
    }
    try {
      return consenters.next(org.hyperledger.fabric.protos.orderer.etcdraft.ConfigMetadata.parseFrom(
          orderer.get().consensusType().metadata()));
    } catch (com.google.protobuf.InvalidProtocolBufferException | IllegalArgumentException e) {
      // Fabric panics here too ("illegal configuration change detected"): validation let it pass.
      throw new IllegalStateException("channel " + channelId + ": illegal configuration change detected: "
          + e.getMessage(), e);
    }
  }

  private void checkStored(long number, List<Envelope> batch) {
    Block stored = support.block(number);
    boolean same = stored.getData().getDataCount() == batch.size();
    for (int i = 0; same && i < batch.size(); i++) {
      same = stored.getData().getData(i).equals(batch.get(i).toByteString());
    }
    if (!same) {
      throw new IllegalStateException("channel " + channelId + ": replaying the Raft log cuts block " + number
          + " differently from the stored block (" + batch.size() + " envelopes, stored "
          + stored.getData().getDataCount() + ")");
    }
  }
}
