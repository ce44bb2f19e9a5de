package org.jorderer.consensus;

/**
 * The chain cannot order for now: its ledger refuses writes (the disk is full) and it retries the
 * block it could not write. Broadcast answers SERVICE_UNAVAILABLE with this message; the client may
 * send again later, as it does for any SERVICE_UNAVAILABLE.
 */
public final class ChainStalledException extends RuntimeException {
  public ChainStalledException(String message) {
    super(message);
  }
}
