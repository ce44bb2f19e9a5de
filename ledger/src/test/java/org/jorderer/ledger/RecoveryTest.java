package org.jorderer.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.jorderer.ledger.testing.TestChain;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Damage on disk: torn tails are cut back, anything else is refused with file and offset. */
class RecoveryTest {
  @TempDir Path work;
  private Path pristine;
  private List<byte[]> blocks;
  private final long[] recordStart = new long[3];
  private long fileEnd;

  @BeforeEach
  void writeThreeBlocks() throws IOException {
    pristine = work.resolve("pristine");
    blocks = new TestChain(20).nextBytes(3, 200);
    try (BlockStore store = BlockStore.open(pristine, LedgerOptions.defaults())) {
      for (int i = 0; i < 3; i++) {
        recordStart[i] = i == 0 ? Segment.FILE_HEADER_BYTES : Files.size(dataFile(pristine));
        store.append(blocks.get(i));
      }
    }
    fileEnd = Files.size(dataFile(pristine));
  }

  @Test
  void aLastRecordCutAtAnyByteIsRemovedAndTheChainContinues() throws IOException {
    Logger loader = (Logger) LoggerFactory.getLogger(LedgerLoader.class);
    Level before = loader.getLevel();
    loader.setLevel(Level.ERROR); // hundreds of expected warnings
    try {
      for (long cut = recordStart[2]; cut < fileEnd; cut++) {
        Path copy = copyOf(pristine, "cut-" + cut);
        truncate(dataFile(copy), cut);
        try (BlockStore store = BlockStore.open(copy, LedgerOptions.defaults())) {
          assertThat(store.height()).as("cut at %d", cut).isEqualTo(2);
          assertThat(store.read(0).toByteArray()).isEqualTo(blocks.get(0));
          assertThat(store.read(1).toByteArray()).isEqualTo(blocks.get(1));
          assertThat(Files.size(dataFile(copy))).isEqualTo(recordStart[2]);
          store.append(blocks.get(2)); // the lost block can be appended again
          assertThat(store.read(2).toByteArray()).isEqualTo(blocks.get(2));
        }
        deleteTree(copy);
      }
    } finally {
      loader.setLevel(before);
    }
  }

  @Test
  void theTornTailIsLogged() throws IOException {
    truncate(dataFile(pristine), fileEnd - 5);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    Logger loader = (Logger) LoggerFactory.getLogger(LedgerLoader.class);
    appender.start();
    loader.addAppender(appender);
    Level before = loader.getLevel();
    loader.setLevel(Level.WARN);
    try (BlockStore store = BlockStore.open(pristine, LedgerOptions.defaults())) {
      assertThat(store.height()).isEqualTo(2);
    } finally {
      loader.detachAppender(appender);
      loader.setLevel(before);
    }
    assertThat(appender.list)
        .anySatisfy(e -> {
          assertThat(e.getLevel()).isEqualTo(Level.WARN);
          assertThat(e.getFormattedMessage())
              .contains("Cut a torn tail of " + (fileEnd - 5 - recordStart[2]) + " bytes")
              .contains("at offset " + recordStart[2])
              .contains("2 blocks remain");
        });
  }

  @Test
  void flippedBytesInTheLastRecordCutItBack() throws IOException {
    long[] offsets = {recordStart[2], recordStart[2] + 3, recordStart[2] + 9, recordStart[2] + 14,
        recordStart[2] + 16, (recordStart[2] + fileEnd) / 2, fileEnd - 1};
    for (long offset : offsets) {
      Path copy = copyOf(pristine, "flip-" + offset);
      flip(dataFile(copy), offset);
      try (BlockStore store = BlockStore.open(copy, LedgerOptions.defaults())) {
        assertThat(store.height()).as("flip at %d", offset).isEqualTo(2);
        assertThat(store.read(1).toByteArray()).isEqualTo(blocks.get(1));
      }
    }
  }

  @Test
  void flippedBytesBeforeTheTailAreRefusedWithFileAndOffset() throws IOException {
    for (long offset : new long[] {recordStart[1], recordStart[1] + 4, recordStart[1] + 100, recordStart[2] - 1}) {
      Path copy = copyOf(pristine, "mid-" + offset);
      flip(dataFile(copy), offset);
      assertThatThrownBy(() -> BlockStore.open(copy, LedgerOptions.defaults()))
          .isInstanceOfSatisfying(LedgerCorruptedException.class, e -> {
            assertThat(e.file()).isEqualTo(dataFile(copy));
            assertThat(e.offset()).isEqualTo(recordStart[1]);
          })
          .hasMessageContaining("an intact record follows at offset " + recordStart[2]);
    }
  }

  @Test
  void aDamagedSegmentHeaderIsRefused() throws IOException {
    flip(dataFile(pristine), 2);
    assertThatThrownBy(() -> BlockStore.open(pristine, LedgerOptions.defaults()))
        .isInstanceOf(LedgerCorruptedException.class)
        .hasMessageContaining("at offset 0: bad segment header");
  }

