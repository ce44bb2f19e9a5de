package org.jorderer.consensus.solo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.block.BlockMetadataReader;
import org.jorderer.consensus.Chain;
import org.jorderer.consensus.ChainHaltedException;
import org.jorderer.consensus.support.SoloFixture;
import org.jorderer.consensus.support.TestChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fabric's solo tests ({@code orderer/consensus/solo/consensus_test.go}) on the real block cutter,
 * a real ledger and the vectors' signer. Fabric's mock-cutter flags are reproduced by batch limits:
 * CutNext = MaxMessageCount reached, IsolatedTx = an envelope over PreferredMaxBytes, CutAncestors
 * = PreferredMaxBytes overflowed.
 */
class SoloChainTest {
  private static final int BIG = 10 * 1024 * 1024;
  // Generous: a block is signed and fsynced before it is visible, on a loaded 2-core machine.
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

  private SoloFixture fixture(long maxMessageCount, long preferredMaxBytes, String batchTimeout) {
    fixture = new SoloFixture(dir, TestChannel.config(maxMessageCount, preferredMaxBytes, batchTimeout));
    return fixture;
  }

  private static void accepted(CompletableFuture<Void> future) {
    assertThat(future).isCompleted();
    future.join();
  }

  private static void assertExiting(CompletableFuture<Void> future) {
    assertThat(future).isCompletedExceptionally();
    assertThatThrownBy(future::join)
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(ChainHaltedException.class)
        .hasMessage("Exiting");
  }

  /** Lets the loop take what it was given (it sleeps on an empty queue only). */
  private static void awaitTaken(SoloChain chain) {
    await().atMost(SOON).until(() -> chain.queued() == 0);
  }

  @Test
  void haltBeforeTimeoutWritesNothing() { // TestHaltBeforeTimeout
    SoloFixture f = fixture(100, BIG, "1h");
    SoloChain chain = f.started();

    accepted(chain.order(TestChannel.small(1), 0));
    awaitTaken(chain);
    chain.halt();

    // halt() returns once the ordering thread has ended: nothing can be written any more.
    assertThat(f.height()).isEqualTo(1);
    assertThat(chain.errored().fired()).isTrue();
    assertExiting(chain.order(TestChannel.small(2), 0));
  }

  @Test
  void aFullBatchIsWrittenAtOnce() { // TestStart
    SoloFixture f = fixture(1, BIG, "1ms");
    SoloChain chain = f.started();
    Envelope msg = TestChannel.small(1);

    accepted(chain.order(msg, 0));

    await().atMost(SOON).until(() -> f.height() == 2);
    assertThat(f.batches()).containsExactly(List.of(msg));
    assertThat(chain.errored().fired()).isFalse();
    assertThat(chain.role()).isEqualTo(Chain.Role.ORDERS);
    f.assertChainIsValid();
  }

  @Test
  void orderAfterHaltFailsWithExiting() { // TestOrderAfterHalt
    SoloFixture f = fixture(1, BIG, "1h");
    SoloChain chain = f.started();

    chain.halt();

    assertExiting(chain.order(TestChannel.small(1), 0));
    assertThat(chain.errored().fired()).isTrue();
    assertThatThrownBy(chain::start).isInstanceOf(IllegalStateException.class)
        .hasMessage("solo chain for channel sampleorg cannot start: it is halted");
  }

  @Test
  void batchTimerCutsAndIsReArmedWithTheTimeoutReadWhenItStarts() { // TestBatchTimer
    SoloFixture f = fixture(100, BIG, "1ms");
    SoloChain chain = f.started();

    accepted(chain.order(TestChannel.small(1), 0));
    await().atMost(SOON).until(() -> f.height() == 2);
    accepted(chain.order(TestChannel.small(2), 0));
    await().atMost(SOON).until(() -> f.height() == 3);

    // The next timer reads the new timeout: envelopes 3 and 4 wait together for an hour, so only
    // close() cuts them, into one block (the old 1 ms timer would have cut 3 alone).
    f.config.set(TestChannel.config(100, BIG, "1h"));
    accepted(chain.order(TestChannel.small(3), 0));
    awaitTaken(chain);
    accepted(chain.order(TestChannel.small(4), 0));
    chain.close();

    assertThat(f.batches()).containsExactly(List.of(TestChannel.small(1)), List.of(TestChannel.small(2)),
        List.of(TestChannel.small(3), TestChannel.small(4)));
  }

