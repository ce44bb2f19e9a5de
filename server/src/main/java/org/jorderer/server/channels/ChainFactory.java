package org.jorderer.server.channels;

import java.time.Clock;
import java.util.Objects;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.processor.MessageProcessor;
import org.jorderer.consensus.Chain;
import org.jorderer.consensus.ConsensusMetrics;
import org.jorderer.consensus.ConsenterSupport;
import org.jorderer.consensus.Consenters;

/**
 * Makes what orders for a served channel: its message processor (the one rule Broadcast and the
 * chain apply) and its chain, from the consenter registered for the channel's consensus type
 * (Fabric's registrar: {@code newChainSupport} and {@code consenters[type].HandleChain}).
 *
 * @param consenters the consensus types this node runs
 * @param signer the orderer's identity: signs blocks and the CONFIG envelopes made from updates
 * @param clock the time of the expiry filter and of CONFIG envelopes (fixed in tests)
 * @param expirationChecks {@code !General.Authentication.NoExpirationChecks}
 */
public record ChainFactory(Consenters consenters, LocalSigner signer, ConsensusMetrics metrics, Clock clock,
    boolean expirationChecks) {

  public ChainFactory {
    Objects.requireNonNull(consenters, "consenters");
    Objects.requireNonNull(signer, "signer");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(clock, "clock");
  }

  /**
   * Refuses, with a message for the operator, a channel whose consensus this node cannot run.
   *
   * @throws IllegalArgumentException naming the channel and its consensus type
   */
  public void checkSupported(ChannelConfig config) {
    consenters.forChannel(config);
  }

  /** The channel's message processor, reading the channel's current config. */
  MessageProcessor processor(ServedChannel channel) {
    return new MessageProcessor(channel.channelId(), channel::config, signer, clock, expirationChecks);
  }

  /**
   * A chain for {@code channel} from the consenter of its consensus type; not started.
   *
   * @throws IllegalArgumentException when this node cannot run the channel's consensus type
   */
  Chain create(ServedChannel channel) {
    ConsenterSupport support = new ConsenterSupport(channel.ledger(), channel, channel.processor().orElseThrow(), signer, metrics);
    return consenters.forChannel(channel.config()).handleChain(support);
  }
}
