package org.jorderer.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jorderer.ledger.testing.TestChain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockReadBufferTest {
  @TempDir Path dir;

  private static LedgerOptions copiedReads() {
    return LedgerOptions.defaults().withMappedReads(false);
  }

  @Test
  void storedBlocksAreReadIntoTheOneReusedArray() throws Exception {
    TestChain chain = new TestChain(21);
    try (BlockStore store = BlockStore.open(dir, copiedReads())) {
      List<byte[]> blocks = chain.nextBytes(4, 300);
      store.appendAll(blocks);
      BlockReadBuffer buffer = new BlockReadBuffer(1 << 20);
      try (BlockCursor cursor = store.cursor(0)) {
        StoredBlock first = cursor.next(buffer).get();
        assertThat(first.toByteArray()).isEqualTo(blocks.get(0));
        int kept = buffer.keptBytes();
        assertThat(kept).isGreaterThanOrEqualTo(blocks.get(0).length);
        for (int i = 1; i < 4; i++) {
          StoredBlock block = cursor.next(buffer).get();
          assertThat(block.number()).isEqualTo(i);
          assertThat(block.size()).isEqualTo(blocks.get(i).length);
          assertThat(block.toByteArray()).isEqualTo(blocks.get(i));
        }
        // Blocks of about the same size settle on one array; the first view now shows later bytes.
        assertThat(buffer.keptBytes()).isEqualTo(kept);
        assertThat(first.toByteArray()).isNotEqualTo(blocks.get(0));
      }
      // Reading without a buffer still gives each block an array of its own.
      StoredBlock a = store.read(1);
      StoredBlock b = store.read(2);
      assertThat(a.toByteArray()).isEqualTo(blocks.get(1));
      assertThat(b.toByteArray()).isEqualTo(blocks.get(2));
    }
  }

  @Test
  void aBlockOverTheCapGetsAnArrayOfItsOwn() throws Exception {
    TestChain chain = new TestChain(22);
    try (BlockStore store = BlockStore.open(dir, copiedReads())) {
      byte[] small = chain.next(10).toByteArray();
      byte[] large = chain.next(5000).toByteArray();
      store.append(small);
      store.append(large);
      BlockReadBuffer buffer = new BlockReadBuffer(small.length + 64);
      StoredBlock s = store.read(0, buffer);
      int kept = buffer.keptBytes();
      StoredBlock l = store.read(1, buffer);
      assertThat(l.toByteArray()).isEqualTo(large);
      assertThat(buffer.keptBytes()).isEqualTo(kept);
      assertThat(s.toByteArray()).isEqualTo(small); // the large read did not touch the kept array
    }
  }

  @Test
  void aWaitingCursorGetsTheAppendedBlockAndLeavesTheBufferAlone() throws Exception {
    TestChain chain = new TestChain(23);
    try (BlockStore store = BlockStore.open(dir, copiedReads())) {
      store.append(chain.next(10));
      BlockReadBuffer buffer = new BlockReadBuffer(1 << 20);
      try (BlockCursor cursor = store.cursor(1)) {
        CompletableFuture<StoredBlock> waiting = cursor.next(buffer);
        assertThat(waiting).isNotDone();
        byte[] next = chain.next(50).toByteArray();
        store.append(next);
        assertThat(waiting.get(5, TimeUnit.SECONDS).toByteArray()).isEqualTo(next);
        assertThat(buffer.keptBytes()).isZero();
      }
    }
  }
}
