package org.jorderer.channel.policy;

/**
 * The outcome of a policy evaluation. On failure {@code reason} is the text Fabric's policy returns
 * (e.g. "implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy
 * requires 1 of the 'Writers' sub-policies to be satisfied"); on success it is empty.
 */
public record PolicyResult(boolean satisfied, String reason) {
  private static final PolicyResult OK = new PolicyResult(true, "");

  public static PolicyResult ok() {
    return OK;
  }

  public static PolicyResult failed(String reason) {
    return new PolicyResult(false, reason);
  }
}
