package org.jorderer.ledger;

/**
 * An append was refused because the block does not extend the chain: wrong number, wrong previous
 * hash, or bytes that are not a {@code common.Block}. Nothing was written.
 */
public final class BlockRejectedException extends LedgerException {
  public BlockRejectedException(String message) {
    super(message);
  }
}
