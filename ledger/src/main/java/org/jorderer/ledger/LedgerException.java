package org.jorderer.ledger;

/** Base of every failure the ledger reports; unchecked because callers can rarely recover locally. */
public class LedgerException extends RuntimeException {
  public LedgerException(String message) {
    super(message);
  }

  public LedgerException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Without a stack trace: for an expected ending that happens thousands of times at once. */
  LedgerException(String message, boolean stackTrace) {
    super(message, null, false, stackTrace);
  }
}
