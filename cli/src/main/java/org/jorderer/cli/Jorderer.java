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
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    System.exit(commandLine().execute(args));
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
