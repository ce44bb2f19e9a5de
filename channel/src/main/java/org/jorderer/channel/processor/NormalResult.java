package org.jorderer.channel.processor;

/**
 * The outcome of {@link MessageProcessor#processNormal}: the verdict, and the config sequence the
 * envelope was checked at (Fabric returns it with the error too; 0 when refused for maintenance
 * mode). The chain re-checks the envelope when the channel's sequence has moved past it.
 */
public record NormalResult(Verdict verdict, long configSequence) {
  public boolean accepted() {
    return verdict.accepted();
  }
}
