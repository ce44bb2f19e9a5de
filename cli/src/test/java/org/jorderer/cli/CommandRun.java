package org.jorderer.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs {@code jorderer ARGS} in-process, as main does, keeping what the last run printed. */
final class CommandRun {
  private StringWriter out = new StringWriter();
  private StringWriter err = new StringWriter();

  /** The exit code; {@link #out()} and {@link #err()} hold this run's output. */
  int run(String... args) {
    out = new StringWriter();
    err = new StringWriter();
    CommandLine cmd = Jorderer.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  String out() {
    return out.toString();
  }

  String err() {
    return err.toString();
  }
}
