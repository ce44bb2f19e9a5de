package org.jorderer.consensus;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Objects;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.channel.processor.MessageProcessor;
import org.jorderer.consensus.cutter.BlockCutter;
import org.jorderer.ledger.BlockStore;

/**
 * Everything a chain may read and do for its channel (Fabric's {@code consensus.ConsenterSupport}):
 * read the current config and its sequence, the block cutter, the channel's message processor (the
 * one rule Broadcast applies, re-run at ordering when the config moved), the signer, the ledger's
 * height and last hash; create the next block, write it, write a config block. A chain never touches
 * the ledger or the config holder itself, so solo and Raft write blocks and switch configs the same
 * way.
 */
public final class ConsenterSupport {
  private final String channelId;
  private final CurrentConfig config;
  private final MessageProcessor processor;
  private final LocalSigner signer;
  private final ConsensusMetrics.ChannelMetrics metrics;
  private final BlockCutter cutter;
  private final BlockWriter writer;
  private final Runnable evicted;

  /**
   * @param ledger the channel's block store (a chain starts once it holds the genesis block)
   * @param config the channel's current config, switched by {@link #writeConfigBlock}
   * @param processor the channel's message processor over the same config
   * @param signer the orderer's identity, signing every block
   */
  public ConsenterSupport(BlockStore ledger, CurrentConfig config, MessageProcessor processor, LocalSigner signer,
      ConsensusMetrics metrics) {
    this(ledger, config, processor, signer, metrics, () -> {});
  }

  /**
   * As above; {@code evicted} runs (once, on a thread of its own) after a chain of a cluster
   * consensus type halted because a config block removed this node from the channel's consenters
   * (Fabric's etcdraft {@code haltCallback}: the registrar makes the node a follower).
   */
  public ConsenterSupport(BlockStore ledger, CurrentConfig config, MessageProcessor processor, LocalSigner signer,
      ConsensusMetrics metrics, Runnable evicted) {
    this.evicted = Objects.requireNonNull(evicted, "evicted");
    this.config = Objects.requireNonNull(config, "config");
    ChannelConfig initial = Objects.requireNonNull(config.get(), "config.get() returned no channel config");
    this.channelId = initial.channelId();
    this.processor = Objects.requireNonNull(processor, "processor");
    this.signer = Objects.requireNonNull(signer, "signer");
    this.metrics = Objects.requireNonNull(metrics, "metrics").forChannel(channelId);
    this.cutter = new BlockCutter(config, this.metrics::blockFilled);
    this.writer = new BlockWriter(channelId, Objects.requireNonNull(ledger, "ledger"), config, signer, this.metrics);
  }

  public String channelId() {
    return channelId;
  }

  /** The config in force. */
  public ChannelConfig config() {
    return config.get();
  }

  /** The sequence of the config in force. */
  public long sequence() {
    return config.get().sequence();
  }

  public BlockCutter blockCutter() {
    return cutter;
  }

  public MessageProcessor processor() {
    return processor;
  }

  public LocalSigner signer() {
    return signer;
  }

  public ConsensusMetrics.ChannelMetrics metrics() {
    return metrics;
  }

  /** The ledger's height. */
  public long height() {
    return writer.height();
  }

  /** Block {@code number} as stored in the channel's ledger (Fabric's {@code Block}). */
  public Block block(long number) {
    return writer.block(number);
  }

  /** The header hash of the ledger's last block. */
  public byte[] lastHash() {
    return writer.lastHash();
  }

  /** See {@link BlockWriter#createNextBlock}. */
  public Block createNextBlock(List<Envelope> batch) {
    return writer.createNextBlock(batch);
  }

  /** See {@link BlockWriter#retryUndoneAppends}. */
  public void retryUndoneAppends(LedgerStall stall) {
    writer.retryUndoneAppends(stall);
  }

  /** See {@link BlockWriter#writeBlock}. */
  public void writeBlock(Block block, ByteString consenterMetadata) {
    writer.writeBlock(block, consenterMetadata);
  }

  /** Tells the node that a config block removed it from the channel's consenters; see the constructor. */
  public void evicted() {
    evicted.run();
  }

  /** See {@link BlockWriter#appendPulled}. */
  public void appendPulled(Block block) {
    writer.appendPulled(block);
  }

  /** See {@link BlockWriter#appendPulled(java.util.List)}. */
  public void appendPulled(java.util.List<Block> blocks) {
    writer.appendPulled(blocks);
  }

  /** See {@link BlockWriter#writeConfigBlock}. */
  public ChannelConfig writeConfigBlock(Block block, ByteString consenterMetadata) {
    return writer.writeConfigBlock(block, consenterMetadata);
  }
}
