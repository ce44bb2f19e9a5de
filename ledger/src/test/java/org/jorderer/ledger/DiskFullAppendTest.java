package org.jorderer.ledger;

import org.jorderer.ledger.testing.SmallTmpfs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.ledger.testing.TestChain;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Appends on a small tmpfs that is full: each fails with {@link AppendUndoneException}, leaves the
 * files as they were, and the same block goes in once there is room; the store then reopens whole.
 */
class DiskFullAppendTest {
  @TempDir Path dir;
  private SmallTmpfs tmpfs;
  private Path mount;

  @BeforeEach
  void mountSmallTmpfs() throws Exception {
    tmpfs = SmallTmpfs.mount(dir, "1m");
    mount = tmpfs.path();
  }

  @AfterEach
  void unmount() throws Exception {
    if (tmpfs != null) {
      tmpfs.close();
    }
  }

  /** false: the block goes into the open segment; true: it needs a new segment, whose creation fails. */
  @ParameterizedTest(name = "rolls to a new segment: {0}")
  @ValueSource(booleans = {false, true})
  void aFailedAppendIsUndoneAndTheSameBlockGoesInOnceThereIsRoom(boolean roll) throws Exception {
    Path store = mount.resolve("chain");
    TestChain chain = new TestChain(7);
    List<Block> written = new ArrayList<>();
    LedgerOptions options = LedgerOptions.defaults().withSegmentBytes(roll ? 40_000 : 10_000_000);
    Path filler = mount.resolve("filler");
    try (BlockStore ledger = BlockStore.open(store, options)) {
      for (int i = 0; i < 3; i++) {
        Block b = chain.next(12_000);
        ledger.append(b);
        written.add(b);
      }
      List<String> before = listing(store);
      fill(filler);
      Block next = chain.next(30_000);
      for (int attempt = 0; attempt < 3; attempt++) {
        assertThatThrownBy(() -> ledger.append(next)).isInstanceOf(AppendUndoneException.class)
            .hasMessageContaining("No space left on device");
        assertThat(ledger.height()).isEqualTo(3);
        assertThat(listing(store)).as("the files are as before the failed append").isEqualTo(before);
        assertThat(ledger.readBlock(2)).isEqualTo(written.get(2));
      }
      Files.delete(filler);
      ledger.append(next);
      written.add(next);
      Block after = chain.next(100);
      ledger.append(after);
      written.add(after);
    }
    try (BlockStore reopened = BlockStore.open(store, options)) {
      assertThat(reopened.height()).isEqualTo(written.size());
      for (int n = 0; n < written.size(); n++) {
        assertThat(reopened.readBlock(n)).isEqualTo(written.get(n));
      }
    }
  }

  /** Names and sizes of the store's files. */
  private static List<String> listing(Path store) throws IOException {
    List<String> out = new ArrayList<>();
    try (var files = Files.list(store)) {
      files.sorted().forEach(f -> {
        try {
          out.add(f.getFileName() + " " + Files.size(f));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
    }
    return out;
  }

  private static void fill(Path filler) {
    byte[] chunk = new byte[16 * 1024];
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(chunk);
      }
    } catch (IOException full) {
      assertThat(full.getMessage()).contains("No space left on device");
    }
  }
}
