package org.jorderer.consensus.cutter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.consensus.ConsensusMetrics;
import org.jorderer.consensus.support.MetricValues;
import org.jorderer.consensus.support.TestChannel;
import org.junit.jupiter.api.Test;

/**
 * Fabric's {@code orderer/common/blockcutter/blockcutter_test.go} cases: channel "mychannel",
 * 40-byte messages (20-byte payload + 20-byte signature). Fill durations go through the real
 * metric, read back by label; the clock is a counter the test advances, so durations are exact.
 */
class BlockCutterTest {
  private static final String FILL = "blockcutter_block_fill_duration";
  private static final Envelope MSG = TestChannel.small(1);

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final MetricValues metricValues = new MetricValues(registry);
  private final ConsensusMetrics.ChannelMetrics metrics = new ConsensusMetrics(registry).forChannel("mychannel");
  private final List<Double> observed = new ArrayList<>();
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final AtomicReference<ChannelConfig> config = new AtomicReference<>();

  private BlockCutter cutter(long maxMessageCount, long preferredMaxBytes) {
    config.set(TestChannel.config("mychannel", maxMessageCount, 1000, preferredMaxBytes, "1s", 0));
    return new BlockCutter(config::get, seconds -> {
      observed.add(seconds);
      metrics.blockFilled(seconds);
    }, nanos::get);
  }

  private void advanceMillis(long millis) {
    nanos.addAndGet(millis * 1_000_000L);
  }

  @Test
  void messageSizeIsPayloadPlusSignature() {
    assertThat(BlockCutter.messageSize(MSG)).isEqualTo(40);
    assertThat(BlockCutter.messageSize(TestChannel.sized(1000, 0, 1))).isEqualTo(1000);
    assertThat(BlockCutter.messageSize(Envelope.getDefaultInstance())).isZero();
  }

  // blockcutter_test.go "adds the message to the pending batches"
  @Test
  void oneMessageIsEnqueued() {
    BlockCutter cutter = cutter(2, 100);

    BlockCutter.Ordered result = cutter.ordered(MSG);

    assertThat(result.batches()).isEmpty();
    assertThat(result.pending()).isTrue();
    assertThat(cutter.pendingCount()).isEqualTo(1);
    assertThat(observed).isEmpty();
    assertThat(metricValues.histogram(FILL, "mychannel")).isEmpty();
  }

  // blockcutter_test.go "when enough batches to fill the max message count are enqueued"
  @Test
  void reachingMaxMessageCountCutsABatch() {
    BlockCutter cutter = cutter(2, 100);

    BlockCutter.Ordered first = cutter.ordered(MSG);
    advanceMillis(250);
    BlockCutter.Ordered second = cutter.ordered(TestChannel.small(2));

    assertThat(first.batches()).isEmpty();
    assertThat(first.pending()).isTrue();
    assertThat(second.batches()).containsExactly(List.of(MSG, TestChannel.small(2)));
    assertThat(second.pending()).isFalse();
    assertThat(observed).containsExactly(0.25);
    assertThat(metricValues.histogramCount(FILL, "mychannel")).isEqualTo(1);
    assertThat(metricValues.histogramSum(FILL, "mychannel")).isEqualTo(0.25);
    assertThat(cutter.pendingCount()).isZero();
  }

  // blockcutter_test.go "when the message does not exceed max message count or preferred size"
  @Test
  void belowBothLimitsNothingIsCut() {
    BlockCutter cutter = cutter(3, 100);

    BlockCutter.Ordered first = cutter.ordered(MSG);
    BlockCutter.Ordered second = cutter.ordered(MSG);

    assertThat(first.batches()).isEmpty();
    assertThat(first.pending()).isTrue();
    assertThat(second.batches()).isEmpty();
    assertThat(second.pending()).isTrue();
    assertThat(observed).isEmpty();
  }

  // blockcutter_test.go "when the message is larger than the preferred max bytes"
  @Test
  void aMessageOverPreferredMaxBytesIsIsolated() {
    BlockCutter cutter = cutter(3, 30);

    BlockCutter.Ordered result = cutter.ordered(MSG);

    assertThat(result.batches()).containsExactly(List.of(MSG));
    assertThat(result.pending()).isFalse();
    assertThat(observed).containsExactly(0.0);
    assertThat(metricValues.histogramCount(FILL, "mychannel")).isEqualTo(1);
    assertThat(metricValues.histogramSum(FILL, "mychannel")).isZero();
    assertThat(cutter.pendingCount()).isZero();
  }

  // blockcutter_test.go "when the message causes the batch to exceed the preferred max bytes"
  @Test
  void overflowingPreferredMaxBytesCutsThePendingBatchAndKeepsTheNewMessage() {
    BlockCutter cutter = cutter(3, 50);
    Envelope second = TestChannel.small(2);

    BlockCutter.Ordered first = cutter.ordered(MSG);
    advanceMillis(100);
    BlockCutter.Ordered result = cutter.ordered(second);

    assertThat(first.batches()).isEmpty();
    assertThat(first.pending()).isTrue();
    assertThat(result.batches()).containsExactly(List.of(MSG));
    assertThat(result.pending()).isTrue();
    assertThat(observed).containsExactly(0.1);
    assertThat(cutter.pendingCount()).isEqualTo(1);

    // The kept message starts a new batch: its fill time counts from the overflow.
    advanceMillis(300);
    assertThat(cutter.cut()).containsExactly(second);
    assertThat(observed).containsExactly(0.1, 0.3);
  }

