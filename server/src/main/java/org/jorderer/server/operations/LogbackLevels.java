package org.jorderer.server.operations;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Applies Fabric log specs to logback at run time.
 *
 * <p>logback-classic is the node's backend at run time (the cli module brings it) but not a
 * compile dependency of this module, and slf4j has no API to set a level. So the few logback
 * calls needed ({@code LoggerContext.getLoggerList/getLogger}, {@code Logger.getLevel/setLevel},
 * {@code Level.toLevel}) are bound once through method handles. A compile-time dependency would
 * tie every user of the server module to logback for these five calls.
 *
 * <p>Fabric's prefix semantics are logback's own hierarchy, so a {@code name=level} entry is the
 * named logger's level and its descendants inherit it. An exact-only entry ({@code name.=level})
 * has no logback counterpart: the named logger gets the level and each existing descendant that
 * would otherwise inherit it is pinned to the level Fabric would give it. Descendants created
 * later under that logger inherit the exact-only level; that is the one difference from Fabric.
 */
final class LogbackLevels implements LogLevels {
  private static final String CONTEXT_CLASS = "ch.qos.logback.classic.LoggerContext";
  private static final String ROOT = "ROOT";

  private final Object context;
  private final MethodHandle getLoggerList;
  private final MethodHandle getLogger;
  private final MethodHandle getLevel;
  private final MethodHandle setLevel;
  private final MethodHandle toLevel;
  private final MethodHandle loggerName;
  /** The spec last activated here; until then the spec is read from logback's configuration. */
  private LogSpec active;

  static boolean supports(Object factory) {
    return factory.getClass().getName().equals(CONTEXT_CLASS);
  }

  LogbackLevels(Object loggerContext) {
    this.context = loggerContext;
    try {
      ClassLoader loader = loggerContext.getClass().getClassLoader();
      Class<?> contextClass = loggerContext.getClass();
      Class<?> loggerClass = Class.forName("ch.qos.logback.classic.Logger", false, loader);
      Class<?> levelClass = Class.forName("ch.qos.logback.classic.Level", false, loader);
      MethodHandles.Lookup lookup = MethodHandles.publicLookup();
      getLoggerList = lookup.findVirtual(contextClass, "getLoggerList", MethodType.methodType(List.class));
      getLogger = lookup.findVirtual(contextClass, "getLogger",
          MethodType.methodType(loggerClass, String.class));
      getLevel = lookup.findVirtual(loggerClass, "getLevel", MethodType.methodType(levelClass));
      setLevel = lookup.findVirtual(loggerClass, "setLevel",
          MethodType.methodType(void.class, levelClass));
      toLevel = lookup.findStatic(levelClass, "toLevel", MethodType.methodType(levelClass, String.class));
      loggerName = lookup.findVirtual(loggerClass, "getName", MethodType.methodType(String.class));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("this logback version does not offer the level API we use", e);
    }
  }

  /**
   * The spec last activated, or before any, the one read back from logback: the root level as
   * default plus every logger with a level of its own, i.e. what logback.xml configured.
   */
  @Override
  public synchronized String spec() {
    if (active != null) {
      return active.toString();
    }
    TreeMap<String, FabricLevel> loggers = new TreeMap<>();
    FabricLevel defaultLevel = FabricLevel.INFO;
    for (Object logger : loggers()) {
      Object level = call(getLevel, logger);
      if (level == null) {
        continue;
      }
      String name = name(logger);
      FabricLevel fabric = FabricLevel.ofLogback(level.toString());
      if (name.equals(ROOT)) {
        defaultLevel = fabric;
      } else {
        loggers.put(name, fabric);
      }
    }
    return new LogSpec(defaultLevel, loggers).toString();
  }

  @Override
  public synchronized void activate(String text) {
    LogSpec spec = LogSpec.parse(text);
    // The new spec replaces the old one as a whole: clear every level set before (by us or by
    // logback.xml), then set the root and each named logger.
    for (Object logger : loggers()) {
      if (!name(logger).equals(ROOT) && call(getLevel, logger) != null) {
        set(logger, null);
      }
    }
    set(logger(ROOT), spec.defaultLevel());
    List<String> exactOnly = new ArrayList<>();
    spec.loggers().forEach((name, level) -> {
      if (name.endsWith(".")) {
        exactOnly.add(name.substring(0, name.length() - 1));
      } else {
        set(logger(name), level);
      }
    });
    for (String name : exactOnly) {
      set(logger(name), spec.loggers().get(name + "."));
      String prefix = name + ".";
      for (Object logger : loggers()) {
        if (name(logger).startsWith(prefix) && call(getLevel, logger) == null) {
          set(logger, spec.levelOf(name(logger)));
        }
      }
    }
    active = spec;
  }

  private List<?> loggers() {
    // A copy: setting levels must not race with logback adding loggers to its list.
    return new ArrayList<>((List<?>) call(getLoggerList, context));
  }

  private Object logger(String name) {
    return call(getLogger, context, name);
  }

  private String name(Object logger) {
    return (String) call(loggerName, logger);
  }

  private void set(Object logger, FabricLevel level) {
    Object logbackLevel = level == null ? null : call(toLevel, level.logbackName());
    call(setLevel, logger, logbackLevel);
  }

  private static Object call(MethodHandle handle, Object... args) {
    try {
      return handle.invokeWithArguments(args);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("logback call failed", t);
    }
  }
}
