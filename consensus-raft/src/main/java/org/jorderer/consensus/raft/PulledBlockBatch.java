package org.jorderer.consensus.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.hyperledger.fabric.protos.common.Block;

/**
 * Gathers the verified blocks a {@link BlockSource} hands over while a node catches up and
 * appends them in groups, one fsync per group ({@code ConsenterSupport.appendPulled(List)}),
 * instead of one fsync per block (docs/raft.md, "Snapshots and onboarding"). Nothing relies on a
 * pulled block before the pull returns: Raft applies the entries after the snapshot only then, and
 * a node stopped mid-pull pulls again from its ledger's height at its next start. So the blocks
 * are durable at the same point as before, once {@link #flush} returns at the end of the pull.
 */
final class PulledBlockBatch implements Consumer<Block> {
  /** A group is written once it holds this many blocks... */
  static final int MAX_BLOCKS = 64;
  /**
   * ...or this many bytes, whichever comes first. Small enough that a group does not outgrow the
   * young generation of bin/jorderer's small default heap (a group held until its write is live
   * data the collector copies), large enough that the fsyncs are few: 16 blocks of 0.5 MB.
   */
  static final long MAX_BYTES = 8L << 20;

  private final Consumer<List<Block>> append;
  private final List<Block> pending = new ArrayList<>();
  private long pendingBytes;

  /** @param append appends consecutive blocks durably, in order */
  PulledBlockBatch(Consumer<List<Block>> append) {
    this.append = append;
  }

  @Override
  public void accept(Block block) {
    pending.add(block);
    pendingBytes += block.getSerializedSize();
    if (pending.size() >= MAX_BLOCKS || pendingBytes >= MAX_BYTES) {
      flush();
    }
  }

  /** Appends the blocks gathered so far; when it returns they are durable. */
  void flush() {
    if (pending.isEmpty()) {
      return;
    }
    List<Block> group = List.copyOf(pending);
    pending.clear();
    pendingBytes = 0;
    append.accept(group);
  }
}
