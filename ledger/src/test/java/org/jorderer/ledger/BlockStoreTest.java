package org.jorderer.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.jorderer.ledger.testing.TestChain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockStoreTest {
  @TempDir Path dir;

  private static final LedgerOptions SMALL_SEGMENTS = LedgerOptions.defaults().withSegmentBytes(8 * 1024);

  @Test
  void emptyStoreHasHeightZeroAndNothingToRead() {
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      assertThat(store.height()).isZero();
      assertThat(store.firstBlockNumber()).isZero();
      assertThat(store.lastHeaderHash()).isEmpty();
      assertThatThrownBy(() -> store.read(0))
          .isInstanceOf(BlockNotFoundException.class)
          .hasMessage("block 0 is not in the ledger (blocks 0 to -1)");
    }
  }

  @Test
  void rollsSegmentsAndReadsEveryBlockByNumber() throws Exception {
    TestChain chain = new TestChain(1);
    List<byte[]> blocks = chain.nextBytes(200, 700);
    try (BlockStore store = BlockStore.open(dir, SMALL_SEGMENTS)) {
      for (byte[] b : blocks) {
        store.append(b);
      }
      assertThat(segmentFiles()).hasSizeGreaterThan(10);
      for (int i = 0; i < blocks.size(); i++) {
        assertThat(store.read(i).toByteArray()).isEqualTo(blocks.get(i));
      }
    }
    try (BlockStore store = BlockStore.open(dir, SMALL_SEGMENTS)) {
      assertThat(store.height()).isEqualTo(200);
      for (int i = 199; i >= 0; i -= 7) {
        assertThat(store.read(i).toByteArray()).isEqualTo(blocks.get(i));
      }
      // The reopened chain continues where it stopped.
      TestChain more = new TestChain(2, 200, store.lastHeaderHash());
      store.append(more.next(100));
      assertThat(store.height()).isEqualTo(201);
    }
  }

  @Test
  void aBlockLargerThanASegmentGetsASegmentOfItsOwn() throws Exception {
    TestChain chain = new TestChain(3);
    try (BlockStore store = BlockStore.open(dir, SMALL_SEGMENTS)) {
      store.append(chain.next(100));
      store.append(chain.next(50_000));
      store.append(chain.next(100));
      assertThat(segmentFiles()).hasSize(3);
      assertThat(store.read(1).size()).isGreaterThan(50_000);
    }
    try (BlockStore store = BlockStore.open(dir, SMALL_SEGMENTS)) {
      assertThat(store.height()).isEqualTo(3);
    }
  }

  @Test
  void groupCommitAppendsABatchAtOnceAndRefusesABrokenOne() {
    TestChain chain = new TestChain(4);
    List<byte[]> batch = chain.nextBytes(50, 500);
    try (BlockStore store = BlockStore.open(dir, SMALL_SEGMENTS)) {
      store.appendAll(batch);
      assertThat(store.height()).isEqualTo(50);
      List<byte[]> next = chain.nextBytes(3, 10);
      List<byte[]> broken = List.of(next.get(0), next.get(2));
      assertThatThrownBy(() -> store.appendAll(broken))
          .isInstanceOf(BlockRejectedException.class)
          .hasMessage("expected block number 51 but got 52");
      assertThat(store.height()).isEqualTo(50);
      store.appendAll(next);
      assertThat(store.height()).isEqualTo(53);
    }
    try (BlockStore store = BlockStore.open(dir, SMALL_SEGMENTS)) {
      assertThat(store.height()).isEqualTo(53);
      assertThat(store.read(49).toByteArray()).isEqualTo(batch.get(49));
    }
  }

  @Test
  void aClosedStoreRefusesWork() {
    BlockStore store = BlockStore.open(dir, LedgerOptions.defaults());
    store.append(new TestChain(5).next(10));
    store.close();
    assertThatThrownBy(() -> store.read(0)).isInstanceOf(LedgerClosedException.class);
    assertThatThrownBy(() -> store.append(new TestChain(5).next(10))).isInstanceOf(LedgerClosedException.class);
  }

  private List<Path> segmentFiles() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".blocks")).sorted().toList();
    }
  }
}
