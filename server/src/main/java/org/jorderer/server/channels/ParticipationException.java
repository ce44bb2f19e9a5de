package org.jorderer.server.channels;

/** A join or removal the channel participation API refuses; the message is Fabric's error text. */
public final class ParticipationException extends RuntimeException {
  /** What went wrong, which decides the HTTP status (as Fabric's {@code types} errors do). */
  public enum Reason {
    ALREADY_EXISTS,
    NOT_FOUND,
    INVALID_BLOCK
  }

  private final Reason reason;

  public ParticipationException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
