package org.jorderer.server.operations;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A Fabric logging specification, parsed as Fabric's {@code flogging.LoggerLevels.ActivateSpec}
 * does: {@code [<logger>[,<logger>...]=]<level>[:[<logger>[,<logger>...]=]<level>...]}. A bare
 * level sets the default; {@code name=level} sets a logger and everything below it (the name is a
 * dot-separated prefix); a name ending in a period ({@code name.=level}) means that logger only.
 *
 * @param defaultLevel the level of loggers no entry covers
 * @param loggers      the entries, by logger name as written (exact-only names keep their period)
 */
public record LogSpec(FabricLevel defaultLevel, SortedMap<String, FabricLevel> loggers) {
  // Fabric's pattern plus '$', which Java logger names of nested classes contain.
  private static final Pattern LOGGER_NAME =
      Pattern.compile("^[A-Za-z0-9_#:$-]+(\\.[A-Za-z0-9_#:$-]+)*$");

  public LogSpec {
    loggers = Collections.unmodifiableSortedMap(new TreeMap<>(loggers));
  }

  /**
   * Parses a spec with Fabric's rules and error messages, quirks included: an empty segment sets
   * the default back to info, so {@code "debug:"} means info.
   *
   * @throws IllegalArgumentException with Fabric's message for a bad spec
   */
  public static LogSpec parse(String spec) {
    FabricLevel defaultLevel = FabricLevel.INFO;
    SortedMap<String, FabricLevel> loggers = new TreeMap<>();
    for (String field : spec.split(":", -1)) {
      String[] split = field.split("=", -1);
      switch (split.length) {
        case 1 -> {
          if (!field.isEmpty() && FabricLevel.byName(field).isEmpty()) {
            throw bad(spec, "bad segment '" + field + "'");
          }
          defaultLevel = FabricLevel.byName(field).orElse(FabricLevel.INFO);
        }
        case 2 -> {
          if (split[0].isEmpty()) {
            throw bad(spec, "no logger specified in segment '" + field + "'");
          }
          FabricLevel level = FabricLevel.byName(split[1])
              .orElseThrow(() -> bad(spec, "bad segment '" + field + "'"));
          for (String logger : split[0].split(",", -1)) {
            String name = logger.endsWith(".") ? logger.substring(0, logger.length() - 1) : logger;
            if (!LOGGER_NAME.matcher(name).matches()) {
              throw bad(spec, "bad logger name '" + logger + "'");
            }
            loggers.put(logger, level);
          }
        }
        default -> throw bad(spec, "bad segment '" + field + "'");
      }
    }
    return new LogSpec(defaultLevel, loggers);
  }

  /**
   * The level Fabric would give a logger: its exact-only entry, else the entry of the longest
   * dot-separated prefix, else the default.
   */
  public FabricLevel levelOf(String loggerName) {
    String candidate = loggerName + ".";
    while (true) {
      FabricLevel level = loggers.get(candidate);
      if (level != null) {
        return level;
      }
      int idx = candidate.lastIndexOf('.');
      if (idx <= 0) {
        return defaultLevel;
      }
      candidate = candidate.substring(0, idx);
    }
  }

  /** Fabric's normalised form: the entries sorted as {@code name=level}, then the default. */
  @Override
  public String toString() {
    // Fabric sorts the formatted "name=level" fields, not the names: "a.b.=debug" sorts before
    // "a=info" because '.' is below '='.
    List<String> fields = new ArrayList<>();
    for (Map.Entry<String, FabricLevel> e : loggers.entrySet()) {
      fields.add(e.getKey() + "=" + e.getValue().specName());
    }
    fields.sort(null);
    fields.add(defaultLevel.specName());
    return String.join(":", fields);
  }

  private static IllegalArgumentException bad(String spec, String what) {
    return new IllegalArgumentException("invalid logging specification '" + spec + "': " + what);
  }
}
