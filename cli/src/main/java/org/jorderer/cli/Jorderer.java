package org.jorderer.cli;

import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jorderer} command. */
@Command(
    name = "jorderer",
    mixinStandardHelpOptions = true,
    versionProvider = Jorderer.Version.class,
    description = "A Hyperledger Fabric ordering service.")
public final class Jorderer {
  /**
   * The subcommands, in the order the usage lists them. Added by {@link #commandLine(String...)}
   * rather than named in the annotation, so that a run of one subcommand builds only its model.
   */
  private static final java.util.List<java.util.Map.Entry<String, java.util.function.Supplier<Object>>> SUBCOMMANDS =
      java.util.List.of(
          java.util.Map.entry("start", StartCommand::new),
          java.util.Map.entry("dev-cluster", DevClusterCommand::new),
          java.util.Map.entry("channel", ChannelCommand::new),
          java.util.Map.entry("fetch", FetchCommand::new),
          java.util.Map.entry("broadcast", BroadcastCommand::new),
          java.util.Map.entry("ledger", LedgerCommand::new),
          java.util.Map.entry("inspect", InspectCommand::new),
          java.util.Map.entry("bench", BenchCommand::new),
          java.util.Map.entry("help", CommandLine.HelpCommand::new));

  @CommandLine.Option(names = FailureReport.DEBUG_OPTION, scope = CommandLine.ScopeType.INHERIT,
      description = "On failure, print the stack trace too (as do JORDERER_DEBUG=1 and JORDERER_LOG_LEVEL=DEBUG).")
  boolean debug;

  public static void main(String[] args) {
    poolAsyncTasks();
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    System.exit(commandLine(args).execute(args));
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

  /** The whole command, every subcommand included. */
  static CommandLine commandLine() {
    return commandLine(new String[0]);
  }

  /**
   * The command for {@code args}: when the first argument names a subcommand (other than
   * {@code help}, which needs its siblings), only that subcommand is added. Picocli builds the
   * model of every subcommand it is given by reflection over their annotations, with their field
   * initializers run; for all of them that took about 0.5 s of CPU before a node's start did
   * anything (docs/performance.md, "Raft catch-up after a restart", 2026-12-02). What the named
   * subcommand parses, prints and runs is the same either way; anything else (no argument, an
   * option, {@code help}, a mistyped name and its suggestions) gets the whole command.
   */
  static CommandLine commandLine(String... args) {
    CommandLine line = new CommandLine(new Jorderer());
    String first = args.length > 0 ? args[0] : "";
    boolean one = !first.equals("help") && SUBCOMMANDS.stream().anyMatch(e -> e.getKey().equals(first));
    for (var sub : SUBCOMMANDS) {
      if (!one || sub.getKey().equals(first)) {
        line.addSubcommand(sub.getKey(), sub.getValue().get());
      }
    }
    return line.setCaseInsensitiveEnumValuesAllowed(true)
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
