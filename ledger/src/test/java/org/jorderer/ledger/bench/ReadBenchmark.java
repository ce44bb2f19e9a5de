package org.jorderer.ledger.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jorderer.ledger.BlockCursor;
import org.jorderer.ledger.BlockReadBuffer;
import org.jorderer.ledger.BlockStore;
import org.jorderer.ledger.LedgerOptions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Reading a 256 MiB ledger (in the page cache, as a busy orderer's recent blocks are):
 * {@code cursorScan} reads every block through a cursor and copies it out once (as a sender does);
 * {@code plainScan} reads the same segment files front to back into a 1 MiB buffer and does
 * nothing else, the ceiling for any reader. Both are one op per full pass: MB/s = 256 / (s/op).
 * {@code readByNumber} is the latency of one random {@code read(n)}. With {@code reads=copied}
 * (the node's setting: no memory map, so served blocks do not count in its RSS) each block is one
 * positional read into a new array; {@code cursorScanReusedBuffer} reads into one reused
 * {@link BlockReadBuffer} instead, as Deliver does.
 */
@State(Scope.Benchmark)
public class ReadBenchmark {
  private static final long TOTAL_BYTES = 256L * 1024 * 1024;

  @Param({"2048", "1048576"})
  int blockBytes;

  @Param({"mapped", "copied"})
  String reads;

  private Path dir;
  private BlockStore store;
  private List<Path> segmentFiles;
  private final byte[] sink = new byte[2 * 1024 * 1024];
  private final BlockReadBuffer readBuffer = new BlockReadBuffer(4 * 1024 * 1024);

  @Setup(Level.Trial)
  public void fill() throws IOException {
    dir = Files.createTempDirectory(BenchBlocks.workDirectory(), "read");
    store = BlockStore.open(dir, LedgerOptions.defaults().withMappedReads(reads.equals("mapped")));
    BenchBlocks blocks = new BenchBlocks(blockBytes, 0, new byte[0]);
    long count = TOTAL_BYTES / blockBytes;
    List<byte[]> batch = new ArrayList<>();
    for (long i = 0; i < count; i++) {
      batch.add(blocks.next());
      if (batch.size() == 256) {
        store.appendAll(batch);
        batch.clear();
      }
    }
    store.appendAll(batch);
    try (Stream<Path> files = Files.list(dir)) {
      segmentFiles = files.filter(p -> p.toString().endsWith(".blocks")).sorted().toList();
    }
  }

  @TearDown(Level.Trial)
  public void delete() throws IOException {
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public long cursorScan() throws InterruptedException, ExecutionException {
    // Each block is copied out once, as a sender copies it into its transport buffers, so that
    // the cursor does the same work with the bytes as plainScan does.
    long bytes = 0;
    long height = store.height();
    try (BlockCursor cursor = store.cursor(0)) {
      for (long n = 0; n < height; n++) {
        ByteBuffer block = cursor.next().get().bytes();
        int size = block.remaining();
        block.get(sink, 0, size);
        bytes += size;
      }
    }
    return bytes;
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public long cursorScanReusedBuffer() throws InterruptedException, ExecutionException {
    long bytes = 0;
    long height = store.height();
    try (BlockCursor cursor = store.cursor(0)) {
      for (long n = 0; n < height; n++) {
        ByteBuffer block = cursor.next(readBuffer).get().bytes();
        int size = block.remaining();
        block.get(sink, 0, size);
        bytes += size;
      }
    }
    return bytes;
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public long plainScan() throws IOException {
    long bytes = 0;
    ByteBuffer buffer = ByteBuffer.allocate(1024 * 1024);
    for (Path file : segmentFiles) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        int n;
        while ((n = ch.read(buffer.clear())) > 0) {
          bytes += n;
        }
      }
    }
    return bytes;
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public int readByNumber() {
    long n = ThreadLocalRandom.current().nextLong(store.height());
    return store.read(n).size();
  }
}
