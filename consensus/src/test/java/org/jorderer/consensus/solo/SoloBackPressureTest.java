package org.jorderer.consensus.solo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jorderer.consensus.CurrentConfig;
import org.hyperledger.fabric.protos.common.Envelope;
import org.jorderer.channel.ChannelConfig;
import org.jorderer.consensus.ChainHaltedException;
import org.jorderer.consensus.support.SoloFixture;
import org.jorderer.consensus.support.TestChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounded queue (issue item 4): beyond the capacity {@code order} futures stay pending, complete
 * as the loop drains, and nothing acknowledged is lost on close. The loop is held still either by
 * not starting it or by a config supplier that blocks the loop's next config read.
 */
class SoloBackPressureTest {
  private static final int BIG = 10 * 1024 * 1024;
  private static final Duration SOON = Duration.ofSeconds(20);

  @TempDir
  Path dir;
  private SoloFixture fixture;
  private ExecutorService threads;

  @AfterEach
  void tearDown() {
    if (threads != null) {
      threads.shutdownNow();
    }
    if (fixture != null) {
      fixture.close();
    }
  }

  /** Config reads block while the gate is shut: the loop stops on its next envelope. */
  private static final class Gate implements CurrentConfig {
    private final CurrentConfig config;
    private volatile CountDownLatch open = new CountDownLatch(0);
    private final AtomicInteger blocked = new AtomicInteger();

    Gate(CurrentConfig config) {
      this.config = config;
    }

    void shut() {
      open = new CountDownLatch(1);
    }

    void open() {
      open.countDown();
    }

    @Override
    public ChannelConfig get() {
      CountDownLatch latch = open;
      if (latch.getCount() > 0) {
        blocked.incrementAndGet();
        try {
          latch.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        blocked.decrementAndGet();
      }
      return config.get();
    }

    @Override
    public void stage(long blockNumber, ChannelConfig next) {}

    @Override
    public void unstage() {}

    @Override
    public void install(ChannelConfig next) {
      config.install(next);
    }
  }

  @Test
  void beyondTheCapacityFuturesWaitUntilTheLoopTakesTheQueue() {
    fixture = new SoloFixture(dir, TestChannel.config(1000, BIG, "1h"));
    SoloChain chain = fixture.chain(SoloOptions.defaults().withQueueCapacity(3));
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      futures.add(chain.order(TestChannel.small(i), 0));
    }

    assertThat(futures.subList(0, 3)).allSatisfy(f -> assertThat(f).isCompleted());
    assertThat(futures.subList(3, 5)).allSatisfy(f -> assertThat(f).isNotDone());
    assertThat(chain.queued()).isEqualTo(3);
    assertThat(chain.waitingHandOffs()).isEqualTo(2);

    chain.start();
    await().atMost(SOON).until(() -> futures.stream().allMatch(CompletableFuture::isDone));
    futures.forEach(CompletableFuture::join);
    chain.close();

    assertThat(fixture.batches()).containsExactly(
        List.of(TestChannel.small(0), TestChannel.small(1), TestChannel.small(2), TestChannel.small(3), TestChannel.small(4)));
  }

