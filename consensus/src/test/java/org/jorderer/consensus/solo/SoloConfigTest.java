package org.jorderer.consensus.solo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.block.BlockMetadataReader;
import org.jorderer.consensus.support.ConfigVectors;
import org.jorderer.consensus.support.SoloFixture;
import org.jorderer.consensus.support.TestChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Config messages on the solo chain (Fabric's solo {@code main} loop and
 * {@code BlockWriter.WriteConfigBlock}), on Fabric's own {@code cfgchan} blocks: the pending batch
 * is cut first, the CONFIG envelope is written alone in its block whose LAST_CONFIG points at
 * itself, and the channel then runs on the new config; a config that does not validate halts the
 * chain with nothing applied.
 */
class SoloConfigTest {
  private static final Duration SOON = Duration.ofSeconds(20);

  @TempDir
  Path dir;
  private SoloFixture fixture;

  @AfterEach
  void tearDown() {
    if (fixture != null) {
      fixture.close();
    }
  }

  private SoloFixture cfgchan() {
    fixture = new SoloFixture(dir, ConfigVectors.channelConfig(0), ConfigVectors.bytes("cfgchan-0.block"));
    return fixture;
  }

  private static Envelope tx(int tag) {
    return TestChannel.sized(20, 20, tag);
  }

  @Test
  void aConfigMessageCutsThePendingBatchIsWrittenAloneAndSwitchesTheConfig() {
    SoloFixture f = cfgchan();
    SoloChain chain = f.started();
    Envelope config = ConfigVectors.configEnvelope(ConfigVectors.block(1)); // BatchSize 500 -> 100

    chain.order(tx(1), 1).join();
    chain.order(tx(2), 1).join();
    chain.configure(config, 1).join();
    chain.order(tx(3), 2).join();
    chain.close();

    assertThat(f.batches()).containsExactly(List.of(tx(1), tx(2)), List.of(config), List.of(tx(3)));
    Block configBlock = f.block(2);
    assertThat(BlockMetadataReader.lastConfigIndex(configBlock)).isEqualTo(2);
    assertThat(BlockMetadataReader.lastConfigIndex(f.block(3))).isEqualTo(2);
    assertThat(BlockMetadataReader.lastConfigIndex(f.block(1))).isZero();
    assertThat(f.config.get().sequence()).isEqualTo(2);
    assertThat(f.config.get().config()).isEqualTo(ConfigVectors.config(ConfigVectors.block(1)));
    assertThat(f.config.get().orderer().orElseThrow().batchSize().maxMessageCount()).isEqualTo(100);
  }

  @Test
  void theNewBatchSizeCutsTheBlocksAfterTheConfigBlock() {
    SoloFixture f = cfgchan();
    SoloChain chain = f.started();
    chain.configure(ConfigVectors.configEnvelope(ConfigVectors.block(1)), 1).join(); // max 100
    for (int i = 0; i < 250; i++) {
      chain.order(tx(i), 2).join();
    }
    chain.close();

    List<List<Envelope>> batches = f.batches();
    assertThat(batches).hasSize(4);
    assertThat(batches.subList(1, 4)).extracting(List::size).containsExactly(100, 100, 50);
  }

  @Test
  void aConfigOfAnOlderSequenceIsProcessedAgainAndDiscardedWhenItNoLongerApplies() {
    SoloFixture f = cfgchan();
    SoloChain chain = f.started();
    Envelope batchSize = ConfigVectors.configEnvelope(ConfigVectors.block(1));

    chain.configure(batchSize, 1).join();
    // Made at sequence 1 too, but the sequence is 2 by the time it is ordered: its update is
    // processed again, and setting BatchSize to version 1 again is refused (a replay).
    chain.configure(batchSize, 1).join();
    chain.order(tx(1), 2).join();
    chain.close();

    assertThat(f.batches()).containsExactly(List.of(batchSize), List.of(tx(1)));
    assertThat(f.config.get().sequence()).isEqualTo(2);
  }

  @Test
  void aConfigBlockThatDoesNotValidateHaltsTheChainAndAppliesNothing() {
    SoloFixture f = cfgchan();
    SoloChain chain = f.started();
    // cfgchan-2's config has sequence 3: not the next config of sequence 1. Claimed to be made at
    // the current sequence, so it is not processed again and reaches the block writer.
    chain.order(tx(1), 1).join();
    chain.configure(ConfigVectors.configEnvelope(ConfigVectors.block(2)), 1).join();

    await().atMost(SOON).until(() -> chain.errored().fired());
    // The pending batch was cut and written before the config block was refused.
    assertThat(f.batches()).containsExactly(List.of(tx(1)));
    assertThat(f.config.get().sequence()).isEqualTo(1);
    f.reopenLedger();
    assertThat(f.height()).isEqualTo(2);
  }
}
