package org.jorderer.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Map;

/**
 * The distribution's logging, set up in code: what {@code logback.xml} in the jar says, without
 * logback's XML configurator (an XML parser, its model and its processors: about 0.3 s of CPU at
 * every start, before the node's first log line; docs/performance.md, "Raft catch-up after a
 * restart", 2026-12-02). Logback calls it through {@code META-INF/services} before it looks for
 * an XML file. A {@code -Dlogback.configurationFile} given by the operator, or a
 * {@code logback-test.xml} on the class path (tests), is read as before: this one then steps aside.
 * {@code NodeLogConfigurationTest} checks that both set up the same.
 */
public final class NodeLogConfiguration extends ContextAwareBase implements Configurator {
  /** The appender's pattern, as in logback.xml. */
  static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{30} - %msg%n";

  /** Logger levels, as in logback.xml (why each: there). */
  static final Map<String, Level> LEVELS = Map.of(
      "io.grpc.netty.shaded", Level.WARN,
      "io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler", Level.ERROR,
      "org.apache.ratis", Level.WARN,
      "org.apache.ratis.client.impl.OrderedAsync", Level.OFF);

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null
        || NodeLogConfiguration.class.getClassLoader().getResource("logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    apply(context);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Sets {@code context} up as logback.xml does. */
  static void apply(LoggerContext context) {
    LevelChangePropagator julLevels = new LevelChangePropagator();
    julLevels.setContext(context);
    julLevels.setResetJUL(true);
    julLevels.start();
    context.addListener(julLevels);

    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();

    LEVELS.forEach((name, level) -> context.getLogger(name).setLevel(level));
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(rootLevelName(), Level.DEBUG));
    root.addAppender(stderr);
  }

  /** logback.xml's {@code ${JORDERER_LOG_LEVEL:-INFO}}: a system property, else the environment, else INFO. */
  static String rootLevelName() {
    String value = System.getProperty("JORDERER_LOG_LEVEL");
    if (value == null) {
      value = System.getenv("JORDERER_LOG_LEVEL");
    }
    return value == null ? "INFO" : value;
  }
}
