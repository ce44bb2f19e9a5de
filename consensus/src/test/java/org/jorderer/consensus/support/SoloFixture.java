package org.jorderer.consensus.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
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
 * A real {@code sampleorg} ledger in a temporary directory holding the Fabric-made genesis block,
 * the vectors' SampleOrg signer, a switchable channel config and a fresh metrics registry.
 */
public final class SoloFixture implements AutoCloseable {
  public static final LocalSigner SIGNER = TestChannel.signer();

  public final Path ledgerDir;
  public final AtomicReference<ChannelConfig> config;
  public final PrometheusRegistry registry = new PrometheusRegistry();
  public final ConsensusMetrics metrics = new ConsensusMetrics(registry);
  public final MetricValues metricValues = new MetricValues(registry);
  public BlockStore ledger;
  private final List<SoloChain> chains = new ArrayList<>();

  public SoloFixture(Path dir, ChannelConfig initial) {
    this.ledgerDir = dir.resolve("sampleorg");
    this.config = new AtomicReference<>(initial);
    this.ledger = BlockStore.open(ledgerDir, LedgerOptions.defaults());
    if (ledger.height() == 0) {
      ledger.append(TestChannel.genesisBytes());
    }
  }

  public SoloChain chain(SoloOptions options) {
    SoloChain chain = new SoloChain(ledger, config::get, SIGNER, metrics, options);
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
