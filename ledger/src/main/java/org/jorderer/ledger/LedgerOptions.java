package org.jorderer.ledger;

/**
 * Tuning of a block store.
 *
 * @param segmentBytes a new segment file starts when the next record would push the current one
 *     past this size (a block is never split, so one larger block makes a larger segment); Fabric's
 *     block files roll at 64 MiB too
 * @param verifyChecksumOnRead check each record's CRC32C when it is read, so bit rot is reported as
 *     {@link LedgerCorruptedException} instead of being sent to a peer
 * @param mappedReads read blocks as views of each segment's memory map (no copy, no system call);
 *     otherwise each read copies the block into the heap with one positional read. Mapped reads
 *     are the fastest, but every page read through the map counts in the process's resident memory
 *     while the page cache keeps it, so a node that serves its whole ledger shows the ledger's size
 *     in its RSS; the node reads without the map (docs/performance.md, "Memory")
 */
public record LedgerOptions(long segmentBytes, boolean verifyChecksumOnRead, boolean mappedReads) {
  public static final long DEFAULT_SEGMENT_BYTES = 64L * 1024 * 1024;

  public LedgerOptions {
    if (segmentBytes < Segment.FILE_HEADER_BYTES + BlockRecord.HEADER_BYTES + 1) {
      throw new IllegalArgumentException("segmentBytes too small: " + segmentBytes);
    }
  }

  public LedgerOptions(long segmentBytes, boolean verifyChecksumOnRead) {
    this(segmentBytes, verifyChecksumOnRead, true);
  }

  public static LedgerOptions defaults() {
    return new LedgerOptions(DEFAULT_SEGMENT_BYTES, true, true);
  }

  public LedgerOptions withSegmentBytes(long bytes) {
    return new LedgerOptions(bytes, verifyChecksumOnRead, mappedReads);
  }

  public LedgerOptions withMappedReads(boolean mapped) {
    return new LedgerOptions(segmentBytes, verifyChecksumOnRead, mapped);
  }
}