  @Test
  void aFilledBatchStopsTheTimerAndTheNextTimerReadsTheNewTimeout() { // TestBatchTimerHaltOnFilledBatch
    SoloFixture f = fixture(2, BIG, "1h");
    SoloChain chain = f.started();

    accepted(chain.order(TestChannel.small(1), 0));
    accepted(chain.order(TestChannel.small(2), 0));
    await().atMost(SOON).until(() -> f.height() == 2);

    f.config.set(TestChannel.config(2, BIG, "1ms"));
    accepted(chain.order(TestChannel.small(3), 0));
    await().atMost(SOON).until(() -> f.height() == 3);

    chain.halt();
    assertThat(f.batches()).containsExactly(
        List.of(TestChannel.small(1), TestChannel.small(2)), List.of(TestChannel.small(3)));
  }

  @Test
  void anOversizedEnvelopeAfterAPendingOneWritesTwoBlocks() { // TestLargeMsgStyleMultiBatch
    SoloFixture f = fixture(100, 50, "1h");
    SoloChain chain = f.started();
    Envelope big = TestChannel.sized(100, 0, 2);

    accepted(chain.order(TestChannel.small(1), 0));
    accepted(chain.order(big, 0));

    await().atMost(SOON).until(() -> f.height() == 3);
    assertThat(f.batches()).containsExactly(List.of(TestChannel.small(1)), List.of(big));
    f.assertChainIsValid();
  }

  @Test
  void envelopesCheckedAgainstAnOlderConfigAreReValidated() { // TestRevalidation (normal messages)
    fixture = new SoloFixture(dir, TestChannel.config("sampleorg", 1, BIG, BIG, "1h", 1));
    SoloChain chain = fixture.started();
    Envelope valid = TestChannel.signedTransaction(SoloFixture.SIGNER, "sampleorg", "valid");
    Envelope forged = TestChannel.signedTransaction(SoloFixture.SIGNER, "sampleorg", "forged").toBuilder()
        .setPayload(TestChannel.signedTransaction(SoloFixture.SIGNER, "sampleorg", "other").getPayload())
        .build();
    Envelope unsigned = TestChannel.small(3);

    accepted(chain.order(valid, 0)); // sequence 0 < 1: checked again, passes
    accepted(chain.order(forged, 0)); // checked again, bad signature: dropped silently
    accepted(chain.order(TestChannel.small(9), 0)); // checked again, not even signed: dropped
    accepted(chain.order(unsigned, 1)); // validated at the current sequence: not checked again

    await().atMost(SOON).until(() -> fixture.height() == 3);
    assertThat(fixture.batches()).containsExactly(List.of(valid), List.of(unsigned));
    assertThat(chain.errored().fired()).isFalse();
    // The config block is still block 0: the sequence did not change while ordering.
    assertThat(BlockMetadataReader.lastConfigIndex(fixture.block(2))).isZero();
  }

  @Test
  void reValidationJudgesExpiryAtTheInjectedClockNotTheWallClock() {
    fixture = new SoloFixture(dir, TestChannel.config("sampleorg", 1, BIG, BIG, "1h", 1));
    // The SampleOrg certificate expires 2027-11-10: at this clock its envelopes are expired.
    fixture.clock(java.time.Instant.parse("2028-01-01T00:00:00Z"));
    SoloChain chain = fixture.started();
    Envelope stale = TestChannel.signedTransaction(SoloFixture.SIGNER, "sampleorg", "expired-by-now");
    Envelope marker = TestChannel.small(1);

    accepted(chain.order(stale, 0)); // checked again at 2028: the creator has expired, dropped
    accepted(chain.order(marker, 1)); // current sequence: ordered as it is

    await().atMost(SOON).until(() -> fixture.height() == 2);
    assertThat(fixture.batches()).containsExactly(List.of(marker));
  }

