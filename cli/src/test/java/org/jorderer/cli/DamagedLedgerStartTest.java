package org.jorderer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.jorderer.ledger.BlockHeaderHash;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerDirectory;
import org.jorderer.ledger.LedgerOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jorderer start} on a data directory whose ledger files were damaged while it was stopped,
 * as docs/ledger-format.md describes recovery: a torn tail is cut back with a WARN line naming file,
 * offset and bytes cut, and the node serves the blocks before it; a damaged or missing index is
 * rebuilt from the segment; damage anywhere else makes the node refuse to start with one line
 * naming the file and the offset, and no stack trace. (The ledger module's RecoveryTest covers the
 * same damage at the store level; this is what an operator sees.)
 */
class DamagedLedgerStartTest {
  private static final String SEGMENT = "00000000000000000000.blocks";
  private static final String INDEX = "00000000000000000000.index";

  @TempDir static Path shared;
  private static Path pristine;
  private static long height;

  @TempDir Path dir;

  /** A node that ordered 1,100 envelopes (blocks 1 to 3 after the genesis block), stopped cleanly. */
  @BeforeAll
  static void orderSomeBlocks() throws Exception {
    pristine = shared.resolve("data");
    try (NodeProcess node = NodeProcess.start(pristine, shared.resolve("first.log"))) {
      assertThat(node.firstLine()).as("log:%n%s", node.logTail()).startsWith("jorderer is serving");
      int exit = Jorderer.commandLine().execute("broadcast", "--address", "127.0.0.1:" + node.port,
          "--msp-dir", pristine.resolve("admin-msp").toString(), "--count", "1100", "--size", "64");
      assertThat(exit).isZero();
      node.signal("TERM");
      node.awaitExit();
    }
    try (LedgerDirectory ledgers = LedgerDirectory.open(pristine.resolve("ledger"), LedgerOptions.defaults())) {
      height = ledgers.find("demo").orElseThrow().height();
    }
    assertThat(height).as("blocks were cut").isGreaterThanOrEqualTo(3);
  }

  @Test
  void aTornTailIsCutBackWithAWarningAndTheBlocksBeforeItAreServed() throws Exception {
    Path data = copy();
    Path segment = segment(data);
    long size = Files.size(segment);
    long lastRecord = recordOffsets(segment).get((int) height - 1);
    truncate(segment, size - 7);

    try (NodeProcess node = NodeProcess.start(data, dir.resolve("node.log"))) {
      String serving = node.firstLine();
      assertThat(serving).as("log:%n%s", node.logTail()).startsWith("jorderer is serving")
          .contains("demo (height " + (height - 1) + ")");
      assertThat(node.logLines()).as("the WARN line").anySatisfy(line -> assertThat(line)
          .contains("WARN").contains(segment.getFileName().toString()).contains(Long.toString(lastRecord)));
      node.signal("TERM");
      node.awaitExit();
    }
    assertWholeChain(data, height - 1);
  }

  @Test
  void aGarbledOrMissingIndexIsRebuiltFromTheSegment() throws Exception {
    Path data = copy();
    Path index = data.resolve("ledger/chains/demo").resolve(INDEX);
    byte[] garbage = new byte[(int) Files.size(index)];
    new java.util.Random(7).nextBytes(garbage);
    Files.write(index, garbage);
    startsWithHeight(data, height, "garbled");

    Files.write(index, new byte[5]); // not even one entry
    startsWithHeight(data, height, "truncated");

    Files.delete(index);
    startsWithHeight(data, height, "missing");
    assertWholeChain(data, height);
  }

  @Test
  void aDamagedBlockBeforeTheTailStopsTheStartWithOneLineNamingFileAndOffset() throws Exception {
    Path data = copy();
    Path segment = segment(data);
    long block1 = recordOffsets(segment).get(1);
    flip(segment, block1 + 16 + 40); // inside block 1's payload: its checksum no longer matches

    refusesNaming(data, segment, block1);
  }

  @Test
  void aDamagedSegmentHeaderStopsTheStartWithOneLineNamingTheFile() throws Exception {
    Path data = copy();
    Path segment = segment(data);
    flip(segment, 1); // the magic

    refusesNaming(data, segment, 0);
  }

  private void refusesNaming(Path data, Path file, long offset) throws Exception {
    try (NodeProcess node = NodeProcess.start(data, dir.resolve("refused.log"))) {
      assertThat(node.firstLine()).as("nothing served").isNull();
      assertThat(node.awaitExit()).as("exit code").isNotZero();
      List<String> log = node.logLines();
      assertThat(log).as("one line names the file and the offset; log:%n%s", node.logTail())
          .anySatisfy(line -> assertThat(line).contains(file.toString()).contains("offset " + offset));
      assertThat(log).as("no stack trace; log:%n%s", node.logTail()).noneSatisfy(line -> assertThat(line).startsWith("\tat "));
    }
  }

  private void startsWithHeight(Path data, long expected, String what) throws Exception {
    try (NodeProcess node = NodeProcess.start(data, dir.resolve(what + ".log"))) {
      assertThat(node.firstLine()).as("%s index; log:%n%s", what, node.logTail()).startsWith("jorderer is serving")
          .contains("demo (height " + expected + ")");
      node.signal("TERM");
      node.awaitExit();
    }
  }

  /** Every block readable, numbered, linked to the one before; checked with the node stopped. */
  private static void assertWholeChain(Path data, long expectedHeight) {
    try (LedgerDirectory ledgers = LedgerDirectory.open(data.resolve("ledger"), LedgerOptions.defaults())) {
      BlockStore demo = ledgers.find("demo").orElseThrow();
      assertThat(demo.height()).isEqualTo(expectedHeight);
      byte[] previous = new byte[0];
      for (long n = 0; n < demo.height(); n++) {
        var block = demo.readBlock(n);
        assertThat(block.getHeader().getNumber()).isEqualTo(n);
        assertThat(block.getHeader().getPreviousHash().toByteArray()).isEqualTo(previous);
        previous = BlockHeaderHash.of(block.getHeader());
      }
    }
  }

  private Path copy() throws IOException {
    Path target = dir.resolve("data");
    try (Stream<Path> files = Files.walk(pristine)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path to = target.resolve(pristine.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else if (!p.getFileName().toString().equals("LOCK")) {
          Files.copy(p, to);
        }
      }
    }
    return target;
  }

  private static Path segment(Path data) {
    return data.resolve("ledger/chains/demo").resolve(SEGMENT);
  }

  /** Where each block's record starts (docs/ledger-format.md: a 16-byte file header, then 16 + L per record). */
  private static List<Long> recordOffsets(Path segment) throws IOException {
    List<Long> offsets = new ArrayList<>();
    try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "r")) {
      long position = 16;
      while (position + 16 <= file.length()) {
        offsets.add(position);
        file.seek(position);
        long length = Integer.toUnsignedLong(file.readInt());
        position += 16 + length;
      }
    }
    return offsets;
  }

  private static void truncate(Path file, long size) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(size);
    }
  }

  private static void flip(Path file, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0xFF);
    }
  }
}
