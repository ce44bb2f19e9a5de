package org.jorderer.ledger;

/** Base of every failure the ledger reports; unchecked because callers can rarely recover locally. */
public class LedgerException extends RuntimeException {
  public LedgerException(String message) {
    super(message);
  }

  public LedgerException(String message, Throwable cause) {
    super(message, cause);
  }
}
