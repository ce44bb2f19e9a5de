package org.jorderer.consensus.solo;

import java.util.Objects;
import org.jorderer.consensus.Chain;
import org.jorderer.consensus.Consenter;
import org.jorderer.consensus.ConsenterSupport;

/** Consensus type "solo" (Fabric's {@code solo.New()}): one {@link SoloChain} per channel. */
public final class SoloConsenter implements Consenter {
  /** The name channel configs give this consensus type. */
  public static final String TYPE = "solo";

  private final SoloOptions options;

  public SoloConsenter(SoloOptions options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  @Override
  public Chain handleChain(ConsenterSupport support) {
    return new SoloChain(support, options);
  }
}