  @Test
  void aBusyLoopHoldsCallersBackAndCloseKeepsEverythingAcknowledged() throws Exception {
    fixture = new SoloFixture(dir, TestChannel.config(1000, BIG, "1h"));
    Gate gate = new Gate(fixture.current);
    SoloChain chain = fixture.chain(gate, SoloOptions.defaults().withQueueCapacity(2));
    chain.start();

    gate.shut();
    chain.order(TestChannel.small(0), 0).join();
    await().atMost(SOON).until(() -> gate.blocked.get() == 1); // the loop is stuck on envelope 0
    CompletableFuture<Void> one = chain.order(TestChannel.small(1), 0);
    CompletableFuture<Void> two = chain.order(TestChannel.small(2), 0);
    CompletableFuture<Void> three = chain.order(TestChannel.small(3), 0);
    CompletableFuture<Void> four = chain.order(TestChannel.small(4), 0);
    assertThat(one).isCompleted();
    assertThat(two).isCompleted();
    // The loop is held inside envelope 0, so it cannot take the queue: these stay pending for sure.
    assertThat(three).isNotDone();
    assertThat(four).isNotDone();
    assertThat(chain.queued()).isEqualTo(2);
    assertThat(chain.waitingHandOffs()).isEqualTo(2);

    // Closing refuses what was never acknowledged and orders what was.
    threads = Executors.newSingleThreadExecutor();
    Future<?> closing = threads.submit(chain::close);
    await().atMost(SOON).until(() -> three.isDone() && four.isDone());
    for (CompletableFuture<Void> refused : List.of(three, four)) {
      assertThatThrownBy(refused::join).isInstanceOf(CompletionException.class)
          .cause().isInstanceOf(ChainHaltedException.class).hasMessage("Exiting");
    }
    assertThat(chain.order(TestChannel.small(5), 0)).isCompletedExceptionally();
    assertThat(closing.isDone()).isFalse();

    gate.open();
    closing.get(5, TimeUnit.SECONDS);

    assertThat(fixture.batches()).containsExactly(List.of(TestChannel.small(0), TestChannel.small(1), TestChannel.small(2)));
    fixture.assertChainIsValid();
  }

  @Test
  void waitingHandOffsAreAcceptedInOrderWhenTheLoopMovesOnAndCancelledOnesAreSkipped() {
    fixture = new SoloFixture(dir, TestChannel.config(1000, BIG, "1h"));
    Gate gate = new Gate(fixture.current);
    SoloChain chain = fixture.chain(gate, SoloOptions.defaults().withQueueCapacity(1));
    chain.start();

    gate.shut();
    chain.order(TestChannel.small(0), 0).join();
    await().atMost(SOON).until(() -> gate.blocked.get() == 1);
    assertThat(chain.order(TestChannel.small(1), 0)).isCompleted();
    CompletableFuture<Void> two = chain.order(TestChannel.small(2), 0);
    CompletableFuture<Void> abandoned = chain.order(TestChannel.small(3), 0);
    CompletableFuture<Void> four = chain.order(TestChannel.small(4), 0);
    abandoned.cancel(false); // the client went away before it was acknowledged

    gate.open();
    await().atMost(SOON).until(() -> two.isDone() && four.isDone());
    two.join();
    four.join();
    chain.close();

    assertThat(fixture.batches()).containsExactly(
        List.of(TestChannel.small(0), TestChannel.small(1), TestChannel.small(2), TestChannel.small(4)));
  }

  @Test
  void manyConcurrentCallersOnASmallQueueLoseNothingAndKeepTheirOrder() throws Exception {
    int callers = 8;
    int perCaller = 250;
    int capacity = 4;
    fixture = new SoloFixture(dir, TestChannel.config(10, BIG, "20ms"));
    SoloChain chain = fixture.chain(SoloOptions.defaults().withQueueCapacity(capacity));
    chain.start();

    threads = Executors.newFixedThreadPool(callers);
    List<Future<?>> senders = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      int caller = c;
      senders.add(threads.submit(() -> {
        // As Broadcast does: the next envelope is read only after this one was accepted.
        for (int i = 0; i < perCaller; i++) {
          chain.order(TestChannel.sized(16, 4, caller * 100_000 + i), 0).join();
        }
      }));
    }
    for (Future<?> sender : senders) {
      sender.get(30, TimeUnit.SECONDS);
    }
    chain.close();

    List<List<Envelope>> batches = fixture.batches();
    assertThat(batches).allSatisfy(b -> assertThat(b).hasSizeBetween(1, 10));
    List<Integer> tags = batches.stream().flatMap(List::stream)
        .map(e -> ByteBuffer.wrap(e.getPayload().toByteArray(), 0, 4).getInt())
        .toList();
    assertThat(tags).hasSize(callers * perCaller);
    Set<Integer> unique = new HashSet<>(tags);
    assertThat(unique).hasSize(callers * perCaller);
    for (int c = 0; c < callers; c++) {
      int caller = c;
      List<Integer> ofCaller = tags.stream().filter(t -> t / 100_000 == caller).toList();
      assertThat(ofCaller).isSorted().hasSize(perCaller);
    }
    fixture.assertChainIsValid();
  }
}
