package org.jorderer.server.channels;

import java.time.Clock;
import java.util.Objects;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.processor.MessageProcessor;
import org.jorderer.channel.processor.ConsensusMetadataValidator;
import org.jorderer.consensus.Chain;
import org.jorderer.consensus.ClusterConsenter;
import org.jorderer.consensus.Consenter;
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
 * @param pullTls how followers dial other orderers to pull blocks, or null for plaintext
 */
public record ChainFactory(Consenters consenters, LocalSigner signer, ConsensusMetrics metrics, Clock clock,
    boolean expirationChecks, OrdererClientTls pullTls) {

  /** Followers pull in plaintext. */
  public ChainFactory(Consenters consenters, LocalSigner signer, ConsensusMetrics metrics, Clock clock,
      boolean expirationChecks) {
    this(consenters, signer, metrics, clock, expirationChecks, null);
  }

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

  /**
   * The channel's message processor, reading the channel's current config, with the consensus
   * type's own rules for config updates (etcdraft: Fabric's consenter-change rules, judged against
   * the ledger's newest block, whose metadata numbers the consenters).
   */
  MessageProcessor processor(ServedChannel channel) {
    ConsensusMetadataValidator rules = ConsensusMetadataValidator.NONE;
    if (cluster(channel.config()) instanceof ClusterConsenter consenter) {
      rules = (current, next, now) -> consenter.validateConsensusMetadata(current, next,
          channel.ledger().readBlock(channel.ledger().height() - 1), now);
    }
    return new MessageProcessor(channel.channelId(), channel::config, signer, clock, expirationChecks, rules);
  }

  /**
   * Whether this node orders for a channel under {@code config}: always for single-node types,
   * for a cluster type only when the config names this node a consenter (else it follows).
   */
  boolean isMember(ChannelConfig config) {
    return !(cluster(config) instanceof ClusterConsenter consenter) || consenter.isChannelMember(config);
  }

  /**
   * Whether {@code config} is of a cluster type (etcdraft) and names this node a consenter: a
   * follower of such a channel becomes a consenter. Followers of other types keep following.
   */
  boolean isClusterMember(ChannelConfig config) {
    return cluster(config) instanceof ClusterConsenter consenter && consenter.isChannelMember(config);
  }

  /** Fabric's participation API relation of a channel this node orders for: "consenter" or "other" (solo). */
  String relation(ChannelConfig config) {
    return cluster(config) instanceof ClusterConsenter ? "consenter" : "other";
  }

  private Consenter cluster(ChannelConfig config) {
    return config.orderer().flatMap(o -> consenters.forType(o.consensusType().type())).orElse(null);
  }

  /**
   * A chain for {@code channel} from the consenter of its consensus type; not started.
   *
   * @throws IllegalArgumentException when this node cannot run the channel's consensus type
   */
  Chain create(ServedChannel channel) {
    return create(channel, () -> {});
  }

  /** As above; {@code evicted} runs when a config block removes this node from the consenters. */
  Chain create(ServedChannel channel, Runnable evicted) {
    ConsenterSupport support = new ConsenterSupport(channel.ledger(), channel, channel.processor().orElseThrow(), signer,
        metrics, evicted);
    return consenters.forChannel(channel.config()).handleChain(support);
  }
}
