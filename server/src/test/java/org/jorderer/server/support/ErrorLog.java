package org.jorderer.server.support;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Collects ERROR events logged under {@code org.jorderer} while quieting the WARN lines that
 * rejected requests produce by the hundred thousand under fuzzing. The handlers turn an unexpected
 * exception into an ERROR line ("... failed unexpectedly; closing it") and a quiet end of the RPC,
 * so for a fuzz test an ERROR line is a finding just as a thrown exception is.
 */
public final class ErrorLog implements AutoCloseable {
  private final Logger logger = (Logger) LoggerFactory.getLogger("org.jorderer");
  private final Level before = logger.getLevel();
  private final List<String> errors = new ArrayList<>();
  private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      if (event.getLevel().isGreaterOrEqual(Level.ERROR)) {
        synchronized (errors) {
          errors.add(event.getLoggerName() + ": " + event.getFormattedMessage()
              + (event.getThrowableProxy() == null ? "" : " (" + event.getThrowableProxy().getClassName() + ": "
                  + event.getThrowableProxy().getMessage() + ")"));
        }
      }
    }
  };

  public ErrorLog() {
    appender.setContext(logger.getLoggerContext());
    appender.start();
    logger.addAppender(appender);
    logger.setLevel(Level.ERROR);
  }

  /** The ERROR lines logged since the last call, and forgets them. */
  public List<String> drain() {
    synchronized (errors) {
      List<String> out = List.copyOf(errors);
      errors.clear();
      return out;
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
    logger.setLevel(before);
  }
}
