package org.jorderer.ledger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import org.hyperledger.fabric.protos.common.Block;
import org.hyperledger.fabric.protos.common.BlockHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable block ledger of one channel: an append-only chain of segment files, each with an
 * index, in one directory (format: {@code docs/ledger-format.md}).
 *
 * <p>{@link #append} accepts only the block that extends the chain (number equal to the height,
 * previous hash equal to Fabric's header hash of the last block) and returns once the block is on
 * disk (fsync). What is stored is the block's exact bytes, handed back unparsed by {@link #read}
 * and by cursors. One thread appends at a time; any number read concurrently.
 */
public final class BlockStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BlockStore.class);
  private static final byte[] NO_HASH = new byte[0];

  private final Path dir;
  private final LedgerOptions options;
  private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
  private final AppendWaiters waiters = new AppendWaiters();
  private final Object writeLock = new Object();

  private volatile long height;
  private volatile long firstNumber;
  private byte[] lastHeaderHash; // guarded by writeLock
  private volatile boolean closed;
  private volatile String failure; // set when an append failed half-way; the store takes no more

  private BlockStore(Path dir, LedgerOptions options) {
    this.dir = dir;
    this.options = options;
  }

  /** Opens (recovering if needed) or creates the store in {@code dir}. */
  public static BlockStore open(Path dir, LedgerOptions options) {
    BlockStore store = new BlockStore(dir, options);
    try {
      Files.createDirectories(dir);
      LedgerLoader.Loaded loaded = new LedgerLoader(dir, options).load();
      for (Segment s : loaded.segments()) {
        store.segments.put(s.baseNumber(), s);
      }
      if (loaded.lastHeader() == null) {
        store.height = loaded.segments().isEmpty() ? 0 : loaded.segments().get(0).baseNumber();
        store.firstNumber = store.height;
        store.lastHeaderHash = NO_HASH;
      } else {
        store.height = loaded.lastHeader().getNumber() + 1;
        store.firstNumber = loaded.segments().get(0).baseNumber();
        store.lastHeaderHash = BlockHeaderHash.of(loaded.lastHeader());
      }
    } catch (IOException e) {
      throw new LedgerException("cannot open block store " + dir + ": " + e.getMessage(), e);
    }
    log.debug("Opened block store {} at height {}", dir, store.height);
    return store;
  }

  public Path directory() {
    return dir;
  }

  /** Number of the next block to append: the last block's number + 1, or 0 when empty. */
  public long height() {
    return height;
  }

  /** Number of the oldest block kept; everything from here to {@code height() - 1} is readable. */
  public long firstBlockNumber() {
    return firstNumber;
  }

  /** Fabric's header hash of the last block, or empty when the store is empty. */
  public byte[] lastHeaderHash() {
    synchronized (writeLock) {
      return lastHeaderHash.clone();
    }
  }

  /** Appends one block durably. */
  public void append(Block block) {
    append(block.toByteArray());
  }

  /** Appends one serialized {@code common.Block} durably, storing exactly these bytes. */
  public void append(byte[] block) {
    appendAll(List.of(block));
  }

  /**
   * Group commit: appends consecutive blocks with one fsync for all of them. When it returns they
   * are all durable; if it throws, none of them was acknowledged (some may survive a crash and be
   * found on reopen, which is harmless since they extend the chain).
   */
  public void appendAll(List<byte[]> blocks) {
    if (blocks.isEmpty()) {
      return;
    }
    List<StoredBlock> stored = new ArrayList<>(blocks.size());
    synchronized (writeLock) {
      checkWritable();
      long number = height;
      byte[] expectedPrevious = lastHeaderHash;
      for (byte[] block : blocks) {
        BlockHeader header = BlockHeaderReader.read(block);
        if (header.getNumber() != number) {
          throw new BlockRejectedException(
              "expected block number " + number + " but got " + Long.toUnsignedString(header.getNumber()));
        }
        byte[] previous = header.getPreviousHash().toByteArray();
        if (!Arrays.equals(previous, expectedPrevious)) {
          throw new BlockRejectedException(
              "block " + number + " has previous_hash " + b64(previous) + " but the header hash of block "
                  + (number - 1) + " is " + b64(expectedPrevious));
        }
        expectedPrevious = BlockHeaderHash.of(header);
        stored.add(StoredBlock.of(number, block));
        number++;
      }
      try {
        writeRecords(blocks, height);
      } catch (IOException e) {
        // After a failed write or fsync that could not be undone the file's state is unknown (a
        // later fsync may not report the lost pages), so refuse further appends until the store is
        // reopened and recovered.
        failure = e.toString();
        throw new LedgerException("cannot append to " + dir + ": " + e.getMessage(), e);
      }
      lastHeaderHash = expectedPrevious;
      height = number;
    }
    for (StoredBlock b : stored) {
      waiters.release(b);
    }
  }

  /**
   * Writes the records, rolling to new segments as they fill. When the first segment write fails
   * (the disk is full, say), it is undone: the segment is cut back to what it held, which was
   * durable before this call, so nothing uncertain stays in the file and the store can take the
   * same append again ({@link AppendUndoneException}). A failure after part of the blocks went into
   * a sealed segment is not undone and surfaces as the IOException.
   */
  private void writeRecords(List<byte[]> blocks, long first) throws IOException {
    int from = 0;
    while (from < blocks.size()) {
      Segment active;
      try {
        active = activeSegmentFor(blocks.get(from).length, first + from);
      } catch (IOException e) {
        if (from == 0) {
          throw undone(e); // sealing the full segment or creating the next one wrote no record
        }
        throw e;
      }
      // Fill the active segment up to its size limit, then roll for the rest.
      long room = options.segmentBytes() - active.size();
      int to = from;
      long bytes = 0;
      while (to < blocks.size()) {
        long record = BlockRecord.HEADER_BYTES + (long) blocks.get(to).length;
        if (to > from && bytes + record > room) {
          break;
        }
        bytes += record;
        to++;
      }
      long sizeBefore = active.size();
      int countBefore = active.count();
      try {
        active.append(blocks.subList(from, to), first + from, true);
      } catch (IOException e) {
        if (from != 0) {
          throw e;
        }
        try {
          active.undoAppend(sizeBefore, countBefore);
        } catch (IOException | RuntimeException undoFailed) {
          e.addSuppressed(undoFailed);
          throw e;
        }
        throw undone(e);
      }
      from = to;
    }
  }

  private AppendUndoneException undone(IOException e) {
    // Debug only: the caller decides what the failure means (a chain that retries logs it once).
    log.debug("Appending to {} failed and was undone; the store takes the append again once the cause is gone: {}",
        dir, e.toString());
    return new AppendUndoneException("cannot append to " + dir + " (undone, nothing of it stored): " + e.getMessage(), e);
  }

  private Segment activeSegmentFor(int blockBytes, long number) throws IOException {
    Map.Entry<Long, Segment> last = segments.lastEntry();
    if (last != null) {
      Segment s = last.getValue();
      boolean fits = s.size() + BlockRecord.HEADER_BYTES + (long) blockBytes <= options.segmentBytes();
      if (!s.sealed() && (fits || s.count() == 0)) {
        return s;
      }
      s.seal(); // again, if an earlier roll failed half-way
    }
    Segment created = Segment.create(dir, number);
    segments.put(number, created);
    return created;
  }

  /** The stored bytes of block {@code number}. */
  public StoredBlock read(long number) {
    return read(number, null);
  }

  /**
   * The stored bytes of block {@code number}, read into {@code into} when the block is copied out
   * of its file (without mapped reads): the result is then a view of that buffer, valid until its
   * next read. With {@code into} null, as {@link #read(long)}.
   */
  public StoredBlock read(long number, BlockReadBuffer into) {
    checkOpen();
    if (number < firstNumber || number >= height) {
      throw new BlockNotFoundException(
          "block " + number + " is not in the ledger (blocks " + firstNumber + " to " + (height - 1) + ")");
    }
    Map.Entry<Long, Segment> entry = segments.floorEntry(number);
    if (entry == null) {
      throw new LedgerClosedException("block store closed");
    }
    return new StoredBlock(number, entry.getValue().read(number, options.verifyChecksumOnRead(), options.mappedReads(), into));
  }

  /** {@link #read} and parse, for callers that need the fields. */
  public Block readBlock(long number) {
    return read(number).parse();
  }

  /** A cursor whose first {@link BlockCursor#next()} yields block {@code start}. */
  public BlockCursor cursor(long start) {
    checkOpen();
    return new BlockCursor(this, start);
  }

  /** Number of cursors waiting for a block not yet appended. */
  public int waitingCursors() {
    return waiters.size();
  }

  CompletableFuture<StoredBlock> readOrAwait(long number, BlockReadBuffer into) {
    if (number < firstNumber) {
      return CompletableFuture.failedFuture(
          new BlockNotFoundException("block " + number + " is older than the first retained block " + firstNumber));
    }
    CompletableFuture<StoredBlock> waiting = waiters.await(number, this::height);
    if (waiting != null) {
      return waiting;
    }
    try {
      return CompletableFuture.completedFuture(read(number, into));
    } catch (LedgerException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  void cancelWait(long number, CompletableFuture<StoredBlock> future) {
    waiters.cancel(number, future);
  }

  private void checkOpen() {
    if (closed) {
      throw new LedgerClosedException("block store " + dir + " is closed");
    }
  }

  private void checkWritable() {
    checkOpen();
    if (failure != null) {
      throw new LedgerException("block store " + dir + " refuses appends after an earlier write failure: " + failure);
    }
  }

  /** Ends every waiting cursor with {@link LedgerClosedException} and closes the files. */
  @Override
  public void close() {
    synchronized (writeLock) {
      if (closed) {
        return;
      }
      closed = true;
      waiters.closeAll();
      IOException first = null;
      for (Segment s : segments.values()) {
        try {
          s.flush();
          s.close();
        } catch (IOException e) {
          first = first == null ? e : first;
        }
      }
      segments.clear();
      if (first != null) {
        throw new LedgerException("error closing block store " + dir + ": " + first.getMessage(), first);
      }
    }
  }

  private static String b64(byte[] bytes) {
    return bytes.length == 0 ? "(empty)" : Base64.getEncoder().encodeToString(bytes);
  }
}
