package org.jorderer.server;

import io.grpc.Status;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps grpc-java's per-request warnings about client mistakes to one line each, at most
 * {@link #LINES_PER_WINDOW} per {@link #WINDOW_SECONDS} seconds.
 *
 * <p>grpc-java logs a WARNING with a full stack trace when it cannot deframe a request (a message
 * over {@code MaxRecvMsgSize}, or a 5-byte frame header claiming 2 GB):
 * {@code NettyServerStream.TransportState.deframeFailed}. The client already gets the status
 * (RESOURCE_EXHAUSTED, INTERNAL), so the trace tells the operator nothing, and any client can add
 * sixteen lines to the log per request. A filter on that java.util.logging logger swallows the
 * record and logs one line here instead; the lines left out are counted in the next one.
 */
public final class ClientErrorLog {
  private static final Logger log = LoggerFactory.getLogger(ClientErrorLog.class);
  static final int LINES_PER_WINDOW = 10;
  static final long WINDOW_SECONDS = 60;

  /** The java.util.logging loggers grpc-java reports client mistakes on (shaded and plain Netty). */
  static final List<String> GRPC_LOGGERS = List.of(
      "io.grpc.netty.shaded.io.grpc.netty.NettyServerStream",
      "io.grpc.netty.NettyServerStream");

  // java.util.logging holds loggers weakly: a filter set on one that is collected would be lost.
  private static final List<java.util.logging.Logger> FILTERED = GRPC_LOGGERS.stream()
      .map(java.util.logging.Logger::getLogger)
      .toList();
  private static final ClientErrorLog INSTANCE = new ClientErrorLog();

  private long windowStart = System.nanoTime();
  private int linesInWindow;
  private long leftOut;

  private ClientErrorLog() {}

  /** Installs the filter on grpc-java's loggers; idempotent. */
  public static void install() {
    for (java.util.logging.Logger logger : FILTERED) {
      if (!(logger.getFilter() instanceof OneLine)) {
        logger.setFilter(new OneLine());
      }
    }
  }

  /** Lets every record without a throwable through; a record with one becomes one rate-limited line. */
  private static final class OneLine implements java.util.logging.Filter {
    @Override
    public boolean isLoggable(LogRecord record) {
      if (record.getThrown() == null || record.getLevel().intValue() > Level.WARNING.intValue()) {
        return true; // SEVERE stays as grpc-java wrote it: that is not a client's doing
      }
      INSTANCE.report(record);
      return false;
    }
  }

  /** Starts a fresh window, for tests that count lines. */
  static void resetWindow() {
    synchronized (INSTANCE) {
      INSTANCE.windowStart = System.nanoTime();
      INSTANCE.linesInWindow = 0;
      INSTANCE.leftOut = 0;
    }
  }

  private void report(LogRecord record) {
    long left;
    synchronized (this) {
      long now = System.nanoTime();
      if (now - windowStart >= TimeUnit.SECONDS.toNanos(WINDOW_SECONDS)) {
        windowStart = now;
        linesInWindow = 0;
      }
      if (linesInWindow >= LINES_PER_WINDOW) {
        leftOut++;
        return;
      }
      linesInWindow++;
      left = leftOut;
      leftOut = 0;
    }
    if (!log.isWarnEnabled()) {
      return;
    }
    String summary = left == 0 ? "" : " (" + left + " more like it were not logged)";
    log.warn("Refused a client's request: {}: {}{}", String.valueOf(record.getMessage()), describe(record.getThrown()),
        summary);
  }

  /** The gRPC status the client was sent, e.g. {@code RESOURCE_EXHAUSTED: gRPC message exceeds ...}. */
  static String describe(Throwable thrown) {
    Status status = Status.fromThrowable(thrown);
    if (status.getCode() != Status.Code.UNKNOWN || status.getDescription() != null) {
      return status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
    }
    return thrown.toString();
  }
}
