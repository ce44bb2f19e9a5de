package org.jorderer.server.operations;

import java.util.Optional;

/**
 * Fabric's log levels (zap's, plus flogging's payload) and the logback level each maps to.
 *
 * <p>Java code has nothing above ERROR: slf4j cannot log at dpanic, panic or fatal. A Fabric
 * threshold at those levels lets through only messages we never write, so the faithful mapping
 * is OFF, and OFF read back from logback shows as {@code fatal}.
 */
public enum FabricLevel {
  PAYLOAD("payload", "TRACE"),
  DEBUG("debug", "DEBUG"),
  INFO("info", "INFO"),
  WARN("warn", "WARN"),
  ERROR("error", "ERROR"),
  DPANIC("dpanic", "OFF"),
  PANIC("panic", "OFF"),
  FATAL("fatal", "OFF");

  private final String specName;
  private final String logbackName;

  FabricLevel(String specName, String logbackName) {
    this.specName = specName;
    this.logbackName = logbackName;
  }

  /** The name Fabric's normalised spec uses (zap's lower-case level names). */
  public String specName() {
    return specName;
  }

  /** The logback level name this level sets. */
  public String logbackName() {
    return logbackName;
  }

  /**
   * The names Fabric's {@code flogging.nameToLevel} accepts: each in lower or upper case only
   * ("Debug" is rejected there too), with warning/warn, and notice and critical as their aliases.
   */
  public static Optional<FabricLevel> byName(String name) {
    return Optional.ofNullable(switch (name) {
      case "PAYLOAD", "payload" -> PAYLOAD;
      case "DEBUG", "debug" -> DEBUG;
      case "INFO", "info", "NOTICE", "notice" -> INFO;
      case "WARNING", "WARN", "warning", "warn" -> WARN;
      case "ERROR", "error", "CRITICAL", "critical" -> ERROR;
      case "DPANIC", "dpanic" -> DPANIC;
      case "PANIC", "panic" -> PANIC;
      case "FATAL", "fatal" -> FATAL;
      default -> null;
    });
  }

  /** The Fabric level that shows a logback level (by its name) in a spec. */
  static FabricLevel ofLogback(String logbackName) {
    return switch (logbackName) {
      case "ALL", "TRACE" -> PAYLOAD;
      case "DEBUG" -> DEBUG;
      case "INFO" -> INFO;
      case "WARN" -> WARN;
      case "ERROR" -> ERROR;
      default -> FATAL;
    };
  }
}
