package org.jorderer.consensus;

/** The chain no longer orders; its message is what Broadcast puts in {@code info} ("Exiting" for solo). */
public final class ChainHaltedException extends RuntimeException {
  public ChainHaltedException(String message) {
    super(message);
  }
}
