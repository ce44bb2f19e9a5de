package org.jorderer.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.hyperledger.fabric.protos.common.BlockHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a channel's segments and brings them to a consistent state. All recovery lives here.
 *
 * <ul>
 *   <li>Sealed segments (all but the last) must be whole: their index is trusted when its size and
 *       last entry agree with the segment, and rebuilt by a full checked scan otherwise. Any damage
 *       in them is refused.
 *   <li>The last segment is always scanned and checksummed. A damaged record with no intact record
 *       after it is a torn tail from an interrupted append: it is cut off and logged. A damaged
 *       record followed by an intact one is damage before the tail and is refused with the file and
 *       offset, never skipped.
 *   <li>A missing, short or stale index is rebuilt from the segment file.
 * </ul>
 */
final class LedgerLoader {
  private static final Logger log = LoggerFactory.getLogger(LedgerLoader.class);

  /** What a store resumes from. {@code lastHeader} is null for an empty store. */
  record Loaded(List<Segment> segments, BlockHeader lastHeader) {}

  private final Path dir;
  private final LedgerOptions options;

  LedgerLoader(Path dir, LedgerOptions options) {
    this.dir = dir;
    this.options = options;
  }

  Loaded load() throws IOException {
    removeLeftovers();
    List<Long> bases = segmentBases();
    if (!bases.isEmpty() && removeIfCreationInterrupted(bases.get(bases.size() - 1))) {
      bases.remove(bases.size() - 1);
    }
    List<Segment> segments = new ArrayList<>();
    try {
      long expectedBase = bases.isEmpty() ? 0 : bases.get(0);
      for (int i = 0; i < bases.size(); i++) {
        long base = bases.get(i);
        Path dataPath = dir.resolve(Segment.dataFileName(base));
        if (base != expectedBase) {
          throw new LedgerCorruptedException(
              dataPath, 0, "segment starts at block " + base + " but the previous one ends before block " + expectedBase);
        }
        boolean last = i == bases.size() - 1;
        Segment segment = last ? openActive(dataPath, base) : openSealed(dataPath, base, bases.get(i + 1));
        segments.add(segment);
        expectedBase = segment.nextNumber();
      }
      BlockHeader lastHeader = null;
      for (int i = segments.size() - 1; i >= 0 && lastHeader == null; i--) {
        Segment s = segments.get(i);
        if (s.count() > 0) {
          ByteBuffer last = s.read(s.nextNumber() - 1, true, false);
          byte[] block = new byte[last.remaining()];
          last.get(block);
          lastHeader = BlockHeaderReader.read(block);
        }
      }
      return new Loaded(List.copyOf(segments), lastHeader);
    } catch (IOException | RuntimeException e) {
      for (Segment s : segments) {
        try {
          s.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  private void removeLeftovers() throws IOException {
    try (DirectoryStream<Path> tmp = Files.newDirectoryStream(dir, "*.tmp")) {
      for (Path p : tmp) {
        Files.deleteIfExists(p);
      }
    }
  }

  private List<Long> segmentBases() throws IOException {
    List<Long> bases = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + Segment.DATA_SUFFIX)) {
      for (Path p : files) {
        String name = p.getFileName().toString();
        String digits = name.substring(0, name.length() - Segment.DATA_SUFFIX.length());
        try {
          bases.add(Long.parseLong(digits));
        } catch (NumberFormatException e) {
          throw new LedgerCorruptedException(p, 0, "not a segment file name");
        }
      }
    }
    bases.sort(null);
    return bases;
  }

  private Segment openSealed(Path dataPath, long base, long nextBase) throws IOException {
    FileChannel ch = FileChannel.open(dataPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      long size = ch.size();
      checkFileHeader(ch, dataPath, base);
      int expected = Math.toIntExact(nextBase - base);
      Path indexPath = dir.resolve(Segment.indexFileName(base));
      if (sealedIndexAgrees(ch, indexPath, base, expected, size)) {
        return new Segment(base, dataPath, ch, SegmentIndex.openSealed(indexPath, expected), size);
      }
      Scan scan = scan(ch, dataPath, base, size, false);
      if (scan.count != expected) {
        throw new LedgerCorruptedException(
            dataPath, scan.end, "segment holds " + scan.count + " blocks but the next segment starts at block " + nextBase);
      }
      log.warn("Rebuilt the index of {} ({} blocks)", dataPath, scan.count);
      return new Segment(
          base, dataPath, ch, SegmentIndex.writeSealed(indexPath, scan.positions, scan.lengths, scan.count), size);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private Segment openActive(Path dataPath, long base) throws IOException {
    FileChannel ch = FileChannel.open(dataPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      checkFileHeader(ch, dataPath, base);
      long size = ch.size();
      Scan scan = scan(ch, dataPath, base, size, true);
      if (scan.end < size) {
        log.warn(
            "Cut a torn tail of {} bytes from {} at offset {} (an append that never completed); {} blocks remain",
            size - scan.end, dataPath, scan.end, scan.count);
        ch.truncate(scan.end);
        ch.force(true);
      }
      Path indexPath = dir.resolve(Segment.indexFileName(base));
      if (!SegmentIndex.matches(indexPath, scan.positions, scan.lengths, scan.count)) {
        log.info("Rebuilt the index of {} ({} blocks)", dataPath, scan.count);
      }
      SegmentIndex index = SegmentIndex.writeActive(indexPath, scan.positions, scan.lengths, scan.count);
      return new Segment(base, dataPath, ch, index, scan.end);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /**
   * A last segment no longer than a header whose header is incomplete or all zeros was being
   * created when the process stopped; it never held a block and is removed.
   */
  private boolean removeIfCreationInterrupted(long base) throws IOException {
    Path dataPath = dir.resolve(Segment.dataFileName(base));
    byte[] bytes = Files.size(dataPath) <= Segment.FILE_HEADER_BYTES ? Files.readAllBytes(dataPath) : null;
    if (bytes == null || (bytes.length == Segment.FILE_HEADER_BYTES && !allZero(ByteBuffer.wrap(bytes)))) {
      return false;
    }
    Files.deleteIfExists(dir.resolve(Segment.indexFileName(base)));
    Files.delete(dataPath);
    FileSystemSync.directory(dir);
    log.warn("Removed {}: its creation was interrupted before it held any block", dataPath);
    return true;
  }

  private static void checkFileHeader(FileChannel ch, Path path, long base) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(Segment.FILE_HEADER_BYTES);
    readFully(ch, header, 0);
    boolean complete = !header.hasRemaining();
    header.flip();
    if (!complete) {
      throw new LedgerCorruptedException(path, 0, "file is shorter than a segment header");
    }
    if (!header.equals(Segment.fileHeader(base))) {
      throw new LedgerCorruptedException(
          path, 0, "bad segment header (expected magic JORD, version " + Segment.FORMAT_VERSION + ", base " + base + ")");
    }
  }

  private boolean sealedIndexAgrees(FileChannel ch, Path indexPath, long base, int expected, long size)
      throws IOException {
    if (!Files.exists(indexPath) || Files.size(indexPath) != (long) expected * SegmentIndex.ENTRY_BYTES || expected == 0) {
      return false;
    }
    // The index was forced before the next segment existed, so only a whole-file loss or
    // truncation is plausible; the last entry must describe the record that ends the file.
    ByteBuffer entry = ByteBuffer.allocate(SegmentIndex.ENTRY_BYTES);
    try (FileChannel ic = FileChannel.open(indexPath, StandardOpenOption.READ)) {
      readFully(ic, entry, (long) (expected - 1) * SegmentIndex.ENTRY_BYTES);
    }
    long position = entry.getLong(0);
    int length = entry.getInt(8);
    if (position + BlockRecord.HEADER_BYTES + length != size) {
      return false;
    }
    ByteBuffer header = ByteBuffer.allocate(BlockRecord.HEADER_BYTES);
    readFully(ch, header, position);
    BlockRecord.Header h = BlockRecord.decodeHeader(header.flip());
    return h.length() == length && h.number() == base + expected - 1;
  }

  private static final class Scan {
    long[] positions = new long[64];
    int[] lengths = new int[64];
    int count;
    long end;

    void add(long position, int length) {
      if (count == positions.length) {
        positions = Arrays.copyOf(positions, count * 2);
        lengths = Arrays.copyOf(lengths, count * 2);
      }
      positions[count] = position;
      lengths[count] = length;
      count++;
    }
  }

  /**
   * Walks the records of a segment, checking framing, numbering and checksums. With {@code tail}
   * false any damage is refused; with {@code tail} true, damage is accepted (and {@code end} left
   * before it) only if no intact record follows it.
   */
  private Scan scan(FileChannel ch, Path path, long base, long size, boolean tail) throws IOException {
    Scan scan = new Scan();
    long position = Segment.FILE_HEADER_BYTES;
    ByteBuffer headerBuf = ByteBuffer.allocate(BlockRecord.HEADER_BYTES);
    while (position < size) {
      String problem = null;
      long expectedNumber = base + scan.count;
      if (size - position < BlockRecord.HEADER_BYTES) {
        problem = "incomplete record header";
      } else {
        headerBuf.clear();
        readFully(ch, headerBuf, position);
        BlockRecord.Header h = BlockRecord.decodeHeader(headerBuf.flip());
        if (h.length() < 0 || position + h.recordBytes() > size) {
          problem = "record length " + h.length() + " runs past the end of the file";
        } else {
          byte[] record = new byte[(int) h.recordBytes()];
          readFully(ch, ByteBuffer.wrap(record), position);
          if (!BlockRecord.isIntact(record, 0, h)) {
            problem = "checksum mismatch";
          } else if (h.number() != expectedNumber) {
            throw new LedgerCorruptedException(
                path, position, "record holds block " + h.number() + " where block " + expectedNumber + " belongs");
          } else {
            scan.add(position, h.length());
            position += h.recordBytes();
            continue;
          }
        }
      }
      if (!tail) {
        throw new LedgerCorruptedException(path, position, problem + " (block " + expectedNumber + ")");
      }
      long intact = findIntactRecord(ch, position + 1, size, expectedNumber);
      if (intact >= 0) {
        throw new LedgerCorruptedException(
            path,
            position,
            problem + " in block " + expectedNumber + ", yet an intact record follows at offset " + intact
                + ": this is damage, not an interrupted append");
      }
      break;
    }
    scan.end = position;
    return scan;
  }

  /** Searches byte by byte for an intact record of a block numbered {@code >= minNumber}. */
  private static long findIntactRecord(FileChannel ch, long from, long size, long minNumber) throws IOException {
    if (size - from < BlockRecord.HEADER_BYTES) {
      return -1;
    }
    byte[] rest = new byte[Math.toIntExact(size - from)];
    readFully(ch, ByteBuffer.wrap(rest), from);
    ByteBuffer view = ByteBuffer.wrap(rest);
    for (int p = 0; p + BlockRecord.HEADER_BYTES <= rest.length; p++) {
      BlockRecord.Header h = BlockRecord.decodeHeader(view.position(p));
      if (h.length() >= 0
          && h.number() >= minNumber
          && p + h.recordBytes() <= rest.length
          && BlockRecord.isIntact(rest, p, h)) {
        return from + p;
      }
    }
    return -1;
  }

  private static boolean allZero(ByteBuffer b) {
    for (int i = b.position(); i < b.limit(); i++) {
      if (b.get(i) != 0) {
        return false;
      }
    }
    return true;
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long p = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, p);
      if (n < 0) {
        return;
      }
      p += n;
    }
  }
}