  @Test
  void aMissingOrEmptyIndexIsRebuilt() throws IOException {
    Path index = pristine.resolve(Segment.indexFileName(0));
    Files.delete(index);
    reopenAndCheckAll(pristine);
    Files.write(index, new byte[0]);
    reopenAndCheckAll(pristine);
    assertThat(Files.size(index)).isEqualTo(3L * SegmentIndex.ENTRY_BYTES);
    // An index that claims more than the segment holds is rebuilt too.
    Files.write(index, new byte[10 * SegmentIndex.ENTRY_BYTES]);
    reopenAndCheckAll(pristine);
  }

  @Test
  void sealedSegmentsRebuildTheirIndexAndReportDamageOnRead() throws IOException {
    Path dir = work.resolve("sealed");
    List<byte[]> many = new TestChain(21).nextBytes(40, 900);
    LedgerOptions small = LedgerOptions.defaults().withSegmentBytes(4096);
    try (BlockStore store = BlockStore.open(dir, small)) {
      store.appendAll(many);
    }
    Path firstIndex = dir.resolve(Segment.indexFileName(0));
    Files.delete(firstIndex);
    Files.write(dir.resolve(Segment.indexFileName(4)), new byte[0]);
    try (BlockStore store = BlockStore.open(dir, small)) {
      for (int i = 0; i < many.size(); i++) {
        assertThat(store.read(i).toByteArray()).isEqualTo(many.get(i));
      }
    }
    assertThat(firstIndex).exists();

    // Bit rot inside a sealed segment is caught by the checksum when the block is read.
    long damaged = Segment.FILE_HEADER_BYTES + BlockRecord.HEADER_BYTES + 50;
    flip(dir.resolve(Segment.dataFileName(0)), damaged);
    try (BlockStore store = BlockStore.open(dir, small)) {
      assertThatThrownBy(() -> store.read(0))
          .isInstanceOfSatisfying(LedgerCorruptedException.class, e -> {
            assertThat(e.file()).isEqualTo(dir.resolve(Segment.dataFileName(0)));
            assertThat(e.offset()).isEqualTo(Segment.FILE_HEADER_BYTES);
          })
          .hasMessageContaining("checksum mismatch in block 0");
      assertThat(store.read(1).toByteArray()).isEqualTo(many.get(1));
    }
    // And a sealed segment that must be scanned (its index is gone) refuses the damage outright.
    Files.delete(firstIndex);
    assertThatThrownBy(() -> BlockStore.open(dir, small))
        .isInstanceOf(LedgerCorruptedException.class)
        .hasMessageContaining("checksum mismatch (block 0)");
  }

  @Test
  void readsWithoutTheMemoryMapGiveTheSameBytesAndCatchTheSameDamage() throws IOException {
    Path dir = work.resolve("unmapped");
    List<byte[]> many = new TestChain(22).nextBytes(40, 900);
    LedgerOptions unmapped = LedgerOptions.defaults().withSegmentBytes(4096).withMappedReads(false);
    try (BlockStore store = BlockStore.open(dir, unmapped)) {
      store.appendAll(many);
      for (int i = 0; i < many.size(); i++) {
        StoredBlock block = store.read(i);
        assertThat(block.bytes().isDirect()).isFalse();
        assertThat(block.toByteArray()).isEqualTo(many.get(i));
      }
    }
    long damaged = Segment.FILE_HEADER_BYTES + BlockRecord.HEADER_BYTES + 50;
    flip(dir.resolve(Segment.dataFileName(0)), damaged);
    try (BlockStore store = BlockStore.open(dir, unmapped)) {
      assertThatThrownBy(() -> store.read(0))
          .isInstanceOf(LedgerCorruptedException.class)
          .hasMessageContaining("checksum mismatch in block 0");
      assertThat(store.read(1).toByteArray()).isEqualTo(many.get(1));
    }
  }

  @Test
  void anInterruptedSegmentCreationIsUndone() throws IOException {
    for (int partial : new int[] {0, 7, 16}) {
      Path copy = copyOf(pristine, "create-" + partial);
      Files.write(copy.resolve(Segment.dataFileName(3)), new byte[partial]);
      try (BlockStore store = BlockStore.open(copy, LedgerOptions.defaults())) {
        assertThat(store.height()).isEqualTo(3);
        store.append(new TestChain(20, 3, store.lastHeaderHash()).next(10));
      }
      assertThat(copy.resolve(Segment.dataFileName(3))).doesNotExist();
    }
  }

  private void reopenAndCheckAll(Path dir) {
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      assertThat(store.height()).isEqualTo(3);
      for (int i = 0; i < 3; i++) {
        assertThat(store.read(i).toByteArray()).isEqualTo(blocks.get(i));
      }
    }
  }

  private static Path dataFile(Path dir) {
    return dir.resolve(Segment.dataFileName(0));
  }

  private Path copyOf(Path source, String name) throws IOException {
    Path target = work.resolve(name);
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(source)) {
      for (Path f : files.toList()) {
        Files.copy(f, target.resolve(f.getFileName()));
      }
    }
    return target;
  }

  private static void truncate(Path file, long size) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(size);
    }
  }

  private static void flip(Path file, long offset) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(offset);
      int b = raf.read();
      raf.seek(offset);
      raf.write(b ^ 0x5a);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(dir);
  }
}
