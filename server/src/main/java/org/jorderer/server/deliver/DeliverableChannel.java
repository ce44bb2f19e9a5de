package org.jorderer.server.deliver;

import org.jorderer.consensus.ErrorSignal;
import java.util.Optional;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.ledger.BlockStore;

/**
 * What Deliver needs of one channel, and nothing more (Fabric's {@code deliver.Chain} plus its
 * policy checker): the ledger, the config sequence, the consensus error signal and the Readers
 * check of the current config.
 */
public interface DeliverableChannel {
  BlockStore ledger();

  /** The current config sequence; an increase makes every open request re-check its access. */
  long configSequence();

  /**
   * The signal that fires while the channel's consensus is failed. A request samples it once, when
   * it starts, and answers SERVICE_UNAVAILABLE if it has fired or fires later (unless the client
   * asked for BEST_EFFORT).
   */
  ErrorSignal errored();

  /**
   * Evaluates the channel's current Readers policy ({@code /Channel/Readers}, or
   * {@code /Channel/Orderer/Readers} in maintenance mode) over the request envelope: empty when
   * the signer may read, otherwise the reason (logged, never sent to the client).
   */
  Optional<String> checkReaders(Envelope request);
}
