package org.jorderer.consensus;

/**
 * What a chain does while its ledger undoes appends (a full disk): the {@link BlockWriter} keeps
 * the signed block and asks the chain, between attempts, whether to try again. Without one, the
 * writer's first failure stops the chain, as Fabric's (which panics there).
 */
public interface LedgerStall {

  /**
   * Called after attempt failed to write block {@code number}; waits up to {@code backoffMillis}
   * and answers whether to try again (false: the chain is stopping, the failure goes up).
   *
   * @param why the ledger's reason, for the chain's refusals and logs
   */
  boolean awaitRetry(String why, long number, long backoffMillis);

  /** Called once a block was written after one or more failed attempts. */
  void resumed(long number);
}
