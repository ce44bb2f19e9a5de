package org.jorderer.server.channels;

import java.util.Optional;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.EnvelopeChecks;
import org.jorderer.ledger.BlockStore;
import org.jorderer.server.deliver.DeliverableChannel;
import org.jorderer.consensus.ErrorSignal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A channel this orderer serves: its ledger, its current config and the state of its chain.
 * Deliver reads it through {@link DeliverableChannel}; the chain that orders for it (solo, Raft)
 * updates the config and reports failure here.
 */
public final class ServedChannel implements DeliverableChannel {
  private static final Logger log = LoggerFactory.getLogger(ServedChannel.class);

  private final String channelId;
  private final BlockStore ledger;
  private volatile ChannelConfig config;
  private final ErrorSignal errored = new ErrorSignal();

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

  @Override
  public ErrorSignal errored() {
    return errored;
  }

  /** The chain stopped (removed, shut down, failed): Deliver answers SERVICE_UNAVAILABLE from now on. */
  public void halt(String reason) {
    if (!errored.fired()) {
      log.info("[channel: {}] Chain halted: {}", channelId, reason);
    }
    errored.fire();
  }

  @Override
  public Optional<String> checkReaders(Envelope request) {
    EnvelopeChecks.Verdict verdict = EnvelopeChecks.deliver(config, request);
    return verdict.accepted() ? Optional.empty() : Optional.of(verdict.message());
  }
}
