package org.jorderer.consensus;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.ConfigEnvelope;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.HeaderType;
import org.hyperledger.fabric.protos.common.Payload;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.block.BlockBuilder;
import org.jorderer.channel.configtx.ConfigTxValidator;
import org.jorderer.channel.configtx.ConfigUpdateException;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.ledger.AppendUndoneException;
import org.jorderer.ledger.BlockStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a channel's blocks for any consensus (Fabric's {@code multichannel.BlockWriter}): creates
 * the next block over a batch, signs it with the orderer's identity (SIGNATURES with
 * OrdererBlockMetadata and the consenter's metadata), sets LAST_CONFIG, appends it durably to the
 * ledger and records the height and commit-time metrics.
 *
 * <p>A config block ({@link #writeConfigBlock}) carries one CONFIG envelope. Its config is
 * validated as the next config of the current one and parsed first (a failure applies nothing and
 * writes nothing); the block then records itself as the last config block; the new config is
 * staged, the block appended, and only then installed. A crash between the append and the install
 * loses nothing: at start the channel's config is read from the ledger's last config block.
 *
 * <p>An append the ledger undid (a full disk: nothing of the block stays on disk) is retried with
 * back-off while the chain's {@link LedgerStall} agrees; the signed block stays in memory, so
 * nothing acknowledged is lost and ordering resumes by itself once a write succeeds.
 *
 * <p>Used by one ordering thread at a time; not thread-safe.
 */
public final class BlockWriter {
  private static final Logger log = LoggerFactory.getLogger(BlockWriter.class);

  private final String channelId;
  private final BlockStore ledger;
  private final CurrentConfig config;
  private final LocalSigner signer;
  private final ConsensusMetrics.ChannelMetrics metrics;
  private BlockBuilder blocks; // made from the ledger's last block on first use
  private LedgerStall stall; // null: an undone append stops the chain

  // Back-off between attempts to write a block the ledger could not take.
  private static final long FIRST_RETRY_MILLIS = 50;
  private static final long LAST_RETRY_MILLIS = 2_000;

  public BlockWriter(String channelId, BlockStore ledger, CurrentConfig config, LocalSigner signer,
      ConsensusMetrics.ChannelMetrics metrics) {
    this.channelId = Objects.requireNonNull(channelId, "channelId");
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    this.config = Objects.requireNonNull(config, "config");
    this.signer = Objects.requireNonNull(signer, "signer");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  /** Retries appends the ledger undid, asking {@code stall} between attempts. */
  public void retryUndoneAppends(LedgerStall stall) {
    this.stall = Objects.requireNonNull(stall, "stall");
  }

  /** The ledger's height: the number the next block gets. */
  public long height() {
    return ledger.height();
  }

  /** Block {@code number} as stored (Fabric's {@code support.Block}). */
  public Block block(long number) {
    return ledger.readBlock(number);
  }

  /** The header hash of the ledger's last block. */
  public byte[] lastHash() {
    return ledger.lastHeaderHash();
  }

  /**
   * Fabric's {@code CreateNextBlock}: the unsigned block after the last one written, over
   * {@code batch}.
   *
   * @throws IllegalStateException when the ledger holds no block
   */
  public Block createNextBlock(List<Envelope> batch) {
    return builder().createNextBlock(batch);
  }

  /** Fabric's {@code WriteBlock}: signs the block under the current config and appends it. */
  public void writeBlock(Block block, ByteString consenterMetadata) {
    Block signed = builder().commit(block, config.get().sequence(), consenterMetadata);
    append(signed, block.getData().getDataCount());
  }

  /**
   * Fabric's {@code WriteConfigBlock}: validates the block's CONFIG envelope as the next config,
   * signs the block (its LAST_CONFIG points at itself), appends it and switches the channel to the
   * new config. Returns that config.
   *
   * @throws IllegalStateException when the block is not a config block of the next config; the
   *     channel's config and ledger are unchanged (Fabric panics: an orderer cannot go on from here)
   */
  public ChannelConfig writeConfigBlock(Block block, ByteString consenterMetadata) {
    ChannelConfig current = config.get();
    ChannelConfig next = nextConfig(block, current);
    long number = block.getHeader().getNumber();
    config.stage(number, next);
    try {
      Block signed = builder().commit(block, next.sequence(), consenterMetadata);
      append(signed, 1);
    } catch (RuntimeException | Error e) {
      config.unstage();
      throw e;
    }
    config.install(next);
    log.info("[channel: {}] Wrote config block {}: config sequence {} -> {}", channelId, number, current.sequence(),
        next.sequence());
    return next;
  }

  /**
   * Appends a block another orderer of the channel made and signed, as onboarding pulled and
   * verified it (Fabric's onboarding appends pulled blocks unchanged: orderer/common/cluster,
   * {@code BlockPuller} and {@code VerifyBlocks}). A config block switches the channel to its
   * config, as a config block written here does; the next block made here follows this one.
   *
   * @throws IllegalStateException when a config block's config does not parse or does not move
   *     the config sequence forward
   */
  public void appendPulled(Block block) {
    long number = block.getHeader().getNumber();
    ChannelConfig next = null;
    if (isConfigBlock(block)) {
      next = ChannelConfig.fromConfigBlock(block, signer.crypto());
      if (next.sequence() <= config.get().sequence()) {
        throw new IllegalStateException("pulled config block " + number + " of channel " + channelId
            + " carries config sequence " + next.sequence() + ", not above the current " + config.get().sequence());
      }
      config.stage(number, next);
    }
    try {
      appendRetrying(block);
    } catch (RuntimeException | Error e) {
      if (next != null) {
        config.unstage();
      }
      throw e;
    }
    if (next != null) {
      config.install(next);
      log.info("[channel: {}] Pulled config block {}: config sequence {}", channelId, number, next.sequence());
    }
    blocks = null; // the builder starts again from the ledger's new last block
    metrics.height(ledger.height());
  }

  /**
   * As {@link #appendPulled(Block)} for consecutive pulled blocks, in order. Each run of blocks
   * between config blocks goes to the ledger as one group commit (one fsync for the run, as
   * {@link BlockStore#appendAll} writes it): a node catching up on a hundred blocks fsynced each
   * one before (docs/raft.md, "Snapshots and onboarding"). When it returns every block is
   * durable, as after one call per block; a config block is appended on its own, after the
   * blocks before it, so the config switch happens at the same block as before.
   */
  public void appendPulled(List<Block> pulled) {
    List<byte[]> run = new ArrayList<>();
    long first = -1;
    for (Block block : pulled) {
      if (isConfigBlock(block)) {
        appendPulledRun(run, first);
        run.clear();
        appendPulled(block);
        continue;
      }
      if (run.isEmpty()) {
        first = block.getHeader().getNumber();
      }
      run.add(block.toByteArray());
    }
    appendPulledRun(run, first);
  }

  private void appendPulledRun(List<byte[]> run, long first) {
    if (run.isEmpty()) {
      return;
    }
    appendRetrying(run, first, -1);
    blocks = null; // the builder starts again from the ledger's new last block
    metrics.height(ledger.height());
  }

  private static boolean isConfigBlock(Block block) {
    try {
      return org.jorderer.channel.block.BlockMetadataReader.lastConfigIndex(block) == block.getHeader().getNumber();
    } catch (RuntimeException e) {
      return false;
    }
  }

  private ChannelConfig nextConfig(Block block, ChannelConfig current) {
    long number = block.getHeader().getNumber();
    if (block.getData().getDataCount() != 1) {
      throw new IllegalStateException("config block " + number + " of channel " + channelId + " holds "
          + block.getData().getDataCount() + " envelopes; a config block holds exactly one");
    }
    ConfigEnvelope configEnvelope;
    try {
      Payload payload = Payload.parseFrom(Envelope.parseFrom(block.getData().getData(0)).getPayload());
      ChannelHeader header = ChannelHeader.parseFrom(payload.getHeader().getChannelHeader());
      if (header.getType() != HeaderType.CONFIG_VALUE) {
        throw new IllegalStateException("told to write a config block " + number + " of channel " + channelId
            + " holding a message of type " + header.getType() + ", not CONFIG");
      }
      configEnvelope = ConfigEnvelope.parseFrom(payload.getData());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("told to write a config block " + number + " of channel " + channelId
          + " that cannot be parsed: " + e.getMessage(), e);
    }
    try {
      ConfigTxValidator validator = new ConfigTxValidator(current);
      validator.validate(configEnvelope);
      return validator.newChannelConfig(configEnvelope);
    } catch (ConfigUpdateException e) {
      throw new IllegalStateException("told to write a config block " + number + " of channel " + channelId
          + ", but its config is not valid: " + e.getMessage(), e);
    }
  }

  private void append(Block signed, int envelopes) {
    long startNanos = System.nanoTime();
    appendRetrying(signed);
    metrics.blockCommitted((System.nanoTime() - startNanos) / 1e9);
    metrics.height(ledger.height());
    log.debug("[channel: {}] Wrote block {} with {} envelopes", channelId, signed.getHeader().getNumber(), envelopes);
  }

  private void appendRetrying(Block signed) {
    appendRetrying(List.of(signed.toByteArray()), signed.getHeader().getNumber(), signed.getData().getDataCount());
  }

  /** Appends {@code serialized}, blocks {@code number} on, in one group commit; envelopes: -1 when not counted. */
  private void appendRetrying(List<byte[]> serialized, long number, int envelopes) {
    long backoffMillis = FIRST_RETRY_MILLIS;
    boolean failedBefore = false;
    while (true) {
      try {
        ledger.appendAll(serialized);
        break;
      } catch (AppendUndoneException e) {
        String why = rootMessage(e);
        if (stall == null || !stall.awaitRetry(why, number, backoffMillis)) {
          if (envelopes >= 0) {
            log.error("[channel: {}] Stopping with block {} ({} envelopes) not written: {}", channelId, number,
                envelopes, why);
          } else {
            log.error("[channel: {}] Stopping with pulled blocks {} to {} not written: {}", channelId, number,
                number + serialized.size() - 1, why);
          }
          throw e;
        }
        failedBefore = true;
        backoffMillis = Math.min(backoffMillis * 2, LAST_RETRY_MILLIS);
      }
    }
    if (failedBefore) {
      stall.resumed(number);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.toString();
  }

  private BlockBuilder builder() {
    if (blocks == null) {
      long height = ledger.height();
      if (height == 0) {
        throw new IllegalStateException("channel " + channelId + " has an empty ledger (the genesis block must be stored first)");
      }
      blocks = new BlockBuilder(ledger.readBlock(height - 1), config.get().sequence(), signer);
      metrics.height(height);
    }
    return blocks;
  }
}
