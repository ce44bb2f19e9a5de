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
   * ...or this many bytes, whichever comes first. Small: a group is live data until it is written,
   * and on bin/jorderer's small default heap the collector copies (and promotes) what is live at
   * each young collection. Groups of 8 MB of 0.5 MB blocks brought 0.25-0.6 s collector pauses
   * into a 65-block pull, which then took 3.3-3.5 s against 2.1-2.4 s with an fsync per block
   * (docs/performance.md, "Raft catch-up after a restart"); 2 MB still saves three fsyncs in four.
   */
  static final long MAX_BYTES = 2L << 20;

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
