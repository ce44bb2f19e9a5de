package org.jorderer.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.NavigableMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jorderer.ledger.testing.Vectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An fsync that fails (EIO on a dying disk, or ENOSPC reported late by delayed allocation) leaves
 * the pages it covered in an unknown state; a later fsync may succeed without them. The store
 * therefore never retries the fsync: it cuts the segment back to the last durable record (and
 * forces that), so the failed append leaves nothing behind, and the same block can be written again
 * from scratch (docs/ledger-format.md, "Failed writes").
 */
class FailedSyncTest {
  @TempDir Path dir;

  @Test
  void aFailedFsyncIsUndoneAndTheSameBlockCanBeWrittenAgain() throws Exception {
    byte[] block0 = Vectors.blockBytes("vectors-0.block");
    byte[] block1 = Vectors.blockBytes("vectors-1.block");
    byte[] block2 = Vectors.blockBytes("vectors-2.block");
    Path segmentFile = dir.resolve("00000000000000000000.blocks");
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      store.append(block0);
      long durableSize = java.nio.file.Files.size(segmentFile);
      AtomicBoolean failNextForce = failingForceOnActiveSegment(store);

      assertThatThrownBy(() -> store.append(block1))
          .isInstanceOf(AppendUndoneException.class)
          .hasMessageContaining("undone, nothing of it stored")
          .hasMessageContaining("EIO");
      assertThat(failNextForce).isFalse(); // the failure came from the fsync
      assertThat(store.height()).as("a block whose fsync failed is not acknowledged").isEqualTo(1);
      assertThat(java.nio.file.Files.size(segmentFile)).as("the failed record is cut away").isEqualTo(durableSize);

      // The disk takes writes again: the same block is written from scratch, then the next one.
      store.append(block1);
      store.append(block2);
      assertThat(store.height()).isEqualTo(3);
      assertThat(store.read(0).toByteArray()).isEqualTo(block0);
    }

    // Recovery finds exactly the three blocks: no trace of the undone attempt.
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      assertThat(store.height()).isEqualTo(3);
      assertThat(store.read(1).toByteArray()).isEqualTo(block1);
      assertThat(store.read(2).toByteArray()).isEqualTo(block2);
    }
  }

  /** Swaps the active segment's channel for one whose next force() fails; returns the still-armed flag. */
  private static AtomicBoolean failingForceOnActiveSegment(BlockStore store) throws Exception {
    Field segmentsField = BlockStore.class.getDeclaredField("segments");
    segmentsField.setAccessible(true);
    @SuppressWarnings("unchecked")
    NavigableMap<Long, Segment> segments = (NavigableMap<Long, Segment>) segmentsField.get(store);
    Segment active = segments.lastEntry().getValue();
    Field dataField = Segment.class.getDeclaredField("data");
    dataField.setAccessible(true);
    FileChannel real = (FileChannel) dataField.get(active);
    AtomicBoolean armed = new AtomicBoolean(true);
    dataField.set(active, new FailingForce(real, armed));
    return armed;
  }

  /** A FileChannel that passes everything through, except that one force() throws. */
  private static final class FailingForce extends FileChannel {
    private final FileChannel real;
    private final AtomicBoolean armed;

    FailingForce(FileChannel real, AtomicBoolean armed) {
      this.real = real;
      this.armed = armed;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      if (armed.getAndSet(false)) {
        throw new IOException("EIO (injected): fsync failed");
      }
      real.force(metaData);
    }

    @Override public int read(ByteBuffer dst) throws IOException { return real.read(dst); }
    @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException { return real.read(dsts, offset, length); }
    @Override public int write(ByteBuffer src) throws IOException { return real.write(src); }
    @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException { return real.write(srcs, offset, length); }
    @Override public long position() throws IOException { return real.position(); }
    @Override public FileChannel position(long newPosition) throws IOException { real.position(newPosition); return this; }
    @Override public long size() throws IOException { return real.size(); }
    @Override public FileChannel truncate(long size) throws IOException { real.truncate(size); return this; }
    @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException { return real.transferTo(position, count, target); }
    @Override public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException { return real.transferFrom(src, position, count); }
    @Override public int read(ByteBuffer dst, long position) throws IOException { return real.read(dst, position); }
    @Override public int write(ByteBuffer src, long position) throws IOException { return real.write(src, position); }
    @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException { return real.map(mode, position, size); }
    @Override public FileLock lock(long position, long size, boolean shared) throws IOException { return real.lock(position, size, shared); }
    @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException { return real.tryLock(position, size, shared); }
    @Override protected void implCloseChannel() throws IOException { real.close(); }
  }
}
