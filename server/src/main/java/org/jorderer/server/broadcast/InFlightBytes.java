package org.jorderer.server.broadcast;

import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide budget of Broadcast bytes in flight: envelopes received from clients and not yet
 * answered, over all Broadcast streams together (docs/broadcast.md, "Memory and back-pressure").
 *
 * <p>A stream asks gRPC for its next message only once it has reserved room for it here
 * ({@link #tryReserve}): as many bytes as its last envelope had (the next is most likely alike), or
 * nothing for a stream's first message, whose size nothing hints at. A reservation is granted while
 * less than the limit is held, so one envelope larger than the whole budget still gets in when
 * nothing else is held. When the message arrives, the reservation is corrected to its real size
 * ({@link #charge}); the bytes are released once it is answered or dropped. What is held beyond the
 * limit is thus at most one message per stream that has not sent before, plus what a stream's
 * envelope exceeds its previous one by: a stream cannot multiply its share by reading ahead.
 *
 * <p>A stream that finds no room waits ({@link #whenRoom}) without failing; its client sees only
 * HTTP/2 back-pressure. Waiting streams are let in one at a time, in the order they came, each
 * with its reservation made before it is woken, so that a release does not let every waiting
 * stream in at once.
 *
 * <p>The cost on the hot path is one atomic update per reservation, arrival and answer, and a
 * volatile read of the number of waiters on release.
 */
public final class InFlightBytes {
  /** The system property that sets the limit, in bytes or with a k/m/g suffix (binary units). */
  public static final String PROPERTY = "jorderer.broadcast.maxInFlightBytes";
  /** By default the budget is this fraction of the maximum heap ({@link Runtime#maxMemory}). */
  static final int HEAP_DIVISOR = 4;

  private final long limit;
  private final AtomicLong used = new AtomicLong();
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>(); // guarded by itself
  private volatile int waiting; // waiters.size(), read without the lock on release

  private record Waiter(long reserve, Runnable granted) {}

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

  /** Whether a reservation would be granted now: less than the limit is held. */
  boolean hasRoom() {
    return used.get() < limit;
  }

  /** Reserves {@code bytes} if less than the limit is held (whatever {@code bytes} is); else nothing. */
  boolean tryReserve(long bytes) {
    long now;
    do {
      now = used.get();
      if (now >= limit) {
        return false;
      }
    } while (!used.compareAndSet(now, now + bytes));
    return true;
  }

  /** Counts bytes that arrived beyond what was reserved for them (negative: fewer than reserved). */
  void charge(long bytes) {
    if (bytes > 0) {
      used.addAndGet(bytes);
    } else {
      release(-bytes);
    }
  }

  /** Releases bytes answered, dropped or no longer reserved, and lets waiting streams in if there is room now. */
  void release(long bytes) {
    if (bytes == 0) {
      return;
    }
    long now = used.addAndGet(-bytes);
    if (now < limit && waiting > 0) {
      admitWaiters();
    }
  }

  /**
   * Runs {@code granted} once {@code reserve} bytes are reserved for the caller: at once if there is
   * room now, otherwise when a release makes some, after the streams that waited before it.
   */
  void whenRoom(long reserve, Runnable granted) {
    synchronized (waiters) {
      waiters.add(new Waiter(reserve, granted));
      waiting = waiters.size();
    }
    // Checked after joining the queue: a release between the caller's check and the add sees the
    // waiter, or this sees the release.
    admitWaiters();
  }

  private void admitWaiters() {
    while (true) {
      Waiter admitted;
      synchronized (waiters) {
        Waiter first = waiters.peek();
        if (first == null || !tryReserve(first.reserve())) {
          return;
        }
        admitted = waiters.poll();
        waiting = waiters.size();
      }
      admitted.granted().run();
    }
  }

  /** Streams waiting for room (for tests and diagnostics). */
  int waiting() {
    return waiting;
  }
}
