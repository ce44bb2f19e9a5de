package org.jorderer.cli;

import org.jorderer.ledger.LedgerException;
import org.jorderer.server.config.ConfigurationException;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jorderer} command. */
@Command(
    name = "jorderer",
    mixinStandardHelpOptions = true,
    versionProvider = Jorderer.Version.class,
    description = "A Hyperledger Fabric ordering service.",
    subcommands = {StartCommand.class, ChannelCommand.class, FetchCommand.class, BroadcastCommand.class,
        LedgerCommand.class, InspectCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Jorderer {
  public static void main(String[] args) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new Jorderer()).setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(Jorderer::operatorError);
  }

  /**
   * Damaged ledger files and an unusable configuration are the operator's to fix, and their
   * messages say where (file and offset, key and form): print that line instead of a stack trace
   * (docs/ledger-format.md, docs/robustness.md). Anything else is a bug, and keeps its trace.
   */
  private static int operatorError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) throws Exception {
    if (e instanceof LedgerException || e instanceof ConfigurationException) {
      cmd.getErr().println("jorderer " + cmd.getCommandName() + ": " + e.getMessage());
      cmd.getErr().flush();
      return 1;
    }
    throw e;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Jorderer.class.getPackage().getImplementationVersion();
      return new String[] {"jorderer " + (v == null ? "(development build)" : v)};
    }
  }
}
