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
 * An fsync that fails (EIO on a dying disk) leaves the file's state unknown: a later fsync may
 * succeed without the lost pages, so the store must refuse every further append until it is
 * reopened and recovered, as docs/ledger-format.md says.
 */
class FailedSyncTest {
  @TempDir Path dir;

  @Test
  void afterAFailedFsyncTheStoreRefusesAppendsUntilReopened() throws Exception {
    byte[] block0 = Vectors.blockBytes("vectors-0.block");
    byte[] block1 = Vectors.blockBytes("vectors-1.block");
    byte[] block2 = Vectors.blockBytes("vectors-2.block");
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      store.append(block0);
      AtomicBoolean failNextForce = failingForceOnActiveSegment(store);

      assertThatThrownBy(() -> store.append(block1))
          .isInstanceOf(LedgerException.class)
          .hasMessageContaining("cannot append")
          .hasMessageContaining("EIO");
      assertThat(failNextForce).isFalse(); // the failure came from the fsync
      assertThat(store.height()).as("a block whose fsync failed is not acknowledged").isEqualTo(1);

      // The disk would take the write now; the store still refuses.
      assertThatThrownBy(() -> store.append(block1))
          .isInstanceOf(LedgerException.class)
          .hasMessageContaining("refuses appends after an earlier write failure");
      assertThat(store.height()).isEqualTo(1);
      assertThat(store.read(0).toByteArray()).isEqualTo(block0); // reads go on
    }

    // Reopening recovers: block 1's record was written (only its fsync failed), so it may or may not be
    // found; either way the chain continues from what is there.
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults())) {
      assertThat(store.height()).isBetween(1L, 2L);
      if (store.height() == 1) {
        store.append(block1);
      }
      store.append(block2);
      assertThat(store.height()).isEqualTo(3);
      assertThat(store.read(1).toByteArray()).isEqualTo(block1);
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
