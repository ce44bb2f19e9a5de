package org.jorderer.server.operations;

import org.slf4j.LoggerFactory;

/** Where {@code /logspec} reads and sets the node's log levels. */
public interface LogLevels {
  /** The active spec in Fabric's normalised form. */
  String spec();

  /**
   * Replaces the active spec as a whole, as Fabric's {@code ActivateSpec} does: loggers the new
   * spec does not name go back to inheriting.
   *
   * @throws IllegalArgumentException for a bad spec, with Fabric's message
   * @throws UnsupportedOperationException when the logging backend cannot change levels
   */
  void activate(String spec);

  /** Logback's levels when logback is the slf4j backend, otherwise a read-only stand-in. */
  static LogLevels forCurrentBackend() {
    Object factory = LoggerFactory.getILoggerFactory();
    if (LogbackLevels.supports(factory)) {
      return new LogbackLevels(factory);
    }
    String backend = factory.getClass().getName();
    return new LogLevels() {
      @Override
      public String spec() {
        return "";
      }

      @Override
      public void activate(String spec) {
        LogSpec.parse(spec);
        throw new UnsupportedOperationException(
            "log levels cannot be changed at run time: the logging backend is " + backend
                + ", not logback");
      }
    };
  }
}
