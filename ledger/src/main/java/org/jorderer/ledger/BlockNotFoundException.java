package org.jorderer.ledger;

/** A block number below the first retained block or at/above the height was asked for. */
public final class BlockNotFoundException extends LedgerException {
  public BlockNotFoundException(String message) {
    super(message);
  }
}