  // blockcutter_test.go "when the new message is larger than the preferred max bytes"
  @Test
  void anOversizedMessageAfterPendingOnesGivesTwoBatches() {
    BlockCutter cutter = cutter(3, 50);
    Envelope big = TestChannel.sized(1000, 0, 7);

    BlockCutter.Ordered first = cutter.ordered(MSG);
    advanceMillis(400);
    BlockCutter.Ordered result = cutter.ordered(big);

    assertThat(first.pending()).isTrue();
    assertThat(result.batches()).containsExactly(List.of(MSG), List.of(big));
    assertThat(result.pending()).isFalse();
    assertThat(observed).containsExactly(0.4, 0.0);
    assertThat(metricValues.histogramCount(FILL, "mychannel")).isEqualTo(2);
    assertThat(metricValues.histogramSum(FILL, "mychannel")).isEqualTo(0.4);
    assertThat(cutter.pendingCount()).isZero();
  }

  // blockcutter_test.go "when the orderer config cannot be retrieved"
  @Test
  void missingOrdererConfigIsRefusedClearly() {
    config.set(TestChannel.configWithoutOrderer("mychannel"));
    BlockCutter cutter = new BlockCutter(config::get, observed::add, nanos::get);

    assertThatThrownBy(() -> cutter.ordered(MSG))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("block cutter: channel mychannel has no orderer config (/Channel/Orderer), so it has no BatchSize to cut by");
    assertThatThrownBy(() -> new BlockCutter(() -> null, observed::add).ordered(MSG))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("block cutter: no channel config available");
  }

  // blockcutter_test.go Cut: "cuts an empty batch"
  @Test
  void cuttingAnEmptyCutterGivesNothingAndRecordsNothing() {
    BlockCutter cutter = cutter(2, 100);

    assertThat(cutter.cut()).isEmpty();
    assertThat(observed).isEmpty();
    assertThat(metricValues.histogram(FILL, "mychannel")).isEmpty();
  }

  @Test
  void cutReturnsThePendingBatchInOrderAndResets() {
    BlockCutter cutter = cutter(10, 1000);
    cutter.ordered(TestChannel.small(1));
    cutter.ordered(TestChannel.small(2));
    advanceMillis(1500);

    assertThat(cutter.cut()).containsExactly(TestChannel.small(1), TestChannel.small(2));
    assertThat(observed).containsExactly(1.5);
    assertThat(cutter.cut()).isEmpty();
    assertThat(observed).hasSize(1);
  }

  @Test
  void batchSizeIsReadOnEveryCall() {
    BlockCutter cutter = cutter(3, 100);
    cutter.ordered(TestChannel.small(1));
    cutter.ordered(TestChannel.small(2));

    // MaxMessageCount lowered to 1 while two messages are pending; the next one also overflows
    // PreferredMaxBytes (now 100 -> 80): overflow cut first, then the count cut (blockcutter.go
    // Ordered).
    config.set(TestChannel.config("mychannel", 1, 1000, 80, "1s", 1));
    BlockCutter.Ordered result = cutter.ordered(TestChannel.small(3));

    assertThat(result.batches())
        .containsExactly(List.of(TestChannel.small(1), TestChannel.small(2)), List.of(TestChannel.small(3)));
    assertThat(result.pending()).isFalse();
  }

  @Test
  void metricsHaveFabricsNamesHelpAndBuckets() {
    metrics.blockFilled(0.02);
    metrics.height(7);
    metrics.blockCommitted(0.012);

    assertThat(metricValues.metric(FILL).getMetadata().getHelp())
        .isEqualTo("The time from first transaction enqueing to the block being cut in seconds.");
    assertThat(metricValues.metric("ledger_blockchain_height").getMetadata().getHelp())
        .isEqualTo("Height of the chain in blocks.");
    assertThat(metricValues.metric("ledger_blockstorage_commit_time").getMetadata().getHelp())
        .isEqualTo("Time taken in seconds for committing the block to storage.");
    assertThat(metricValues.gauge("ledger_blockchain_height", "mychannel")).contains(7.0);
    assertThat(metricValues.histogram("ledger_blockstorage_commit_time", "mychannel").orElseThrow()
        .getClassicBuckets().stream().map(b -> b.getUpperBound()).toList())
        .containsExactly(0.005, 0.01, 0.015, 0.05, 0.1, 1.0, 10.0, Double.POSITIVE_INFINITY);
    assertThat(metricValues.histogram(FILL, "mychannel").orElseThrow()
        .getClassicBuckets().stream().map(b -> b.getUpperBound()).toList())
        .containsExactly(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, Double.POSITIVE_INFINITY);
  }
}
