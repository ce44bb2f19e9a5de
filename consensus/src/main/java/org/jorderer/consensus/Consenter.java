package org.jorderer.consensus;

/** A kind of consensus (Fabric's {@code consensus.Consenter}): makes the chain of one channel. */
public interface Consenter {
  /** A chain for the channel behind {@code support}; not started. */
  Chain handleChain(ConsenterSupport support);
}
