package org.jorderer.ledger;

/**
 * The store (or the cursor) was closed: a pending {@link BlockCursor#next()} ends with this, which
 * Deliver answers as SERVICE_UNAVAILABLE, as Fabric does for a closed iterator.
 */
public final class LedgerClosedException extends LedgerException {
  public LedgerClosedException(String message) {
    super(message);
  }

  /** One shared instance for cursors closed by their owner: thousands may end at once, and none is an error. */
  static final LedgerClosedException CURSOR_CLOSED = new LedgerClosedException("cursor closed", false);

  private LedgerClosedException(String message, boolean stackTrace) {
    super(message, stackTrace);
  }
}
