package org.jorderer.server.channels;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.EnvelopeChecks;
import org.jorderer.consensus.Chain;
import org.jorderer.consensus.ChainHaltedException;
import org.jorderer.ledger.BlockStore;
import org.jorderer.server.broadcast.BroadcastableChannel;
import org.jorderer.server.deliver.DeliverableChannel;
import org.jorderer.consensus.ErrorSignal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A channel this orderer serves: its ledger, its current config and the state of its chain.
 * Deliver reads it through {@link DeliverableChannel}; the chain that orders for it (solo, Raft)
 * updates the config and reports failure here.
 */
public final class ServedChannel implements DeliverableChannel, BroadcastableChannel {
  private static final Logger log = LoggerFactory.getLogger(ServedChannel.class);

  private final String channelId;
  private final BlockStore ledger;
  private volatile ChannelConfig config;
  private final ErrorSignal erroredWithoutChain = new ErrorSignal();
  private volatile Chain chain;

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

  public ChannelConfig config() {
    return config;
  }

  /** Installs a newer config; its sequence must be higher, which re-checks every Deliver session. */
  public void updateConfig(ChannelConfig next) {
    if (next.sequence() <= config.sequence()) {
      throw new IllegalArgumentException("config sequence " + next.sequence() + " does not follow " + config.sequence());
    }
    config = next;
  }

  @Override
  public long configSequence() {
    return config.sequence();
  }

  /** Makes {@code chain} the one that orders for this channel, and starts it. */
  void attach(Chain started) {
    this.chain = started;
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
  public CompletableFuture<Void> order(Envelope envelope, long configSequence) {
    Chain c = chain;
    if (c == null) {
      return CompletableFuture.failedFuture(new ChainHaltedException("channel " + channelId + " has no chain"));
    }
    return c.order(envelope, configSequence);
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
    EnvelopeChecks.Verdict verdict = EnvelopeChecks.deliver(config, request);
    return verdict.accepted() ? Optional.empty() : Optional.of(verdict.message());
  }
}
