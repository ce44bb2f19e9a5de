package org.jorderer.consensus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * The queue on its own, driven step by step from one thread (hand-offs completed inline), so every
 * "still pending" is certain: nothing else can take from the queue.
 */
class OrderingQueueTest {
  private final OrderingQueue<String> queue =
      new OrderingQueue<>(2, Runnable::run, () -> new ChainHaltedException("Exiting"));

  @Test
  void beyondTheCapacityAnOfferStaysPendingUntilATakeMakesRoomInArrivalOrder() throws Exception {
    assertThat(queue.offer("a")).isCompleted();
    assertThat(queue.offer("b")).isCompleted();
    CompletableFuture<Void> c = queue.offer("c");
    CompletableFuture<Void> d = queue.offer("d");
    CompletableFuture<Void> e = queue.offer("e");
    assertThat(List.of(c, d, e)).allSatisfy(f -> assertThat(f).isNotDone());

    List<String> taken = new ArrayList<>();
    assertThat(queue.take(taken, false, 0)).isEqualTo(OrderingQueue.Taken.ITEMS);
    assertThat(taken).containsExactly("a", "b");
    assertThat(c).isCompleted(); // admitted into the room the take made, in arrival order
    assertThat(d).isCompleted();
    assertThat(e).isNotDone();
    assertThat(queue.queued()).isEqualTo(2);
    assertThat(queue.waitingHandOffs()).isEqualTo(1);

    taken.clear();
    queue.take(taken, false, 0);
    assertThat(taken).containsExactly("c", "d");
    assertThat(e).isCompleted();
  }

  @Test
  void admittedHandOffsKeepTheirPlaceBeforeLaterOffers() throws Exception {
    queue.offer("a");
    queue.offer("b");
    CompletableFuture<Void> c = queue.offer("c");
    List<String> taken = new ArrayList<>();
    queue.take(taken, false, 0); // a, b out; c admitted
    CompletableFuture<Void> d = queue.offer("d");
    assertThat(c).isCompleted();
    assertThat(d).isCompleted();
    taken.clear();
    queue.take(taken, false, 0);
    assertThat(taken).containsExactly("c", "d");
  }

  @Test
  void aCancelledHandOffIsNeverTaken() throws Exception {
    queue.offer("a");
    queue.offer("b");
    queue.offer("c").cancel(false);
    CompletableFuture<Void> d = queue.offer("d");
    List<String> taken = new ArrayList<>();
    queue.take(taken, false, 0);
    taken.clear();
    queue.take(taken, false, 0);
    assertThat(taken).containsExactly("d");
    assertThat(d).isCompleted();
  }

  @Test
  void closeRefusesWaitingAndNewOffersAndDrainsWhatWasAccepted() throws Exception {
    queue.offer("a");
    queue.offer("b");
    CompletableFuture<Void> waiting = queue.offer("c");

    queue.close();

    assertRefused(waiting);
    assertRefused(queue.offer("d"));
    List<String> taken = new ArrayList<>();
    assertThat(queue.take(taken, false, 0)).isEqualTo(OrderingQueue.Taken.ITEMS);
    assertThat(taken).containsExactly("a", "b");
    assertThat(queue.take(new ArrayList<>(), false, 0)).isEqualTo(OrderingQueue.Taken.DRAINED);
  }

  @Test
  void haltDropsEverything() throws Exception {
    queue.offer("a");
    queue.offer("b");
    CompletableFuture<Void> waiting = queue.offer("c");

    assertThat(queue.halt()).isEqualTo(2);

    assertRefused(waiting);
    assertRefused(queue.offer("d"));
    List<String> taken = new ArrayList<>();
    assertThat(queue.take(taken, false, 0)).isEqualTo(OrderingQueue.Taken.HALTED);
    assertThat(taken).isEmpty();
    assertThat(queue.halt()).isEqualTo(-1);
  }

  @Test
  void aTakeWithAPassedDeadlineReturnsAtOnce() throws Exception {
    assertThat(queue.take(new ArrayList<>(), true, System.nanoTime())).isEqualTo(OrderingQueue.Taken.DEADLINE);
    assertThatThrownBy(() -> new OrderingQueue<String>(0, Runnable::run, IllegalStateException::new))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("queueCapacity must be at least 1, got 0");
  }

  @Test
  void boundedInBytesAnItemWaitsUntilItFitsAndOneLargerThanTheBoundGoesInAlone() throws Exception {
    // Items are their own size in bytes (the string's length), at most 10 bytes queued.
    OrderingQueue<String> bytes = new OrderingQueue<>(100, 10, String::length, Runnable::run,
        () -> new ChainHaltedException("Exiting"));
    assertThat(bytes.offer("aaaa")).isCompleted();
    assertThat(bytes.offer("bbbbbb")).isCompleted(); // 10 bytes: exactly the bound
    CompletableFuture<Void> c = bytes.offer("c");
    CompletableFuture<Void> huge = bytes.offer("h".repeat(25));
    CompletableFuture<Void> d = bytes.offer("dd");
    assertThat(List.of(c, huge, d)).allSatisfy(f -> assertThat(f).isNotDone());
    assertThat(bytes.queuedBytes()).isEqualTo(10);

    List<String> taken = new ArrayList<>();
    bytes.take(taken, false, 0);
    assertThat(taken).containsExactly("aaaa", "bbbbbb");
    assertThat(c).as("fits into the room the take made").isCompleted();
    assertThat(huge).as("larger than the bound: waits for an empty queue, and d waits behind it").isNotDone();
    assertThat(d).isNotDone();
    assertThat(bytes.queuedBytes()).isEqualTo(1);

    taken.clear();
    bytes.take(taken, false, 0);
    assertThat(taken).containsExactly("c");
    assertThat(huge).as("alone in an empty queue").isCompleted();
    assertThat(d).isNotDone();
    assertThat(bytes.queuedBytes()).isEqualTo(25);

    taken.clear();
    bytes.take(taken, false, 0);
    assertThat(taken).containsExactly("h".repeat(25));
    assertThat(d).isCompleted();
    assertThat(bytes.offer("eeeeeeee")).as("8 + 2 bytes fit").isCompleted();
    assertThat(bytes.offer("f")).as("11 bytes do not").isNotDone();
  }

  private static void assertRefused(CompletableFuture<Void> future) {
    assertThatThrownBy(future::join).isInstanceOf(CompletionException.class)
        .cause().isInstanceOf(ChainHaltedException.class).hasMessage("Exiting");
  }
}
