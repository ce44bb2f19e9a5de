package org.jorderer.ledger;

/**
 * An append failed (typically: the disk is full) and was undone: the store holds exactly the
 * blocks it held before, nothing of the failed append is on disk, and it takes appends again. The
 * caller may retry the same block once the cause is gone (docs/operating.md, "When the disk fills").
 */
public final class AppendUndoneException extends LedgerException {
  public AppendUndoneException(String message, Throwable cause) {
    super(message, cause);
  }
}
