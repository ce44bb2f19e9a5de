package org.jorderer.consensus.cutter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.DoubleConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.config.BatchSize;

/**
 * Fabric's block cutter ({@code orderer/common/blockcutter/blockcutter.go}; steps in
 * docs/consensus.md): collects ordered envelopes into a pending batch and cuts it by
 * the channel's {@code BatchSize} — MaxMessageCount and PreferredMaxBytes — with an envelope larger
 * than PreferredMaxBytes isolated in a block of its own. AbsoluteMaxBytes is not looked at here
 * (Broadcast's size filter enforces it); BatchTimeout belongs to the consenter's timer.
 *
 * <p>BatchSize is read from the current channel config on every call, so a config change applies
 * to the next envelope. Not thread-safe: one ordering loop owns a cutter.
 */
public final class BlockCutter {
  private final Supplier<ChannelConfig> config;
  private final DoubleConsumer fillDurationSeconds;
  private final LongSupplier nanoTime;

  private List<Envelope> pending = new ArrayList<>();
  private long pendingBytes;
  private long pendingStartNanos;

  /**
   * @param config the channel's current config, read on every call
   * @param fillDurationSeconds receives {@code blockcutter_block_fill_duration} observations
   * @param nanoTime a monotonic clock in nanoseconds ({@code System::nanoTime} outside tests)
   */
  public BlockCutter(Supplier<ChannelConfig> config, DoubleConsumer fillDurationSeconds, LongSupplier nanoTime) {
    this.config = Objects.requireNonNull(config, "config");
    this.fillDurationSeconds = Objects.requireNonNull(fillDurationSeconds, "fillDurationSeconds");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
  }

  public BlockCutter(Supplier<ChannelConfig> config, DoubleConsumer fillDurationSeconds) {
    this(config, fillDurationSeconds, System::nanoTime);
  }

  /**
   * What one {@link #ordered} call produced.
   *
   * @param batches the batches cut by this call, in block order: none, one, or two (an oversized
   *     envelope after a non-empty pending batch, or an overflow after MaxMessageCount was lowered)
   * @param pending whether envelopes are left pending after the call (the batch timer should run)
   */
  public record Ordered(List<List<Envelope>> batches, boolean pending) {
    public Ordered {
      batches = List.copyOf(batches);
    }
  }

  /** Envelope size as Fabric counts it everywhere in cutting: payload bytes + signature bytes. */
  public static long messageSize(Envelope envelope) {
    return (long) envelope.getPayload().size() + envelope.getSignature().size();
  }

  /**
   * Fabric's {@code Ordered}: the steps listed in docs/consensus.md "Block cutter", in exactly that
   * order.
   *
   * @throws IllegalStateException when the channel config has no orderer section (Fabric panics:
   *     an orderer cannot order for such a channel, so this is a programming error upstream)
   */
  public Ordered ordered(Envelope envelope) {
    Objects.requireNonNull(envelope, "envelope");
    if (pending.isEmpty()) {
      pendingStartNanos = nanoTime.getAsLong();
    }
    BatchSize batchSize = batchSize();
    long size = messageSize(envelope);
    List<List<Envelope>> batches = new ArrayList<>(2);

    if (size > batchSize.preferredMaxBytes()) {
      // Isolated: whatever is pending goes first, then this envelope alone; it never waits.
      if (!pending.isEmpty()) {
        batches.add(cut());
      }
      batches.add(List.of(envelope));
      fillDurationSeconds.accept(0);
      return new Ordered(batches, false);
    }

    if (pendingBytes + size > batchSize.preferredMaxBytes()) {
      batches.add(cut());
      pendingStartNanos = nanoTime.getAsLong();
    }

    pending.add(envelope);
    pendingBytes += size;
    boolean stillPending = true;

    if (pending.size() >= batchSize.maxMessageCount()) {
      batches.add(cut());
      stillPending = false;
    }
    return new Ordered(batches, stillPending);
  }

  /**
   * Fabric's {@code Cut}: returns the pending batch (empty when nothing is pending) and resets the
   * cutter. A non-empty cut records the time since the batch's first envelope.
   */
  public List<Envelope> cut() {
    if (pending.isEmpty()) {
      return List.of();
    }
    fillDurationSeconds.accept((nanoTime.getAsLong() - pendingStartNanos) / 1e9);
    // Handed over, not copied: the cutter starts a fresh list and never touches this one again.
    List<Envelope> batch = Collections.unmodifiableList(pending);
    pending = new ArrayList<>();
    pendingBytes = 0;
    pendingStartNanos = 0;
    return batch;
  }

  /** Number of envelopes waiting in the pending batch. */
  public int pendingCount() {
    return pending.size();
  }

  /** The envelopes of the pending batch, in order (a copy; the cutter keeps them). */
  public List<Envelope> pending() {
    return List.copyOf(pending);
  }

  private BatchSize batchSize() {
    ChannelConfig current = config.get();
    if (current == null) {
      throw new IllegalStateException("block cutter: no channel config available");
    }
    return current.orderer()
        .orElseThrow(() -> new IllegalStateException("block cutter: channel " + current.channelId()
            + " has no orderer config (/Channel/Orderer), so it has no BatchSize to cut by"))
        .batchSize();
  }
}
