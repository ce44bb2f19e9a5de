package org.jorderer.server.deliver;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.EnvelopeChecks;

/**
 * The access decision of one Deliver request (Fabric's {@code deliver.SessionAccessControl}):
 * identity expiry on every evaluation, the Readers policy at the first one and again whenever the
 * channel's config sequence has grown, a positive answer cached in between.
 */
final class SessionAccess {
  private final Envelope request;
  private final DeliverableChannel channel;
  private final Optional<Instant> sessionEnd;
  private final Clock clock;
  private long lastConfigSequence;
  private boolean usedAtLeastOnce;

  SessionAccess(Envelope request, DeliverableChannel channel, Optional<Instant> sessionEnd, Clock clock) {
    this.request = request;
    this.channel = channel;
    this.sessionEnd = sessionEnd;
    this.clock = clock;
  }

  /** Empty when the request may go on, otherwise why not (answered as FORBIDDEN). */
  Optional<String> evaluate() {
    Optional<String> expired = EnvelopeChecks.deliverExpiry(sessionEnd, clock.instant());
    if (expired.isPresent()) {
      return expired;
    }
    boolean policyCheckNeeded = !usedAtLeastOnce;
    long sequence = channel.configSequence();
    if (sequence > lastConfigSequence) {
      lastConfigSequence = sequence;
      policyCheckNeeded = true;
    }
    if (!policyCheckNeeded) {
      return Optional.empty();
    }
    usedAtLeastOnce = true;
    return channel.checkReaders(request);
  }
}
