package org.jorderer.ledger;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * Cursors waiting for blocks that are not yet appended, keyed by the block number each waits for.
 * A waiter is a future and a map entry: no thread is parked, so thousands of idle Deliver streams
 * cost only memory.
 *
 * <p>The race between "this block is not there yet, wait" and "the block was just appended" is
 * closed by the writer publishing the new height before {@link #release} takes the lock, and a
 * waiter re-reading the height under the same lock in {@link #await}.
 */
final class AppendWaiters {
  // A set per block number (futures compare by identity), kept in arrival order: a stream that goes
  // away leaves in constant time, where a list made 5,000 departures cost 5,000 scans each.
  private final NavigableMap<Long, Set<CompletableFuture<StoredBlock>>> waiting = new TreeMap<>();
  private boolean closed;

  /**
   * Returns a future for block {@code number}, or null when the height already covers it (the
   * caller then reads it from disk).
   */
  synchronized CompletableFuture<StoredBlock> await(long number, LongSupplier height) {
    if (closed) {
      return CompletableFuture.failedFuture(new LedgerClosedException("block store closed"));
    }
    if (number < height.getAsLong()) {
      return null;
    }
    CompletableFuture<StoredBlock> future = new CompletableFuture<>();
    waiting.computeIfAbsent(number, n -> new LinkedHashSet<>()).add(future);
    return future;
  }

  synchronized void cancel(long number, CompletableFuture<StoredBlock> future) {
    Set<CompletableFuture<StoredBlock>> list = waiting.get(number);
    if (list != null && list.remove(future) && list.isEmpty()) {
      waiting.remove(number);
    }
  }

  /** Hands {@code block} to every waiter for its number; the height already includes it. */
  void release(StoredBlock block) {
    Set<CompletableFuture<StoredBlock>> ready;
    synchronized (this) {
      ready = waiting.remove(block.number());
    }
    // Completed outside the lock: continuations may run on this thread and must not stall others.
    if (ready != null) {
      for (CompletableFuture<StoredBlock> f : ready) {
        f.complete(block);
      }
    }
  }

  synchronized int size() {
    int n = 0;
    for (Set<CompletableFuture<StoredBlock>> list : waiting.values()) {
      n += list.size();
    }
    return n;
  }

  void closeAll() {
    List<CompletableFuture<StoredBlock>> all = new ArrayList<>();
    synchronized (this) {
      closed = true;
      for (Iterator<Map.Entry<Long, Set<CompletableFuture<StoredBlock>>>> it = waiting.entrySet().iterator();
          it.hasNext(); ) {
        all.addAll(it.next().getValue());
        it.remove();
      }
    }
    LedgerClosedException closedException = new LedgerClosedException("block store closed");
    for (CompletableFuture<StoredBlock> f : all) {
      f.completeExceptionally(closedException);
    }
  }
}
