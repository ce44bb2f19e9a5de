package org.jorderer.consensus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * The bounded hand-over between callers (Broadcast) and one chain's ordering thread, with its
 * back-pressure. Fabric hands messages to a chain synchronously (solo's unbuffered Go channel,
 * Raft's submit); here {@link #offer} never blocks: up to {@code capacity} items are accepted at
 * once (the future is already complete), beyond that an item waits as a hand-off whose future
 * completes when the ordering thread makes room. A caller that waits for its future before reading
 * more from its client pushes back on that client, so memory is the queue plus one hand-off per
 * caller. A hand-off whose future the caller cancelled is dropped, never ordered.
 *
 * <p>The queue is bounded in items and, when given a size for them, in bytes: an item is accepted
 * while it fits under {@code maxBytes} with those already queued, and always into an empty queue
 * (so one item larger than the bound still goes through, alone). Large envelopes would otherwise
 * fill the heap long before {@code capacity} of them are queued (docs/performance.md, "Memory").
 *
 * <p>Shared by every consensus: the solo chain takes from it in its loop; a Raft chain takes from it
 * to propose. States: open; closing ({@link #close}: new and waiting items refused, accepted ones
 * still taken); halted ({@link #halt}: everything dropped).
 *
 * @param <T> what is ordered (an envelope with the config sequence it was checked at)
 */
public final class OrderingQueue<T> {

  /** What {@link #take} found. */
  public enum Taken {
    /** Items were moved into the caller's list. */
    ITEMS,
    /** The deadline passed with nothing to take. */
    DEADLINE,
    /** Closing, and every accepted item has been taken: the chain may finish. */
    DRAINED,
    /** Halted: the chain must stop at once. */
    HALTED
  }

  private enum State {
    OPEN,
    CLOSING,
    HALTED
  }

  private record HandOff<T>(T item, long size, CompletableFuture<Void> accepted) {}

  /** The default byte bound is this fraction of the maximum heap, and at least {@link #MIN_DEFAULT_BYTES}. */
  static final int DEFAULT_HEAP_DIVISOR = 16;
  static final long MIN_DEFAULT_BYTES = 4L << 20;

  /**
   * The byte bound of a channel's queue when none is configured, for every consensus type: a
   * sixteenth of the maximum heap (64 MiB of a 1 GiB heap: a thousand ordinary transactions of a
   * few KB fit many times over, while envelopes of several MiB stop at a few), at least 4 MiB.
   */
  public static long defaultMaxBytes() {
    return Math.max(MIN_DEFAULT_BYTES, Runtime.getRuntime().maxMemory() / DEFAULT_HEAP_DIVISOR);
  }

  private final int capacity;
  private final long maxBytes;
  private final ToLongFunction<? super T> sizeOf;
  private long queuedBytes; // guarded by lock
  private final Executor handOffExecutor;
  private final Supplier<? extends RuntimeException> refusal;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final ArrayDeque<T> queue; // guarded by lock; never more than capacity
  private final ArrayDeque<HandOff<T>> waiting = new ArrayDeque<>(); // guarded by lock
  private State state = State.OPEN; // guarded by lock
  // While set, offers fail with it: the chain cannot write its ledger for now (a full disk).
  private RuntimeException stalled; // guarded by lock

  /**
   * @param capacity items accepted and not yet taken, at most
   * @param handOffExecutor completes the futures of waiting hand-offs once they are accepted, so
   *     that callers' continuations never run on the ordering thread
   * @param refusal the failure of an {@code offer} while closing or halted (solo: "Exiting")
   */
  public OrderingQueue(int capacity, Executor handOffExecutor, Supplier<? extends RuntimeException> refusal) {
    this(capacity, Long.MAX_VALUE, item -> 0, handOffExecutor, refusal);
  }

  /**
   * As above, bounded in bytes too.
   *
   * @param maxBytes the bytes of items accepted and not yet taken, at most (one item alone may be larger)
   * @param sizeOf an item's size in bytes
   */
  public OrderingQueue(int capacity, long maxBytes, ToLongFunction<? super T> sizeOf, Executor handOffExecutor,
      Supplier<? extends RuntimeException> refusal) {
    if (capacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be at least 1, got " + capacity);
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("queueBytes must be at least 1, got " + maxBytes);
    }
    this.capacity = capacity;
    this.maxBytes = maxBytes;
    this.sizeOf = Objects.requireNonNull(sizeOf, "sizeOf");
    this.handOffExecutor = Objects.requireNonNull(handOffExecutor, "handOffExecutor");
    this.refusal = Objects.requireNonNull(refusal, "refusal");
    this.queue = new ArrayDeque<>(Math.min(capacity, 65_536));
  }

  /**
   * Accepts the item (the future is complete on return) or, when the queue is full, returns a
   * pending future that completes once the ordering thread has made room; a failed future while
   * closing or halted.
   */
  public CompletableFuture<Void> offer(T item) {
    Objects.requireNonNull(item, "item");
    long size = sizeOf.applyAsLong(item);
    lock.lock();
    try {
      if (state != State.OPEN) {
        return CompletableFuture.failedFuture(refusal.get());
      }
      if (stalled != null) {
        // Not acknowledged, so nothing is at stake: the client sends again once the chain writes.
        return CompletableFuture.failedFuture(stalled);
      }
      if (waiting.isEmpty() && fits(size)) {
        queue.add(item);
        queuedBytes += size;
        if (queue.size() == 1) {
          // The taker only ever sleeps on an empty queue, so only the first arrival needs to wake it.
          wake.signal();
        }
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> accepted = new CompletableFuture<>();
      waiting.add(new HandOff<>(item, size, accepted));
      return accepted;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until there is something to take, the deadline passes, the queue is drained while
   * closing, or it is halted; then moves every accepted item into {@code into} (one lock round per
   * wake-up, not per item) and lets waiting hand-offs into the room this made.
   *
   * @param deadlineNanos a {@link System#nanoTime} deadline, used only when {@code hasDeadline}
   */
  public Taken take(List<T> into, boolean hasDeadline, long deadlineNanos) throws InterruptedException {
    List<CompletableFuture<Void>> nowAccepted = new ArrayList<>();
    Taken taken;
    lock.lock();
    try {
      if (queue.isEmpty() && state == State.OPEN) {
        // Before sleeping, let a producer that is running on this CPU go on once: it then adds
        // what it has (cheap while this thread is not waiting) and this thread takes a batch,
        // instead of being woken, and preempting the producer, for every single item. Under
        // Fabric's broadcast_msg load with the server on one CPU, the wake-up per envelope was
        // about a tenth of the server's CPU (docs/performance.md). Go's channels behave the same
        // way: a receiver made ready does not preempt the sender.
        lock.unlock();
        try {
          Thread.yield();
        } finally {
          lock.lock();
        }
      }
      while (queue.isEmpty() && state == State.OPEN) {
        if (!hasDeadline) {
          wake.await();
        } else {
          long left = deadlineNanos - System.nanoTime();
          if (left <= 0) {
            break;
          }
          wake.awaitNanos(left);
        }
      }
      if (state == State.HALTED) {
        return Taken.HALTED;
      }
      if (queue.isEmpty()) {
        taken = state == State.CLOSING ? Taken.DRAINED : Taken.DEADLINE;
      } else {
        into.addAll(queue);
        queue.clear();
        queuedBytes = 0;
        admitWaiting(nowAccepted);
        taken = Taken.ITEMS;
      }
    } finally {
      lock.unlock();
    }
    completeAccepted(nowAccepted);
    return taken;
  }

  /**
   * Stops accepting: later offers and waiting hand-offs (never acknowledged) fail; accepted items
   * are still taken, after which {@link #take} answers {@link Taken#DRAINED}.
   */
  public void close() {
    List<HandOff<T>> refused;
    lock.lock();
    try {
      if (state != State.OPEN) {
        return;
      }
      state = State.CLOSING;
      refused = new ArrayList<>(waiting);
      waiting.clear();
      wake.signalAll();
    } finally {
      lock.unlock();
    }
    refused.forEach(h -> h.accepted().completeExceptionally(refusal.get()));
  }

  /**
   * Drops everything: accepted items are not ordered, waiting hand-offs fail, {@link #take} answers
   * {@link Taken#HALTED}. Returns the number of accepted items dropped, or -1 when already halted.
   */
  public int halt() {
    List<HandOff<T>> abandoned;
    int dropped;
    lock.lock();
    try {
      if (state == State.HALTED) {
        return -1;
      }
      state = State.HALTED;
      dropped = queue.size();
      queue.clear();
      queuedBytes = 0;
      abandoned = new ArrayList<>(waiting);
      waiting.clear();
      wake.signalAll();
    } finally {
      lock.unlock();
    }
    abandoned.forEach(h -> h.accepted().completeExceptionally(refusal.get()));
    return dropped;
  }

  /**
   * Refuses new offers with {@code why} until {@link #unstall}, and fails the waiting hand-offs
   * (never acknowledged) with it now rather than keep their clients waiting; accepted items stay.
   */
  public void stall(RuntimeException why) {
    Objects.requireNonNull(why, "why");
    List<HandOff<T>> refused;
    lock.lock();
    try {
      stalled = why;
      refused = new ArrayList<>(waiting);
      waiting.clear();
    } finally {
      lock.unlock();
    }
    refused.forEach(h -> h.accepted().completeExceptionally(why));
  }

  /** Accepts offers again after {@link #stall}. */
  public void unstall() {
    lock.lock();
    try {
      stalled = null;
    } finally {
      lock.unlock();
    }
  }

  public boolean isOpen() {
    lock.lock();
    try {
      return state == State.OPEN;
    } finally {
      lock.unlock();
    }
  }

  /** Items accepted and not yet taken. */
  public int queued() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Items waiting for room (their futures are pending). */
  public int waitingHandOffs() {
    lock.lock();
    try {
      return waiting.size();
    } finally {
      lock.unlock();
    }
  }

  /** Whether an item of {@code size} bytes may join the queue now; caller holds the lock. */
  private boolean fits(long size) {
    return queue.isEmpty() || (queue.size() < capacity && queuedBytes + size <= maxBytes);
  }

  /** Bytes of the items accepted and not yet taken. */
  public long queuedBytes() {
    lock.lock();
    try {
      return queuedBytes;
    } finally {
      lock.unlock();
    }
  }

  /** Moves waiting hand-offs into the queue, in order, while they fit; caller holds the lock. */
  private void admitWaiting(List<CompletableFuture<Void>> nowAccepted) {
    while (!waiting.isEmpty()) {
      HandOff<T> handOff = waiting.peek();
      if (handOff.accepted().isDone()) {
        waiting.poll();
        continue; // the caller gave up (cancelled): it was never acknowledged, so it is not ordered
      }
      if (!fits(handOff.size())) {
        return;
      }
      waiting.poll();
      queue.add(handOff.item());
      queuedBytes += handOff.size();
      nowAccepted.add(handOff.accepted());
    }
  }

  private void completeAccepted(List<CompletableFuture<Void>> nowAccepted) {
    for (CompletableFuture<Void> future : nowAccepted) {
      try {
        handOffExecutor.execute(() -> future.complete(null));
      } catch (RejectedExecutionException e) {
        future.complete(null);
      }
    }
  }
}
