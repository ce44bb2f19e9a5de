package org.jorderer.cli;

import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jorderer} command. */
@Command(
    name = "jorderer",
    mixinStandardHelpOptions = true,
    versionProvider = Jorderer.Version.class,
    description = "A Hyperledger Fabric ordering service.",
    subcommands = {StartCommand.class, DevClusterCommand.class, ChannelCommand.class, FetchCommand.class, BroadcastCommand.class,
        LedgerCommand.class, InspectCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Jorderer {
  @CommandLine.Option(names = FailureReport.DEBUG_OPTION, scope = CommandLine.ScopeType.INHERIT,
      description = "On failure, print the stack trace too (as do JORDERER_DEBUG=1 and JORDERER_LOG_LEVEL=DEBUG).")
  boolean debug;

  public static void main(String[] args) {
    poolAsyncTasks();
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    System.exit(commandLine().execute(args));
  }

  static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  /**
   * Gives {@code CompletableFuture}'s executor-less {@code *Async} methods pooled threads on small
   * machines. The JDK runs them on the common ForkJoinPool only when its parallelism (by default
   * one less than the CPUs the JVM sees) is at least 2; below that it starts a new thread for every
   * task. Apache Ratis composes its append and log-write futures that way, so on a machine,
   * container or {@code taskset} of one or two CPUs a Raft follower started a thread for nearly
   * every append it received (about 35 a second under Broadcast load, JFR's ThreadStart events,
   * docs/performance.md). Two pooled threads keep that work off new threads. Must run before
   * anything touches the common pool; a parallelism the operator set with {@code -D} is kept, and
   * larger machines keep the JDK's default.
   */
  static void poolAsyncTasks() {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
  }

  static CommandLine commandLine() {
    return new CommandLine(new Jorderer()).setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(new FailureReport(System.getenv()));
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Jorderer.class.getPackage().getImplementationVersion();
      return new String[] {"jorderer " + (v == null ? "(development build)" : v)};
    }
  }
}
