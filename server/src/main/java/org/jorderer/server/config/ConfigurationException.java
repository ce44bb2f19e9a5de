package org.jorderer.server.config;

import java.util.List;

/**
 * The configuration cannot be used: a file that is not YAML, or values of the wrong form. Every
 * problem found is listed, each naming its key (and the environment variable when one set it) and
 * the form expected, so one start-up attempt shows them all.
 */
public final class ConfigurationException extends RuntimeException {
  private final List<String> problems;

  public ConfigurationException(List<String> problems) {
    super(message(problems));
    this.problems = List.copyOf(problems);
  }

  /** One line per problem, e.g. {@code General.ListenPort: expected an integer from 0 to 65535, got 'abc'}. */
  public List<String> problems() {
    return problems;
  }

  private static String message(List<String> problems) {
    if (problems.size() == 1) {
      return "invalid orderer configuration: " + problems.get(0);
    }
    return "invalid orderer configuration (" + problems.size() + " problems):\n  " + String.join("\n  ", problems);
  }
}
