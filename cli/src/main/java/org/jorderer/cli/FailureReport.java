package org.jorderer.cli;

import java.io.PrintWriter;
import java.net.BindException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Map;
import java.util.Optional;
import org.jorderer.ledger.LedgerCorruptedException;
import picocli.CommandLine;

/**
 * What a command that fails prints: one line saying what went wrong (every cause's message, once),
 * a hint where one helps, and exit code 1. The stack trace is for developers: it is printed only
 * with {@code --debug}, {@code JORDERER_DEBUG=1} or {@code JORDERER_LOG_LEVEL=DEBUG}
 * (docs/operating.md, "When it does not start").
 */
final class FailureReport implements CommandLine.IExecutionExceptionHandler {
  static final String DEBUG_OPTION = "--debug";
  static final int EXIT_FAILED = 1;

  private final Map<String, String> env;

  FailureReport(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public int handleExecutionException(Exception failure, CommandLine command, CommandLine.ParseResult parsed) {
    PrintWriter err = command.getErr();
    err.println("Error: " + describe(failure));
    hint(failure).ifPresent(h -> err.println("Hint: " + h));
    if (debug(parsed)) {
      failure.printStackTrace(err);
    }
    err.flush();
    return EXIT_FAILED;
  }

  /** The failure's message followed by each cause's message that it does not already contain. */
  static String describe(Throwable failure) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String message = t.getMessage();
      // The JDK's file exceptions carry only the path; say what happened to it.
      if (message != null && t instanceof java.nio.file.NoSuchFileException) {
        message = "no such file: " + message;
      } else if (message != null && t instanceof java.nio.file.AccessDeniedException) {
        message = "permission denied: " + message;
      }
      if (message == null || message.isBlank()) {
        if (text.length() == 0 || t.getCause() == null) {
          message = readableName(t);
        } else {
          continue;
        }
      }
      if (text.indexOf(message) >= 0) {
        continue;
      }
      text.append(text.length() == 0 ? "" : ": ").append(message);
    }
    return text.toString();
  }

  private static String readableName(Throwable t) {
    if (t instanceof UnresolvedAddressException) {
      return "the host name does not resolve to an address";
    }
    return t.getClass().getSimpleName();
  }

  /** Advice for the failures whose fix is not obvious from the message. */
  static Optional<String> hint(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof BindException || String.valueOf(t.getMessage()).contains("Address already in use")) {
        return Optional.of("another process (another orderer?) listens on that port: stop it, or choose another"
            + " port (--listen, --admin-listen, --operations-listen or the orderer.yaml keys)");
      }
      if (t instanceof UnresolvedAddressException) {
        return Optional.of("use an IP address, or a host name that DNS or /etc/hosts knows");
      }
      if (t instanceof LedgerCorruptedException) {
        return Optional.of("start-up recovery only cuts a torn tail; damage inside the stored chain needs the data"
            + " directory restored from a backup, or the channel joined again (docs/operating.md)");
      }
    }
    return Optional.empty();
  }

  private boolean debug(CommandLine.ParseResult parsed) {
    for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption(DEBUG_OPTION)) {
        return true;
      }
    }
    String flag = env.getOrDefault("JORDERER_DEBUG", "");
    if (!flag.isEmpty() && !flag.equals("0") && !flag.equalsIgnoreCase("false")) {
      return true;
    }
    String level = env.getOrDefault("JORDERER_LOG_LEVEL", "");
    return level.equalsIgnoreCase("DEBUG") || level.equalsIgnoreCase("TRACE") || level.equalsIgnoreCase("ALL");
  }
}