  @Test
  void aPendingEnvelopeLeftByAnOverflowIsCutByTheTimer() { // TestPendingMsgCutByTimeout
    SoloFixture f = fixture(100, 50, "300ms");
    SoloChain chain = f.started();

    long start = System.nanoTime();
    accepted(chain.order(TestChannel.small(1), 0));
    accepted(chain.order(TestChannel.small(2), 0));
    await().atMost(SOON).until(() -> f.height() == 3);
    long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

    // The overflow cut [1] at once; [2] waited for the timer, which started with the first
    // envelope and was left running by the overflow (a lower bound only: never flaky).
    assertThat(elapsedMillis).isGreaterThanOrEqualTo(300);
    assertThat(f.batches()).containsExactly(List.of(TestChannel.small(1)), List.of(TestChannel.small(2)));
  }

  @Test
  void blocksHoldTheEnvelopesInOrderHashChainedAndSigned() {
    SoloFixture f = fixture(10, BIG, "1h");
    SoloChain chain = f.started();
    List<Envelope> sent = new ArrayList<>();
    for (int i = 0; i < 95; i++) {
      Envelope e = TestChannel.sized(100, 8, i);
      sent.add(e);
      accepted(chain.order(e, 0));
    }

    chain.close();

    assertThat(f.height()).isEqualTo(11);
    List<List<Envelope>> batches = f.batches();
    assertThat(batches).hasSize(10);
    assertThat(batches.subList(0, 9)).allSatisfy(b -> assertThat(b).hasSize(10));
    assertThat(batches.get(9)).hasSize(5);
    assertThat(batches.stream().flatMap(List::stream).toList()).isEqualTo(sent);
    f.assertChainIsValid();
    Block last = f.block(10);
    assertThat(BlockMetadataReader.consenterMetadata(last)).isEqualTo(ByteString.EMPTY);
    assertThat(BlockMetadataReader.lastConfigIndex(last)).isZero();
  }

  @Test
  void closeWritesThePendingBatchThenHalts() {
    SoloFixture f = fixture(100, BIG, "1h");
    SoloChain chain = f.started();
    accepted(chain.order(TestChannel.small(1), 0));
    accepted(chain.order(TestChannel.small(2), 0));

    chain.close();

    assertThat(f.batches()).containsExactly(List.of(TestChannel.small(1), TestChannel.small(2)));
    assertThat(chain.errored().fired()).isTrue();
    assertExiting(chain.order(TestChannel.small(3), 0));
    chain.close(); // idempotent
    chain.halt();
    assertThat(f.height()).isEqualTo(2);
  }

  @Test
  void envelopesAcceptedBeforeStartAreOrderedByClose() {
    SoloFixture f = fixture(100, BIG, "1h");
    SoloChain chain = f.chain();
    accepted(chain.order(TestChannel.small(1), 0));

    chain.close();

    assertThat(f.batches()).containsExactly(List.of(TestChannel.small(1)));
    f.assertChainIsValid();
  }

  @Test
  void restartContinuesFromTheLedgersHeightAndLastHash() {
    SoloFixture f = fixture(2, BIG, "1h");
    SoloChain first = f.started();
    for (int i = 0; i < 5; i++) {
      accepted(first.order(TestChannel.small(i), 0));
    }
    first.close();
    assertThat(f.height()).isEqualTo(4);
    Block lastBeforeRestart = f.block(3);

    f.reopenLedger();
    SoloChain second = f.started();
    accepted(second.order(TestChannel.small(10), 0));
    accepted(second.order(TestChannel.small(11), 0));
    await().atMost(SOON).until(() -> f.height() == 5);
    second.close();

    Block continued = f.block(4);
    assertThat(continued.getHeader().getPreviousHash().toByteArray())
        .isEqualTo(org.jorderer.ledger.BlockHeaderHash.of(lastBeforeRestart.getHeader()));
    assertThat(f.batches()).containsExactly(
        List.of(TestChannel.small(0), TestChannel.small(1)),
        List.of(TestChannel.small(2), TestChannel.small(3)),
        List.of(TestChannel.small(4)),
        List.of(TestChannel.small(10), TestChannel.small(11)));
    f.assertChainIsValid();
    assertThat(f.metricValues.gauge("ledger_blockchain_height", "sampleorg")).contains(5.0);
  }

