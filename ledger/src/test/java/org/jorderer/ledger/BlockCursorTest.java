package org.jorderer.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jorderer.ledger.testing.TestChain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockCursorTest {
  @TempDir Path dir;

  @Test
  void readsStoredBlocksThenWaitsForTheNextAppend() throws Exception {
    TestChain chain = new TestChain(10);
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      List<byte[]> blocks = chain.nextBytes(3, 100);
      store.appendAll(blocks);
      try (BlockCursor cursor = store.cursor(1)) {
        assertThat(cursor.next().get().toByteArray()).isEqualTo(blocks.get(1));
        assertThat(cursor.next().get().toByteArray()).isEqualTo(blocks.get(2));
        CompletableFuture<StoredBlock> waiting = cursor.next();
        assertThat(waiting).isNotDone();
        assertThat(store.waitingCursors()).isEqualTo(1);
        byte[] next = chain.next(100).toByteArray();
        store.append(next);
        StoredBlock got = waiting.get(5, TimeUnit.SECONDS);
        assertThat(got.number()).isEqualTo(3);
        assertThat(got.toByteArray()).isEqualTo(next);
        assertThat(store.waitingCursors()).isZero();
      }
    }
  }

  @Test
  void aCursorAheadOfTheChainWaitsForItsOwnBlock() throws Exception {
    TestChain chain = new TestChain(11);
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      BlockCursor cursor = store.cursor(2);
      CompletableFuture<StoredBlock> waiting = cursor.next();
      store.append(chain.next(10));
      store.append(chain.next(10));
      assertThat(waiting).isNotDone();
      store.append(chain.next(10));
      assertThat(waiting.get(5, TimeUnit.SECONDS).number()).isEqualTo(2);
    }
  }

  @Test
  void tenThousandWaitingCursorsAllCompleteAfterOneAppend() throws Exception {
    TestChain chain = new TestChain(12);
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      store.append(chain.next(10));
      List<BlockCursor> cursors = new ArrayList<>();
      List<CompletableFuture<StoredBlock>> futures = new ArrayList<>();
      int threadsBefore = Thread.activeCount();
      for (int i = 0; i < 10_000; i++) {
        BlockCursor c = store.cursor(1);
        cursors.add(c);
        futures.add(c.next());
      }
      assertThat(store.waitingCursors()).isEqualTo(10_000);
      assertThat(Thread.activeCount()).isLessThanOrEqualTo(threadsBefore);
      assertThat(futures).noneMatch(CompletableFuture::isDone);

      byte[] block = chain.next(10).toByteArray();
      store.append(block);
      for (CompletableFuture<StoredBlock> f : futures) {
        assertThat(f).isCompleted();
        assertThat(f.get().number()).isEqualTo(1);
      }
      assertThat(store.waitingCursors()).isZero();

      // A second round, this time closed instead of served: closing frees every waiter at once.
      futures.clear();
      for (BlockCursor c : cursors) {
        futures.add(c.next());
      }
      assertThat(store.waitingCursors()).isEqualTo(10_000);
      cursors.forEach(BlockCursor::close);
      assertThat(store.waitingCursors()).isZero();
      for (CompletableFuture<StoredBlock> f : futures) {
        assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(LedgerClosedException.class);
      }
    }
  }

  @Test
  void closingTheStoreEndsWaitingCursors() {
    BlockStore store = BlockStore.open(dir, LedgerOptions.defaults());
    CompletableFuture<StoredBlock> waiting = store.cursor(0).next();
    store.close();
    assertThatThrownBy(waiting::get)
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(LedgerClosedException.class);
  }

  @Test
  void onlyOneNextMayBeOutstanding() {
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      BlockCursor cursor = store.cursor(0);
      cursor.next();
      assertThatThrownBy(cursor::next).isInstanceOf(IllegalStateException.class);
      cursor.close();
      assertThatThrownBy(() -> cursor.next().get()).hasCauseInstanceOf(LedgerClosedException.class);
    }
  }

  @Test
  void concurrentAppendsAndWaitsNeverLoseAWakeUp() throws Exception {
    TestChain chain = new TestChain(13);
    List<byte[]> blocks = chain.nextBytes(2_000, 50);
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      int readers = 4;
      List<CompletableFuture<Long>> done = new ArrayList<>();
      for (int r = 0; r < readers; r++) {
        BlockCursor cursor = store.cursor(0);
        CompletableFuture<Long> finished = new CompletableFuture<>();
        follow(cursor, blocks, finished);
        done.add(finished);
      }
      Thread writer = new Thread(() -> blocks.forEach(store::append));
      writer.start();
      writer.join();
      for (CompletableFuture<Long> f : done) {
        assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(2_000L);
      }
    }
  }

  /** Reads to the end of {@code expected} without ever blocking a thread. */
  private static void follow(BlockCursor cursor, List<byte[]> expected, CompletableFuture<Long> finished) {
    cursor.next().whenCompleteAsync((block, error) -> {
      if (error != null) {
        finished.completeExceptionally(error);
      } else if (!java.util.Arrays.equals(block.toByteArray(), expected.get((int) block.number()))) {
        finished.completeExceptionally(new AssertionError("wrong bytes for block " + block.number()));
      } else if (block.number() == expected.size() - 1) {
        finished.complete(block.number() + 1);
      } else {
        follow(cursor, expected, finished);
      }
    });
  }
}
