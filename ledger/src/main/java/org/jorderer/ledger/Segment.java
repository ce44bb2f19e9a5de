package org.jorderer.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * One segment file of a channel's block store: a 16-byte file header, then {@link BlockRecord}s for
 * consecutive blocks starting at {@link #baseNumber()}. The file is named after its base number so
 * that listing the directory orders the chain. Only the last segment of a store is appended to.
 *
 * <pre>
 *   file header: u32 magic "JORD" | u32 format version | u64 base block number
 * </pre>
 */
final class Segment implements AutoCloseable {
  static final int FILE_HEADER_BYTES = 16;
  static final int MAGIC = 0x4A4F5244; // "JORD"
  static final int FORMAT_VERSION = 1;
  static final String DATA_SUFFIX = ".blocks";
  static final String INDEX_SUFFIX = ".index";

  private final long baseNumber;
  private final Path dataPath;
  private final FileChannel data;
  private final SegmentIndex index;
  private volatile long size;
  private final Object mapLock = new Object();
  private volatile ByteBuffer readMap; // read-only map of the file's first readMap.capacity() bytes
  private final VerifiedRecords verified = new VerifiedRecords();
  private volatile boolean sealed;

  Segment(long baseNumber, Path dataPath, FileChannel data, SegmentIndex index, long size) {
    this.baseNumber = baseNumber;
    this.dataPath = dataPath;
    this.data = data;
    this.index = index;
    this.size = size;
  }

  static String dataFileName(long base) {
    return String.format("%020d%s", base, DATA_SUFFIX);
  }

  static String indexFileName(long base) {
    return String.format("%020d%s", base, INDEX_SUFFIX);
  }

  static ByteBuffer fileHeader(long base) {
    return ByteBuffer.allocate(FILE_HEADER_BYTES).putInt(MAGIC).putInt(FORMAT_VERSION).putLong(base).flip();
  }

  /** Creates an empty segment, durable (file and directory entry) before it is used. */
  static Segment create(Path dir, long base) throws IOException {
    Path dataPath = dir.resolve(dataFileName(base));
    FileChannel ch =
        FileChannel.open(dataPath, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      ByteBuffer header = fileHeader(base);
      while (header.hasRemaining()) {
        ch.write(header, header.position());
      }
      ch.force(true);
      SegmentIndex index = SegmentIndex.writeActive(dir.resolve(indexFileName(base)), new long[0], new int[0], 0);
      FileSystemSync.directory(dir);
      return new Segment(base, dataPath, ch, index, FILE_HEADER_BYTES);
    } catch (IOException | RuntimeException e) {
      ch.close();
      // Leave no half-made segment behind (the disk may be full), so a later attempt can create it.
      deleteQuietly(dataPath);
      deleteQuietly(dir.resolve(indexFileName(base)));
      deleteQuietly(dir.resolve(indexFileName(base) + ".tmp"));
      throw e;
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // Best effort: the failure being reported is the one that matters.
    }
  }

  long baseNumber() {
    return baseNumber;
  }

  /** One past the last block held. */
  long nextNumber() {
    return baseNumber + index.count();
  }

  int count() {
    return index.count();
  }

  long size() {
    return size;
  }

  Path dataPath() {
    return dataPath;
  }

  /**
   * Writes the records of consecutive blocks and, when {@code sync}, forces them to disk before
   * indexing them. Index entries are only added once the data is durable, so a reader can never
   * be handed a block that a crash could take back.
   */
  void append(List<byte[]> blocks, long firstNumber, boolean sync) throws IOException {
    long position = size;
    long[] positions = new long[blocks.size()];
    ByteBuffer[] buffers = new ByteBuffer[blocks.size() * 2];
    for (int i = 0; i < blocks.size(); i++) {
      byte[] block = blocks.get(i);
      buffers[2 * i] = BlockRecord.encodeHeader(firstNumber + i, block, 0, block.length);
      buffers[2 * i + 1] = ByteBuffer.wrap(block);
      positions[i] = position;
      position += BlockRecord.HEADER_BYTES + block.length;
    }
    data.position(size);
    long remaining = position - size;
    while (remaining > 0) {
      remaining -= data.write(buffers);
    }
    if (sync) {
      data.force(false);
    }
    for (int i = 0; i < blocks.size(); i++) {
      index.add(positions[i], blocks.get(i).length);
    }
    size = position;
  }

  /**
   * Cuts the segment back to {@code size} bytes and {@code count} blocks after a failed
   * {@link #append}: everything up to there was durable before it, and what the failed append may
   * have left past it (pages a failed fsync may have dropped) is gone with the cut.
   */
  void undoAppend(long size, int count) throws IOException {
    data.truncate(size);
    data.force(true);
    index.truncate(count);
    this.size = size;
  }

  /**
   * The stored bytes of block {@code number}, which this segment must hold, as a read-only view of
   * the file's memory map: no copy and no system call per block, so a cursor reads at the speed of
   * the page cache. With {@code verify}, the record's checksum is checked the first time this
   * process reads it; records never change once written, so later reads skip the check.
   *
   * <p>Without {@code mapped} the record is read into a new heap array instead: a copy and a system
   * call per block, but pages read this way are not counted in the process's resident memory (a
   * mapped page stays in the RSS for as long as the page cache holds it).
   */
  ByteBuffer read(long number, boolean verify, boolean mapped) {
    return read(number, verify, mapped, null);
  }

  /**
   * As {@link #read(long, boolean, boolean)}; a copy (an unmapped read) goes into {@code into}'s
   * array when it is not null, instead of into a new array.
   */
  ByteBuffer read(long number, boolean verify, boolean mapped, BlockReadBuffer into) {
    int i = (int) (number - baseNumber);
    long position = index.position(i);
    int length = index.length(i);
    long end = position + BlockRecord.HEADER_BYTES + length;
    if (!mapped) {
      return readCopy(number, position, length, verify, into);
    }
    ByteBuffer map = mapCovering(end);
    if (map == null) {
      return readCopy(number, position, length, verify, into);
    }
    ByteBuffer record = map.duplicate().position((int) position);
    BlockRecord.Header header = BlockRecord.decodeHeader(record);
    checkHeader(header, number, length, position);
    if (verify && !verified.isSet(i)) {
      if (!BlockRecord.isIntact(record, header)) {
        throw new LedgerCorruptedException(dataPath, position, "checksum mismatch in block " + number);
      }
      verified.set(i);
    }
    return record.position((int) position + BlockRecord.HEADER_BYTES).limit((int) end).slice();
  }

  /** A read-only map of the file reaching at least {@code end}, or null when it cannot be mapped. */
  private ByteBuffer mapCovering(long end) {
    ByteBuffer map = readMap;
    if (map != null && map.capacity() >= end) {
      return map;
    }
    long mapSize = size;
    if (mapSize > Integer.MAX_VALUE || end > mapSize) {
      return null;
    }
    synchronized (mapLock) {
      map = readMap;
      if (map != null && map.capacity() >= end) {
        return map;
      }
      try {
        // Only what is written is mapped: touching a page past the end of the file would fault.
        map = data.map(FileChannel.MapMode.READ_ONLY, 0, mapSize);
      } catch (ClosedChannelException e) {
        throw new LedgerClosedException("block store closed");
      } catch (IOException e) {
        return null;
      }
      readMap = map;
      return map;
    }
  }

  private ByteBuffer readCopy(long number, long position, int length, boolean verify, BlockReadBuffer into) {
    int recordBytes = BlockRecord.HEADER_BYTES + length;
    byte[] record = into == null ? new byte[recordBytes] : into.claim(recordBytes);
    ByteBuffer buf = ByteBuffer.wrap(record, 0, recordBytes);
    try {
      while (buf.hasRemaining()) {
        int n = data.read(buf, position + buf.position());
        if (n < 0) {
          throw new LedgerCorruptedException(dataPath, position, "block " + number + " ends past the end of the file");
        }
      }
    } catch (ClosedChannelException e) {
      throw new LedgerClosedException("block store closed");
    } catch (IOException e) {
      throw new LedgerException("cannot read block " + number + " from " + dataPath + ": " + e.getMessage(), e);
    }
    BlockRecord.Header header = BlockRecord.decodeHeader(buf.position(0));
    checkHeader(header, number, length, position);
    int i = (int) (number - baseNumber);
    if (verify && !verified.isSet(i)) {
      if (!BlockRecord.isIntact(record, 0, header)) {
        throw new LedgerCorruptedException(dataPath, position, "checksum mismatch in block " + number);
      }
      verified.set(i);
    }
    return ByteBuffer.wrap(record, BlockRecord.HEADER_BYTES, length);
  }

  private void checkHeader(BlockRecord.Header header, long number, int length, long position) {
    if (header.number() != number || header.length() != length) {
      throw new LedgerCorruptedException(
          dataPath, position, "index points at a record for block " + header.number() + ", expected " + number);
    }
  }

  /** True once {@link #seal} was called, even if it failed: the segment takes no more appends. */
  boolean sealed() {
    return sealed;
  }

  /**
   * The segment will not grow again: make everything durable and map the index. May be called
   * again after it failed (a full disk), to finish the job.
   */
  void seal() throws IOException {
    sealed = true;
    data.force(true);
    index.seal();
  }

  void flush() throws IOException {
    data.force(true);
    index.flush();
  }

  @Override
  public void close() throws IOException {
    try {
      index.close();
    } finally {
      data.close();
    }
  }

  void deleteFiles() throws IOException {
    close();
    Files.deleteIfExists(index.path());
    Files.deleteIfExists(dataPath);
  }
}
