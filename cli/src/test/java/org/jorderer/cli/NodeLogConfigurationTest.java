package org.jorderer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.core.ConsoleAppender;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The logging set up in code is the one logback.xml describes, which an operator may still give. */
class NodeLogConfigurationTest {
  private static final List<String> NAMES = List.of("org.jorderer.server.Orderer", "io.grpc.netty.shaded",
      "io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler", "io.grpc.netty.shaded.io.netty.Other",
      "org.apache.ratis", "org.apache.ratis.server.impl.RaftServerImpl", "org.apache.ratis.client.impl.OrderedAsync",
      "io.grpc.Other");

  @Test
  void setsUpWhatLogbackXmlSays() throws Exception {
    for (String level : new String[] {null, "DEBUG", "warn"}) {
      if (level == null) {
        System.clearProperty("JORDERER_LOG_LEVEL");
      } else {
        System.setProperty("JORDERER_LOG_LEVEL", level);
      }
      try {
        assertEquals(describe(fromXml()), describe(inCode()), "JORDERER_LOG_LEVEL=" + level);
      } finally {
        System.clearProperty("JORDERER_LOG_LEVEL");
      }
    }
  }

  @Test
  void writesLinesAsLogbackXmlDoes() throws Exception {
    String xmlLine = line(fromXml());
    String codeLine = line(inCode());
    assertEquals(xmlLine, codeLine);
    assertTrue(codeLine.matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[main-test\\] "
        + "o\\.j\\.consensus\\.raft\\.RatisNode - hello 42\\R"), codeLine);
  }

  /** A context set up by logback's XML configurator from the distribution's logback.xml. */
  private static LoggerContext fromXml() throws Exception {
    LoggerContext context = new LoggerContext();
    JoranConfigurator joran = new JoranConfigurator();
    joran.setContext(context);
    joran.doConfigure(NodeLogConfigurationTest.class.getResource("/logback.xml"));
    return context;
  }

  /** A context set up by {@link NodeLogConfiguration}. */
  private static LoggerContext inCode() {
    LoggerContext context = new LoggerContext();
    NodeLogConfiguration.apply(context);
    return context;
  }

  /** The bytes the context's STDERR appender writes for one event at a fixed time. */
  private static String line(LoggerContext context) {
    var logger = context.getLogger("org.jorderer.consensus.raft.RatisNode");
    var event = new ch.qos.logback.classic.spi.LoggingEvent("x", logger, Level.INFO, "hello {}", null,
        new Object[] {42});
    event.setThreadName("main-test");
    event.setTimeStamp(1_700_000_000_123L);
    var appender = (ConsoleAppender<ch.qos.logback.classic.spi.ILoggingEvent>)
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
    return new String(appender.getEncoder().encode(event), StandardCharsets.UTF_8);
  }

  @Test
  void anOperatorsFileOrATestFileIsReadInstead() {
    // this class path has logback-test.xml (src/test/resources), as a test run does
    LoggerContext context = new LoggerContext();
    NodeLogConfiguration configuration = new NodeLogConfiguration();
    configuration.setContext(context);
    assertEquals(ch.qos.logback.classic.spi.Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY,
        configuration.configure(context));
    assertTrue(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext() == false);
  }

  private static List<String> describe(LoggerContext context) {
    List<String> d = new ArrayList<>();
    for (String name : NAMES) {
      var logger = context.getLogger(name);
      Level own = logger.getLevel();
      d.add(name + " " + own + " " + logger.getEffectiveLevel());
    }
    var root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    d.add("root " + root.getLevel());
    root.iteratorForAppenders().forEachRemaining(a -> {
      ConsoleAppender<?> console = (ConsoleAppender<?>) a;
      d.add("appender " + a.getName() + " " + console.getTarget() + " started " + a.isStarted() + " "
          + ((PatternLayoutEncoder) console.getEncoder()).getPattern());
    });
    context.getCopyOfListenerList().forEach(l -> d.add("listener " + l.getClass().getName()
        + (l instanceof LevelChangePropagator ? "" : "")));
    assertNotNull(root.getAppender("STDERR"));
    return d;
  }
}
