package org.jorderer.ledger;

import java.util.concurrent.CompletableFuture;

/**
 * Reads a channel's blocks in order from a starting number, on to blocks not appended yet.
 *
 * <p>{@link #next()} completes at once for a stored block and, for a block not yet appended, when
 * it is appended: the waiting costs a future, never a thread. Futures of waiting cursors complete
 * on the appending thread, so callers should continue with the {@code *Async} variants on their
 * own executor. One {@code next()} may be outstanding at a time. {@link #close()} ends a pending
 * {@code next()} with {@link LedgerClosedException} and releases the cursor at once.
 */
public final class BlockCursor implements AutoCloseable {
  private final BlockStore store;
  private long nextNumber;
  private CompletableFuture<StoredBlock> pending;
  private boolean closed;

  BlockCursor(BlockStore store, long start) {
    this.store = store;
    this.nextNumber = start;
  }

  /** The number of the block the next call to {@link #next()} yields. */
  public synchronized long nextNumber() {
    return nextNumber;
  }

  public CompletableFuture<StoredBlock> next() {
    return next(null);
  }

  /**
   * As {@link #next()}, but a block already stored is read into {@code into} (see
   * {@link BlockReadBuffer}): the block the future completes with at once is then a view of that
   * buffer, valid until its next read. A block not appended yet completes the future later with
   * the appended block itself, shared by every cursor that waited for it; {@code into} is not
   * touched then.
   */
  public synchronized CompletableFuture<StoredBlock> next(BlockReadBuffer into) {
    if (closed) {
      return CompletableFuture.failedFuture(new LedgerClosedException("cursor closed"));
    }
    if (pending != null && !pending.isDone()) {
      throw new IllegalStateException("the previous next() has not completed");
    }
    long number = nextNumber;
    CompletableFuture<StoredBlock> result = store.readOrAwait(number, into);
    nextNumber = number + 1;
    pending = result;
    return result;
  }

  @Override
  public void close() {
    CompletableFuture<StoredBlock> toEnd;
    long waitingFor;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toEnd = pending;
      waitingFor = nextNumber - 1;
      pending = null;
    }
    if (toEnd != null && !toEnd.isDone()) {
      store.cancelWait(waitingFor, toEnd);
      toEnd.completeExceptionally(LedgerClosedException.CURSOR_CLOSED);
    }
  }
}
