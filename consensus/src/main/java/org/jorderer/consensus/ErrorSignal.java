package org.jorderer.consensus;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Fires once when a channel's consensus fails (Fabric's {@code Errored()} channel). Listeners can
 * be removed, so the many short Deliver requests of a healthy channel leave nothing behind.
 */
public final class ErrorSignal {
  private final Set<Runnable> listeners = new LinkedHashSet<>();
  private boolean fired;

  public synchronized boolean fired() {
    return fired;
  }

  /** Fires the signal; listeners run on this thread, once. */
  public void fire() {
    List<Runnable> toRun;
    synchronized (this) {
      if (fired) {
        return;
      }
      fired = true;
      toRun = new ArrayList<>(listeners);
      listeners.clear();
    }
    toRun.forEach(Runnable::run);
  }

  /**
   * Runs {@code onFire} when the signal fires (at once if it has). Returns the way to take the
   * listener back.
   */
  public Runnable subscribe(Runnable onFire) {
    synchronized (this) {
      if (!fired) {
        listeners.add(onFire);
        return () -> unsubscribe(onFire);
      }
    }
    onFire.run();
    return () -> {};
  }

  private synchronized void unsubscribe(Runnable onFire) {
    listeners.remove(onFire);
  }
}
