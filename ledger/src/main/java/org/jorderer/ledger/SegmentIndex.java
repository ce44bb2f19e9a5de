package org.jorderer.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The index of one segment: entry {@code i} locates block {@code base + i} as a u64 record
 * position and a u32 payload length (12 bytes, big-endian), so a block is found with one
 * multiplication and read with one positional read.
 *
 * <p>The index is derived data. Entries of the active segment are written without fsync; recovery
 * rebuilds them from the segment file, which is the only thing an append waits for. A sealed
 * segment's index is forced to disk before the next segment is created and is then read through a
 * read-only memory map, so a large ledger costs page cache, not heap.
 */
final class SegmentIndex implements AutoCloseable {
  static final int ENTRY_BYTES = 12;

  private final Path path;
  private FileChannel channel;
  // Active segment: entries live in these arrays, published to readers through `count`.
  private volatile Entries entries;
  private volatile int count;
  // Sealed segment: entries are read from the mapped file.
  private volatile MappedByteBuffer mapped;

  private static final class Entries {
    final long[] positions;
    final int[] lengths;

    Entries(int capacity) {
      positions = new long[capacity];
      lengths = new int[capacity];
    }
  }

  private SegmentIndex(Path path) {
    this.path = path;
  }

  /** An index for the active segment holding exactly {@code positions}/{@code lengths}, rewritten. */
  static SegmentIndex writeActive(Path path, long[] positions, int[] lengths, int count) throws IOException {
    rewrite(path, positions, lengths, count);
    SegmentIndex index = new SegmentIndex(path);
    Entries e = new Entries(Math.max(64, count * 2));
    System.arraycopy(positions, 0, e.positions, 0, count);
    System.arraycopy(lengths, 0, e.lengths, 0, count);
    index.entries = e;
    index.count = count;
    index.channel = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    return index;
  }

  /** Writes a complete index file for a sealed segment and maps it. */
  static SegmentIndex writeSealed(Path path, long[] positions, int[] lengths, int count) throws IOException {
    rewrite(path, positions, lengths, count);
    return openSealed(path, count);
  }

  /** Maps an existing sealed index; the caller has checked its size. */
  static SegmentIndex openSealed(Path path, int count) throws IOException {
    SegmentIndex index = new SegmentIndex(path);
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      index.mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, (long) count * ENTRY_BYTES);
    }
    index.count = count;
    return index;
  }

  int count() {
    return count;
  }

  long position(int i) {
    MappedByteBuffer m = mapped;
    return m != null ? m.getLong(i * ENTRY_BYTES) : entries.positions[i];
  }

  int length(int i) {
    MappedByteBuffer m = mapped;
    return m != null ? m.getInt(i * ENTRY_BYTES + 8) : entries.lengths[i];
  }

  /** Adds the next entry; the caller is the segment's single writer. */
  void add(long position, int length) throws IOException {
    Entries e = entries;
    int n = count;
    if (n == e.positions.length) {
      Entries grown = new Entries(n * 2);
      System.arraycopy(e.positions, 0, grown.positions, 0, n);
      System.arraycopy(e.lengths, 0, grown.lengths, 0, n);
      entries = grown;
      e = grown;
    }
    e.positions[n] = position;
    e.lengths[n] = length;
    ByteBuffer entry = ByteBuffer.allocate(ENTRY_BYTES).putLong(position).putInt(length).flip();
    while (entry.hasRemaining()) {
      channel.write(entry);
    }
    count = n + 1;
  }

  /** Drops the entries from {@code count} on (an append that failed and is being undone). */
  void truncate(int count) throws IOException {
    if (count > this.count) {
      throw new IllegalArgumentException("cannot truncate " + path + " to " + count + " entries: it has " + this.count);
    }
    this.count = count;
    channel.truncate((long) count * ENTRY_BYTES);
  }

  /**
   * Forces the file and switches reads to a memory map: the segment will not grow again. Safe to
   * call again after it failed half-way (a full disk), so that the next append can retry the roll.
   */
  void seal() throws IOException {
    if (mapped != null) {
      return;
    }
    if (channel != null) {
      channel.force(true);
      channel.close();
      channel = null;
    }
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, (long) count * ENTRY_BYTES);
    }
    entries = null;
  }

  void flush() throws IOException {
    if (channel != null) {
      channel.force(true);
    }
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.close();
      channel = null;
    }
  }

  Path path() {
    return path;
  }

  /** True when the file at {@code path} holds exactly these entries. */
  static boolean matches(Path path, long[] positions, int[] lengths, int count) throws IOException {
    if (!Files.exists(path) || Files.size(path) != (long) count * ENTRY_BYTES) {
      return false;
    }
    ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(path));
    for (int i = 0; i < count; i++) {
      if (buf.getLong(i * ENTRY_BYTES) != positions[i] || buf.getInt(i * ENTRY_BYTES + 8) != lengths[i]) {
        return false;
      }
    }
    return true;
  }

  private static void rewrite(Path path, long[] positions, int[] lengths, int count) throws IOException {
    // Written aside and renamed, so a crash leaves either the old index or the complete new one.
    Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
    ByteBuffer buf = ByteBuffer.allocate(count * ENTRY_BYTES);
    for (int i = 0; i < count; i++) {
      buf.putLong(positions[i]).putInt(lengths[i]);
    }
    buf.flip();
    try (FileChannel ch =
        FileChannel.open(
            tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
