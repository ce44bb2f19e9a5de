package org.jorderer.ledger.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * Blocks appended per second. {@code durable}: one fsync per block, what {@code append} promises.
 * {@code grouped}: {@code appendAll} of 16 blocks with one fsync (ops are batches; multiply by 16).
 * MB/s = ops/s × blocks per op × blockBytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AppendBenchmark {
  @Param({"2048", "1048576"})
  int blockBytes;

  @Param({"durable", "grouped"})
  String mode;

  private Path dir;
  private BlockStore store;
  private BenchBlocks blocks;

  @Setup(Level.Iteration)
  public void open() throws IOException {
    dir = Files.createTempDirectory(BenchBlocks.workDirectory(), "append");
    store = BlockStore.open(dir, LedgerOptions.defaults());
    blocks = new BenchBlocks(blockBytes, 0, new byte[0]);
  }

  @TearDown(Level.Iteration)
  public void close() throws IOException {
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Benchmark
  public long append() {
    if (mode.equals("durable")) {
      store.append(blocks.next());
    } else {
      List<byte[]> batch = new ArrayList<>(16);
      for (int i = 0; i < 16; i++) {
        batch.add(blocks.next());
      }
      store.appendAll(batch);
    }
    return store.height();
  }
}
