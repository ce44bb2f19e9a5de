package org.jorderer.ledger;

/**
 * The store (or the cursor) was closed: a pending {@link BlockCursor#next()} ends with this, which
 * Deliver answers as SERVICE_UNAVAILABLE, as Fabric does for a closed iterator.
 */
public final class LedgerClosedException extends LedgerException {
  public LedgerClosedException(String message) {
    super(message);
  }
}
