package org.jorderer.consensus.solo;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import org.jorderer.consensus.OrderingQueue;

/**
 * Tuning of a {@link SoloChain}.
 *
 * @param queueCapacity envelopes accepted (acknowledged) but not yet taken by the ordering loop, at
 *     most; further {@code order} calls wait as hand-offs until there is room
 * @param queueBytes the bytes of those envelopes, at most (one envelope alone may be larger): the
 *     ordering thread also holds what it took last, so a channel's queue costs up to twice this
 * @param handOffExecutor completes the futures of waiting hand-offs once they are accepted, so that
 *     callers' continuations (Broadcast sending SUCCESS, reading the next message) never run on the
 *     ordering thread
 */
public record SoloOptions(int queueCapacity, long queueBytes, Executor handOffExecutor) {
  public static final int DEFAULT_QUEUE_CAPACITY = 1_000;

  public SoloOptions {
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be at least 1, got " + queueCapacity);
    }
    if (queueBytes < 1) {
      throw new IllegalArgumentException("queueBytes must be at least 1, got " + queueBytes);
    }
    Objects.requireNonNull(handOffExecutor, "handOffExecutor");
  }

  public SoloOptions(int queueCapacity, Executor handOffExecutor) {
    this(queueCapacity, defaultQueueBytes(), handOffExecutor);
  }

  /**
   * 1,000 queued envelopes and a sixteenth of the maximum heap (64 MiB of a 1 GiB heap: a thousand
   * ordinary transactions of a few KB fit many times over, while envelopes of several MiB stop at
   * a few); hand-offs completed on the common fork-join pool.
   */
  public static SoloOptions defaults() {
    return new SoloOptions(DEFAULT_QUEUE_CAPACITY, ForkJoinPool.commonPool());
  }

  /** {@link OrderingQueue#defaultMaxBytes}, the byte bound every consensus type's queue has by default. */
  static long defaultQueueBytes() {
    return OrderingQueue.defaultMaxBytes();
  }

  public SoloOptions withQueueCapacity(int capacity) {
    return new SoloOptions(capacity, queueBytes, handOffExecutor);
  }

  public SoloOptions withQueueBytes(long bytes) {
    return new SoloOptions(queueCapacity, bytes, handOffExecutor);
  }
}
