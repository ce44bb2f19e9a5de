package org.jorderer.server.broadcast;

import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide budget of Broadcast bytes in flight: envelopes received from clients and not yet
 * answered, over all Broadcast streams together (docs/broadcast.md, "Memory and back-pressure").
 *
 * <p>A stream asks gRPC for its next message only while {@link #hasRoom}; a message is counted
 * ({@link #charge}) once it has arrived, since its size is not known before, and released once it
 * is answered or dropped. So the bytes held are at most the limit plus one message per stream (the
 * one each may have asked for), and one envelope larger than the whole budget still gets in when
 * nothing else is held (the budget is never "full" at zero). A stream that finds no room waits
 * ({@link #whenRoom}) without failing: its client sees only HTTP/2 back-pressure.
 *
 * <p>The cost on the hot path is one atomic add per arrival and one per answer, and a volatile read
 * of the waiters when there is room.
 */
public final class InFlightBytes {
  /** The system property that sets the limit, in bytes or with a k/m/g suffix (binary units). */
  public static final String PROPERTY = "jorderer.broadcast.maxInFlightBytes";
  /** By default the budget is this fraction of the maximum heap ({@link Runtime#maxMemory}). */
  static final int HEAP_DIVISOR = 4;

  private final long limit;
  private final AtomicLong used = new AtomicLong();
  private final ConcurrentLinkedQueue<Runnable> waiters = new ConcurrentLinkedQueue<>();

  public InFlightBytes(long limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("the Broadcast in-flight budget must be at least 1 byte, got " + limit);
    }
    this.limit = limit;
  }

  /**
   * The budget for this process: {@value #PROPERTY} when set, otherwise a quarter of the maximum
   * heap (an envelope held costs about its size on the heap, and checking one parses its payload
   * again, so a quarter leaves room for that and for the chains' queues and blocks).
   */
  public static InFlightBytes forThisProcess() {
    String configured = System.getProperty(PROPERTY);
    if (configured != null && !configured.isBlank()) {
      return new InFlightBytes(parseBytes(configured));
    }
    return new InFlightBytes(Math.max(1, Runtime.getRuntime().maxMemory() / HEAP_DIVISOR));
  }

  /** {@code 268435456}, {@code 256m}, {@code 256MiB}, {@code 1g}: binary units, as the JVM's -Xmx. */
  static long parseBytes(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.endsWith("ib")) {
      t = t.substring(0, t.length() - 2);
    } else if (t.endsWith("b")) {
      t = t.substring(0, t.length() - 1);
    }
    long unit = 1;
    if (!t.isEmpty()) {
      switch (t.charAt(t.length() - 1)) {
        case 'k' -> unit = 1L << 10;
        case 'm' -> unit = 1L << 20;
        case 'g' -> unit = 1L << 30;
        default -> unit = 1;
      }
    }
    String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
    try {
      long value = Long.parseLong(digits.trim());
      if (value < 1) {
        throw new NumberFormatException();
      }
      return Math.multiplyExact(value, unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(PROPERTY + ": '" + text
          + "' is not a size in bytes (a positive number, optionally with k, m or g)", e);
    }
  }

  public long limit() {
    return limit;
  }

  /** Bytes received and not yet released. */
  public long used() {
    return used.get();
  }

  /** Whether a stream may ask for one more message: less than the limit is held. */
  boolean hasRoom() {
    return used.get() < limit;
  }

  /** Counts a message that has arrived. */
  void charge(long bytes) {
    used.addAndGet(bytes);
  }

  /** Releases a message answered or dropped, and wakes the streams waiting for room if there is some now. */
  void release(long bytes) {
    if (bytes == 0) {
      return;
    }
    long now = used.addAndGet(-bytes);
    if (now < limit && !waiters.isEmpty()) {
      wakeAll();
    }
  }

  /**
   * Runs {@code wake} once, when there is room: now if there is already, otherwise on a later
   * release. Every waiter is woken at once; each then asks for one message at most.
   */
  void whenRoom(Runnable wake) {
    waiters.add(wake);
    // Checked after joining the queue: a release between the caller's check and the add sees the
    // waiter, or this check sees the release.
    if (hasRoom()) {
      wakeAll();
    }
  }

  private void wakeAll() {
    Runnable wake;
    while (hasRoom() && (wake = waiters.poll()) != null) {
      wake.run();
    }
  }

  /** Streams waiting for room (for tests and diagnostics). */
  int waiting() {
    return waiters.size();
  }
}
