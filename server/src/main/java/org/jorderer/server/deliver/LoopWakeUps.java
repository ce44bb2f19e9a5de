package org.jorderer.server.deliver;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streams of one event loop that a new block woke, run on that loop {@link #BATCH} at a time.
 * Between two batches the loop runs the flushes their writes scheduled (gRPC's {@code WriteQueue}
 * queues its flush on the same loop), so each batch's frames reach the socket and their transport
 * buffers go back to the loop's pool before the next batch takes new ones: a block waking 5,000
 * streams then reuses a few hundred kilobytes of pooled buffers instead of holding one buffer per
 * stream at once, which made Netty allocate (and the JVM zero) fresh 4 MiB chunks at every
 * fan-out. The first streams' block also leaves before the last ones are woken.
 */
final class LoopWakeUps implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(LoopWakeUps.class);
  static final int BATCH = 64;

  private final Executor loop;
  private final ConcurrentLinkedQueue<Runnable> woken = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  LoopWakeUps(Executor loop) {
    this.loop = loop;
  }

  /** Runs {@code wakeUp} on this loop, after the wake-ups added before it. */
  void add(Runnable wakeUp) {
    woken.add(wakeUp);
    if (scheduled.compareAndSet(false, true)) {
      loop.execute(this);
    }
  }

  @Override
  public void run() {
    for (int i = 0; i < BATCH; i++) {
      Runnable wakeUp = woken.poll();
      if (wakeUp == null) {
        break;
      }
      try {
        wakeUp.run();
      } catch (RuntimeException e) {
        log.error("Waking a deliver stream failed", e);
      }
    }
    if (!woken.isEmpty()) {
      loop.execute(this); // behind the flushes this batch queued
      return;
    }
    scheduled.set(false);
    // A wake-up added after the poll above and before the flag was cleared found it still set.
    if (!woken.isEmpty() && scheduled.compareAndSet(false, true)) {
      loop.execute(this);
    }
  }
}
