package org.jorderer.channel.policy;

import java.util.List;

/** Fabric's {@code rejectPolicy}: what a lookup of an undefined policy yields; never satisfied. */
public final class MissingPolicy implements Policy {
  private final String name;

  public MissingPolicy(String name) {
    this.name = name;
  }

  @Override
  public PolicyResult evaluate(SignatureSet signatures) {
    return PolicyResult.failed("no such policy: '" + name + "'");
  }

  @Override
  public PolicyResult evaluate(List<SignedData> signedData) {
    return PolicyResult.failed("no such policy: '" + name + "'");
  }
}
