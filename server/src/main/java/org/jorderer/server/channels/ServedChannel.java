package org.jorderer.server.channels;

import java.util.Optional;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.EnvelopeChecks;
import org.jorderer.consensus.Chain;
import org.jorderer.consensus.Submission;
import org.jorderer.consensus.CurrentConfig;
import org.jorderer.channel.processor.MessageProcessor;
import org.jorderer.consensus.ChainHaltedException;
import org.jorderer.ledger.BlockStore;
import org.jorderer.server.broadcast.BroadcastableChannel;
import org.jorderer.server.deliver.DeliverableChannel;
import org.jorderer.consensus.ErrorSignal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A channel this orderer serves: its ledger, its current config, its message processor and the
 * state of its chain. Deliver reads it through {@link DeliverableChannel}, Broadcast through
 * {@link BroadcastableChannel}; the chain's block writer switches its config ({@link CurrentConfig})
 * when it writes a config block, which switches at once everything that reads the config: the
 * processor's filters and policies, MSPs and CRLs, the block cutter's batch size and timeout, the
 * orderer addresses, and the Readers re-check of open Deliver requests.
 */
public final class ServedChannel implements DeliverableChannel, BroadcastableChannel, CurrentConfig {
  private static final Logger log = LoggerFactory.getLogger(ServedChannel.class);

  /** The config a config block carries while that block is being appended. */
  private record Staged(long blockNumber, ChannelConfig config) {}

  private final String channelId;
  private final BlockStore ledger;
  private volatile ChannelConfig config;
  private volatile Staged staged;
  private volatile MessageProcessor processor;
  private final ErrorSignal erroredWithoutChain = new ErrorSignal();
  private volatile Chain chain;
  /** Why the channel has no chain yet, for Broadcast's answer (a consenter whose chain is starting). */
  private volatile String noChainReason;
  private volatile boolean chainStarting;

  ServedChannel(String channelId, BlockStore ledger, ChannelConfig config) {
    this.channelId = channelId;
    this.ledger = ledger;
    this.config = config;
  }

  public String channelId() {
    return channelId;
  }

  @Override
  public BlockStore ledger() {
    return ledger;
  }

  /**
   * The config in force: the installed one, or the config of a config block being written as soon
   * as that block is in the ledger. So no one (Broadcast, a Deliver reader of the block, the next
   * config update) sees the config block under the old config, as in Fabric, whose block writer
   * switches its bundle before writing the block; and a block that failed to append applies nothing.
   */
  @Override
  public ChannelConfig config() {
    Staged s = staged;
    if (s != null && ledger.height() > s.blockNumber()) {
      return s.config();
    }
    return config;
  }

  @Override
  public ChannelConfig get() {
    return config();
  }

  /**
   * Switches the channel to a newer config (its sequence must be higher): one reference swap, so
   * every reader sees either the old config or the new one, never a mix. Open Deliver requests
   * re-check their Readers access at their next block. Called by the block writer once the config
   * block is durable.
   */
  public synchronized void updateConfig(ChannelConfig next) {
    if (next.sequence() <= config.sequence()) {
      throw new IllegalArgumentException("config sequence " + next.sequence() + " does not follow " + config.sequence());
    }
    config = next;
    staged = null;
    log.info("[channel: {}] Switched to config sequence {}", channelId, next.sequence());
  }

  @Override
  public void install(ChannelConfig next) {
    updateConfig(next);
  }

  @Override
  public synchronized void stage(long blockNumber, ChannelConfig next) {
    staged = new Staged(blockNumber, next);
  }

  @Override
  public synchronized void unstage() {
    staged = null;
  }

  @Override
  public long configSequence() {
    return config().sequence();
  }

  /** The channel's message processor, or empty when this node does not order for it. */
  @Override
  public Optional<MessageProcessor> processor() {
    return Optional.ofNullable(processor);
  }

  void processor(MessageProcessor made) {
    this.processor = made;
  }

  /** Makes {@code chain} the one that orders for this channel, and starts it. */
  void attach(Chain started) {
    this.chain = started;
    noChainReason = null;
    chainStarting = false;
    // A Deliver stream opened while the channel had no chain holds the chainless signal: it ends
    // when this chain stops, as one opened now does.
    started.errored().subscribe(erroredWithoutChain::fire);
  }

  /** Broadcast's reason while the channel has no chain (null: none given). */
  void noChainReason(String reason) {
    this.noChainReason = reason;
  }

  /**
   * Whether the channel's chain is being started (a consenter switching from follower, maybe
   * trying again): the participation API says "onboarding" until it orders.
   */
  boolean chainStarting() {
    return chainStarting;
  }

  void chainStarting(boolean starting) {
    this.chainStarting = starting;
  }

  private ChainHaltedException noChain() {
    String reason = noChainReason;
    return new ChainHaltedException("channel " + channelId + " has no chain" + (reason == null ? "" : ": " + reason));
  }

  public Optional<Chain> chain() {
    return Optional.ofNullable(chain);
  }

  @Override
  public ErrorSignal errored() {
    Chain c = chain;
    return c != null ? c.errored() : erroredWithoutChain;
  }

  @Override
  public Submission order(Envelope envelope, long configSequence) {
    Chain c = chain;
    if (c == null) {
      return Submission.refused(noChain());
    }
    return c.submit(envelope, configSequence);
  }

  @Override
  public Submission configure(Envelope configEnvelope, long configSequence) {
    Chain c = chain;
    if (c == null) {
      return Submission.refused(noChain());
    }
    return c.submitConfig(configEnvelope, configSequence);
  }

  /** Stops the chain at once (Deliver answers SERVICE_UNAVAILABLE from now on). */
  public void halt(String reason) {
    if (!errored().fired()) {
      log.info("[channel: {}] Chain halted: {}", channelId, reason);
    }
    Chain c = chain;
    if (c != null) {
      c.halt();
    } else {
      erroredWithoutChain.fire();
    }
  }

  /**
   * The channel leaves this node: the chain halts and deletes its own state beside the ledger
   * ({@link Chain#remove}; a Raft chain's group and files).
   */
  void remove() {
    Chain c = chain;
    if (c != null) {
      c.remove();
    } else {
      erroredWithoutChain.fire();
    }
  }

  /** Stops the chain after it has written everything it accepted (a clean shutdown). */
  void close() {
    Chain c = chain;
    if (c != null) {
      c.close();
    } else {
      erroredWithoutChain.fire();
    }
  }

  @Override
  public Optional<String> checkReaders(Envelope request) {
    return checkReaders(config(), request);
  }

  private static Optional<String> checkReaders(ChannelConfig config, Envelope request) {
    EnvelopeChecks.Verdict verdict = EnvelopeChecks.deliver(config, request);
    return verdict.accepted() ? Optional.empty() : Optional.of(verdict.message());
  }
}
