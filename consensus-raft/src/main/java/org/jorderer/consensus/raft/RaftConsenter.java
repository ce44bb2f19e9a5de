package org.jorderer.consensus.raft;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.config.ConsensusType;
import org.jorderer.consensus.Chain;
import org.jorderer.consensus.ClusterConsenter;
import org.jorderer.consensus.ConsenterSupport;

/**
 * Consensus type "etcdraft" on Apache Ratis (Fabric's {@code etcdraft.Consenter}): one Raft group
 * per channel, all hosted by this node's one Ratis server. Make one per node (per
 * {@link ClusterSettings}); chains made by it share the server, which starts with the first chain
 * and stops after the last one closes.
 */
public final class RaftConsenter implements ClusterConsenter {
  /** The name channel configs give this consensus type. */
  public static final String TYPE = "etcdraft";

  private final RatisNode node;
  /** The chain made last for each channel: its leader knows which consenters are active. */
  private final java.util.Map<String, RaftChain> chains = new java.util.concurrent.ConcurrentHashMap<>();
  private final BlockSource blocks;

  /** A consenter that cannot pull blocks: a node behind the others' compacted logs stays behind. */
  public RaftConsenter(ClusterSettings settings) {
    this(settings, BlockSource.NONE);
  }

  /**
   * @param blocks where a node behind the others' compacted Raft logs pulls the blocks it misses
   *     (the server's Deliver client)
   */
  public RaftConsenter(ClusterSettings settings, BlockSource blocks) {
    this.node = new RatisNode(Objects.requireNonNull(settings, "settings"));
    this.blocks = Objects.requireNonNull(blocks, "blocks");
  }

  /**
   * A chain for the channel if this node is one of its consenters (Fabric's {@code HandleChain}).
   *
   * @throws IllegalArgumentException when the channel's etcdraft metadata is unusable, or this
   *     node's cluster certificate is not a consenter's (the registrar asks
   *     {@link #isChannelMember} first and makes such a node a follower)
   */
  @Override
  public Chain handleChain(ConsenterSupport support) {
    ConsensusType type = support.config().orderer()
        .orElseThrow(() -> new IllegalArgumentException("channel " + support.channelId() + " has no orderer config"))
        .consensusType();
    ConsenterSet consenters = ConsenterSet.of(support.channelId(), type.metadata(),
        support.block(support.height() - 1));
    if (consenters.self(node.settings().serverCertificatePem()).isEmpty()) {
      throw new IllegalArgumentException("channel " + support.channelId()
          + ": this node's cluster certificate is not among the channel's consenters (not in channel)");
    }
    RaftTiming.of(support.channelId(), consenters.metadata().getOptions(), node.settings()); // refuses bad Options
    RaftChain chain = new RaftChain(support, node, consenters, blocks);
    chains.put(support.channelId(), chain);
    return chain;
  }

  /**
   * Fabric's {@code IsChannelMember}/{@code detectSelfID}: whether a consenter's server TLS
   * certificate carries this node's cluster public key.
   */
  @Override
  public boolean isChannelMember(ChannelConfig config) {
    var orderer = config.orderer();
    if (orderer.isEmpty() || !TYPE.equals(orderer.get().consensusType().type())) {
      return false;
    }
    try {
      org.hyperledger.fabric.protos.orderer.etcdraft.ConfigMetadata metadata =
          org.hyperledger.fabric.protos.orderer.etcdraft.ConfigMetadata.parseFrom(orderer.get().consensusType().metadata());
      byte[] mine = ConsenterSet.publicKey(node.settings().serverCertificatePem());
      for (var consenter : metadata.getConsentersList()) {
        if (java.util.Arrays.equals(mine, ConsenterSet.publicKey(consenter.getServerTlsCert().toByteArray()))) {
          return true;
        }
      }
      return false;
    } catch (com.google.protobuf.InvalidProtocolBufferException | IllegalArgumentException e) {
      return false;
    }
  }

  /** Fabric's etcdraft {@code ValidateConsensusMetadata}; see {@link ConsenterRules}. */
  @Override
  public Optional<String> validateConsensusMetadata(ChannelConfig current, ChannelConfig next, Block lastBlock,
      Instant now) {
    RaftChain chain = chains.get(current.channelId());
    java.util.Optional<java.util.Set<Long>> active = chain == null || chain.evicted()
        ? java.util.Optional.empty() : chain.activeNodes();
    return ConsenterRules.validate(current, next, lastBlock, now, active);
  }
}
