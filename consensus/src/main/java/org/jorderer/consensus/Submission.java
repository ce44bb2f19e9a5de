package org.jorderer.consensus;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * What a {@link Chain} says of one envelope handed to it, at two moments.
 *
 * <p>{@code taken} completes once the chain holds the envelope in its bounded queue: the caller may
 * hand over the next one. It stays pending while the queue is full, so a caller that waits for it
 * before reading more from its client pushes back on that client (HTTP/2 flow control).
 *
 * <p>{@code settled} completes once Broadcast may answer for the envelope: SUCCESS when it completes
 * normally, SERVICE_UNAVAILABLE with the failure's text otherwise. A solo chain settles when it takes
 * (Fabric's solo answers once the envelope is enqueued); a Raft chain settles once the envelope's
 * entry is committed by a quorum. Keeping the two apart lets a Broadcast stream hand over its next
 * envelopes while earlier ones are still being replicated, instead of one replication round per
 * envelope per stream; the stream still answers in order.
 */
public record Submission(CompletableFuture<Void> taken, CompletableFuture<Void> settled) {
  public Submission {
    Objects.requireNonNull(taken, "taken");
    Objects.requireNonNull(settled, "settled");
  }

  /** A submission answered at the moment it is taken (solo). */
  public static Submission settledWhenTaken(CompletableFuture<Void> taken) {
    return new Submission(taken, taken);
  }

  /** A submission refused before any queue, for {@code reason}. */
  public static Submission refused(Throwable reason) {
    return settledWhenTaken(CompletableFuture.failedFuture(reason));
  }
}
