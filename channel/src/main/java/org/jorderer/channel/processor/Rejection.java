package org.jorderer.channel.processor;

import org.hyperledger.fabric.protos.common.Status;

/**
 * A failed rule, as a Go error chain: the text, and which of Fabric's sentinel errors is its cause,
 * for {@code msgprocessor.ClassifyError}. Wrapping keeps the cause (Fabric wraps with
 * {@code errors.WithMessage}).
 */
record Rejection(String text, Cause cause) {
  enum Cause {
    OTHER,
    PERMISSION_DENIED,
    MAINTENANCE_MODE
  }

  static Rejection of(String text) {
    return new Rejection(text, Cause.OTHER);
  }

  Rejection wrap(String message) {
    return new Rejection(message + ": " + text, cause);
  }

  /** Fabric's {@code ClassifyError}: FORBIDDEN / SERVICE_UNAVAILABLE by cause, else BAD_REQUEST. */
  Verdict verdict() {
    Status status = switch (cause) {
      case PERMISSION_DENIED -> Status.FORBIDDEN;
      case MAINTENANCE_MODE -> Status.SERVICE_UNAVAILABLE;
      case OTHER -> Status.BAD_REQUEST;
    };
    return new Verdict(status, text);
  }
}
