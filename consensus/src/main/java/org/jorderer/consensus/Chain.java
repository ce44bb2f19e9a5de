package org.jorderer.consensus;

import java.util.concurrent.CompletableFuture;
import org.hyperledger.fabric.protos.common.Envelope;

/**
 * One channel's ordering (Fabric's {@code consensus.Chain}): takes validated envelopes, orders them,
 * cuts them into blocks, and appends the blocks to the channel's ledger, where Deliver finds them.
 * Solo and Raft (Apache Ratis) implement it over the same {@link ConsenterSupport},
 * {@link OrderingQueue} and {@link BlockWriter}.
 *
 * <p>Ordering is asynchronous and never blocks the caller: {@link #submit} returns a
 * {@link Submission}, whose {@code taken} future completes once the chain has the envelope in its
 * bounded queue (pending while the queue is full: back-pressure) and whose {@code settled} future
 * completes when Broadcast may answer for it (solo: the same moment; Raft: once committed).
 */
public interface Chain extends AutoCloseable {

  /** Whether this node orders for the channel itself or must hand envelopes to the leader. */
  enum Role {
    ORDERS,
    FORWARDS
  }

  Role role();

  /**
   * Hands over a normal envelope that passed the channel's filters at config sequence
   * {@code configSequence}. Both of the submission's futures fail with {@link ChainHaltedException}
   * once the chain is halted (Fabric answers SERVICE_UNAVAILABLE with the exception's text).
   */
  Submission submit(Envelope envelope, long configSequence);

  /**
   * Hands over a CONFIG envelope that the channel's message processor made from a CONFIG_UPDATE at
   * config sequence {@code configSequence} (Fabric's {@code Configure}). The chain cuts any pending
   * batch, writes the config envelope alone in its block and switches the channel to its config;
   * if the sequence moved meanwhile the envelope is processed again first. The submission
   * completes and fails as {@link #submit}'s does.
   */
  Submission submitConfig(Envelope configEnvelope, long configSequence);

  /** {@link #submit}, for callers that only need the answer: completes when the envelope is settled. */
  default CompletableFuture<Void> order(Envelope envelope, long configSequence) {
    return submit(envelope, configSequence).settled();
  }

  /** {@link #submitConfig}, for callers that only need the answer. */
  default CompletableFuture<Void> configure(Envelope configEnvelope, long configSequence) {
    return submitConfig(configEnvelope, configSequence).settled();
  }

  /** Fires when the chain stops ordering (halted, failed); Deliver answers SERVICE_UNAVAILABLE then. */
  ErrorSignal errored();

  /**
   * Why the chain cannot order for now while it waits to write its ledger again (a full disk), or
   * empty. A stalled chain has not failed: it resumes by itself, and Deliver keeps serving.
   */
  default java.util.Optional<String> stalled() {
    return java.util.Optional.empty();
  }

  /**
   * Why this node cannot order for the channel for now because its cluster has no quorum it can
   * reach (a Raft channel without a leader for longer than Broadcast waits for one), or empty.
   * Like {@link #stalled}, it is no failure: ordering resumes once a quorum is back.
   */
  default java.util.Optional<String> noQuorum() {
    return java.util.Optional.empty();
  }

  /** Starts ordering; the chain continues from the ledger's height and last block. */
  void start();

  /** Stops at once, as Fabric's Halt: queued and pending envelopes are not written. */
  void halt();

  /**
   * The channel is being removed from this node (channel participation API): halts, and deletes
   * what the chain keeps of the channel beside its ledger (a Raft chain: its group, log and
   * snapshots). The ledger itself is the caller's.
   */
  default void remove() {
    halt();
  }

  /**
   * Stops accepting, orders and writes everything already accepted (cutting the pending batch),
   * then halts: nothing answered with SUCCESS is lost by a clean shutdown.
   */
  @Override
  void close();
}