  @Test
  void aLedgerAppendFailureHaltsTheChain() {
    SoloFixture f = fixture(1, BIG, "1h");
    SoloChain chain = f.started();
    List<Boolean> fired = new ArrayList<>();
    chain.errored().subscribe(() -> fired.add(true));

    f.ledger.close();
    accepted(chain.order(TestChannel.small(1), 0));

    await().atMost(SOON).until(() -> chain.errored().fired());
    assertThat(fired).containsExactly(true);
    assertExiting(chain.order(TestChannel.small(2), 0));
    f.reopenLedger();
    assertThat(f.height()).isEqualTo(1);
  }

  @Test
  void startNeedsAStartedLedgerAndOnlyOnce() {
    SoloFixture f = fixture(1, BIG, "1h");
    SoloChain chain = f.started();
    assertThatThrownBy(chain::start).isInstanceOf(IllegalStateException.class)
        .hasMessage("solo chain for channel sampleorg cannot start: it is running");

    Path empty = dir.resolve("empty");
    try (org.jorderer.ledger.BlockStore store =
        org.jorderer.ledger.BlockStore.open(empty, org.jorderer.ledger.LedgerOptions.defaults())) {
      SoloChain onEmpty = new SoloChain(new org.jorderer.consensus.ConsenterSupport(store, f.current,
          new org.jorderer.channel.processor.MessageProcessor("sampleorg", f.current, SoloFixture.SIGNER,
              java.time.Clock.systemUTC(), true), SoloFixture.SIGNER, f.metrics), SoloOptions.defaults());
      assertThatThrownBy(onEmpty::start).isInstanceOf(IllegalStateException.class)
          .hasMessage("solo chain for channel sampleorg cannot start: the ledger is empty (the genesis block must be stored first)");
    }
    assertThatThrownBy(() -> new SoloOptions(0, Runnable::run)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("queueCapacity must be at least 1, got 0");
    assertThatThrownBy(() -> chain.order(null, 0)).isInstanceOf(NullPointerException.class).hasMessage("envelope");
  }

  @Test
  void metricsFollowTheLedgerAndTheCutter() {
    SoloFixture f = fixture(2, 50, "1h");
    SoloChain chain = f.started();
    assertThat(f.metricValues.gauge("ledger_blockchain_height", "sampleorg")).contains(1.0);

    accepted(chain.order(TestChannel.small(1), 0));
    accepted(chain.order(TestChannel.sized(100, 0, 2), 0)); // isolated: two blocks, fill 0 for the big one
    accepted(chain.order(TestChannel.small(3), 0));
    chain.close(); // pending [3] cut on close

    assertThat(f.height()).isEqualTo(4);
    assertThat(f.metricValues.gauge("ledger_blockchain_height", "sampleorg")).contains(4.0);
    assertThat(f.metricValues.histogramCount("ledger_blockstorage_commit_time", "sampleorg")).isEqualTo(3);
    assertThat(f.metricValues.histogramSum("ledger_blockstorage_commit_time", "sampleorg")).isPositive();
    assertThat(f.metricValues.histogramCount("blockcutter_block_fill_duration", "sampleorg")).isEqualTo(3);
    assertThat(f.metricValues.histogramSum("blockcutter_block_fill_duration", "sampleorg")).isBetween(0.0, 5.0);
  }
}
