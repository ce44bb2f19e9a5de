package org.jorderer.consensus.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.jorderer.channel.processor.MessageProcessor;
import org.jorderer.consensus.ConsenterSupport;
import org.jorderer.consensus.CurrentConfig;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.channel.block.BlockSignatureVerifier;
import org.jorderer.channel.msp.LocalSigner;
import org.jorderer.consensus.ConsensusMetrics;
import org.jorderer.consensus.solo.SoloChain;
import org.jorderer.consensus.solo.SoloOptions;
import org.jorderer.ledger.BlockHeaderHash;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerOptions;

/**
 * A real channel ledger in a temporary directory holding a Fabric-made genesis block, the vectors'
 * SampleOrg signer, a switchable channel config (tests may set it directly, as if a config block
 * had been written; the block writer switches it too), the channel's real message processor at a
 * fixed clock, and a fresh metrics registry.
 */
public final class SoloFixture implements AutoCloseable {
  public static final LocalSigner SIGNER = TestChannel.signer();
  /** Within the SampleOrg certificate's validity (it expires 2027-11-10). */
  public static final Instant NOW = Instant.parse("2026-12-01T20:30:00Z");

  public final Path ledgerDir;
  public final AtomicReference<ChannelConfig> config;
  public final CurrentConfig current;
  public final PrometheusRegistry registry = new PrometheusRegistry();
  public final ConsensusMetrics metrics = new ConsensusMetrics(registry);
  public final MetricValues metricValues = new MetricValues(registry);
  public BlockStore ledger;
  private final List<SoloChain> chains = new ArrayList<>();
  private Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

  public SoloFixture(Path dir, ChannelConfig initial) {
    this(dir, initial, TestChannel.genesisBytes());
  }

  /** A ledger for {@code initial}'s channel holding {@code genesis}. */
  public SoloFixture(Path dir, ChannelConfig initial, byte[] genesis) {
    this.ledgerDir = dir.resolve(initial.channelId());
    this.config = new AtomicReference<>(initial);
    this.current = new CurrentConfig() {
      @Override
      public ChannelConfig get() {
        return config.get();
      }

      @Override
      public void stage(long blockNumber, ChannelConfig next) {}

      @Override
      public void unstage() {}

      @Override
      public void install(ChannelConfig next) {
        config.set(next);
      }
    };
    this.ledger = BlockStore.open(ledgerDir, LedgerOptions.defaults());
    if (ledger.height() == 0) {
      ledger.append(genesis);
    }
  }

  /** The clock of the processors of chains made from now on. */
  public void clock(Instant now) {
    clock = Clock.fixed(now, ZoneOffset.UTC);
  }

  /** The support of a chain over this ledger, reading its config through {@code config}. */
  public ConsenterSupport support(CurrentConfig config) {
    MessageProcessor processor =
        new MessageProcessor(config.get().channelId(), config, SIGNER, clock, true);
    return new ConsenterSupport(ledger, config, processor, SIGNER, metrics);
  }

  public SoloChain chain(SoloOptions options) {
    return chain(current, options);
  }

  public SoloChain chain(CurrentConfig config, SoloOptions options) {
    SoloChain chain = new SoloChain(support(config), options);
    chains.add(chain);
    return chain;
  }

  public SoloChain chain() {
    return chain(SoloOptions.defaults());
  }

  public SoloChain started() {
    SoloChain chain = chain();
    chain.start();
    return chain;
  }

  /** Closes the ledger and opens it again from disk, as a restarted process would. */
  public void reopenLedger() {
    ledger.close();
    ledger = BlockStore.open(ledgerDir, LedgerOptions.defaults());
  }

  public long height() {
    return ledger.height();
  }

  public Block block(long number) {
    return ledger.readBlock(number);
  }

  /** Envelopes of every block after genesis, block by block. */
  public List<List<Envelope>> batches() {
    List<List<Envelope>> out = new ArrayList<>();
    for (long n = 1; n < ledger.height(); n++) {
      out.add(envelopes(block(n)));
    }
    return out;
  }

  public static List<Envelope> envelopes(Block block) {
    List<Envelope> out = new ArrayList<>();
    block.getData().getDataList().forEach(bytes -> {
      try {
        out.add(Envelope.parseFrom(bytes));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError("block " + block.getHeader().getNumber() + " holds a malformed envelope", e);
      }
    });
    return out;
  }

  /** Every block: numbered in sequence, hash-chained, signed by SampleOrg under BlockValidation. */
  public void assertChainIsValid() {
    ChannelConfig genesisConfig = TestChannel.genesisConfig();
    Block previous = block(0);
    for (long n = 1; n < ledger.height(); n++) {
      Block block = block(n);
      assertThat(block.getHeader().getNumber()).isEqualTo(n);
      assertThat(block.getHeader().getPreviousHash().toByteArray())
          .as("previous hash of block %d", n)
          .isEqualTo(BlockHeaderHash.of(previous.getHeader()));
      assertThat(BlockSignatureVerifier.verify(block, genesisConfig).satisfied())
          .as("signature of block %d: %s", n, BlockSignatureVerifier.verify(block, genesisConfig).reason())
          .isTrue();
      previous = block;
    }
    assertThat(Arrays.equals(ledger.lastHeaderHash(), BlockHeaderHash.of(previous.getHeader()))).isTrue();
  }

  @Override
  public void close() {
    chains.forEach(SoloChain::halt);
    ledger.close();
  }
}
