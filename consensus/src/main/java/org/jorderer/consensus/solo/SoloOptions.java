package org.jorderer.consensus.solo;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * Tuning of a {@link SoloChain}.
 *
 * @param queueCapacity envelopes accepted (acknowledged) but not yet taken by the ordering loop, at
 *     most; further {@code order} calls wait as hand-offs until there is room
 * @param handOffExecutor completes the futures of waiting hand-offs once they are accepted, so that
 *     callers' continuations (Broadcast sending SUCCESS, reading the next message) never run on the
 *     ordering thread
 */
public record SoloOptions(int queueCapacity, Executor handOffExecutor) {
  public static final int DEFAULT_QUEUE_CAPACITY = 1_000;

  public SoloOptions {
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be at least 1, got " + queueCapacity);
    }
    Objects.requireNonNull(handOffExecutor, "handOffExecutor");
  }

  /** 1,000 queued envelopes; hand-offs completed on the common fork-join pool. */
  public static SoloOptions defaults() {
    return new SoloOptions(DEFAULT_QUEUE_CAPACITY, ForkJoinPool.commonPool());
  }

  public SoloOptions withQueueCapacity(int capacity) {
    return new SoloOptions(capacity, handOffExecutor);
  }
}
