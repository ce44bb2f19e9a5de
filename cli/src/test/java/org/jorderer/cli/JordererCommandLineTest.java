package org.jorderer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A run of one subcommand builds only that subcommand's model, and behaves as with the whole command. */
class JordererCommandLineTest {
  private static final List<String> ALL =
      List.of("start", "dev-cluster", "channel", "fetch", "broadcast", "ledger", "inspect", "bench", "help");

  @Test
  void theWholeCommandHasEverySubcommandInOrder() {
    assertEquals(ALL, List.copyOf(Jorderer.commandLine().getSubcommands().keySet()));
    assertEquals(ALL, List.copyOf(Jorderer.commandLine("--help").getSubcommands().keySet()));
    assertEquals(ALL, List.copyOf(Jorderer.commandLine("help", "start").getSubcommands().keySet()));
    assertEquals(ALL, List.copyOf(Jorderer.commandLine("strat").getSubcommands().keySet()));
  }

  @Test
  void aNamedSubcommandIsTheOnlyOneBuilt() {
    assertEquals(List.of("start"), List.copyOf(Jorderer.commandLine("start", "--config", "x").getSubcommands().keySet()));
    assertEquals(List.of("channel"), List.copyOf(Jorderer.commandLine("channel", "list").getSubcommands().keySet()));
  }

  @Test
  void aSubcommandPrintsAndRefusesAsWithTheWholeCommand() {
    for (String[] args : List.of(new String[] {"start", "--help"}, new String[] {"start", "--no-such-option"},
        new String[] {"channel", "join", "--help"}, new String[] {"bench", "--help"})) {
      String alone = run(Jorderer.commandLine(args), args);
      String whole = run(Jorderer.commandLine(), args);
      assertEquals(whole, alone, String.join(" ", args));
    }
    assertTrue(run(Jorderer.commandLine("start", "--help"), "start", "--help").contains("--config=FILE"));
    // an option the top command passes down to every subcommand
    assertTrue(run(Jorderer.commandLine("start", "--help"), "start", "--help").contains("--debug"));
  }

  private static String run(CommandLine line, String... args) {
    StringWriter out = new StringWriter();
    line.setOut(new PrintWriter(out, true));
    line.setErr(new PrintWriter(out, true));
    int code = line.execute(args);
    return code + "\n" + out;
  }
}
