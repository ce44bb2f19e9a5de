package org.jorderer.ledger;

/**
 * Tuning of a block store.
 *
 * @param segmentBytes a new segment file starts when the next record would push the current one
 *     past this size (a block is never split, so one larger block makes a larger segment); Fabric's
 *     block files roll at 64 MiB too
 * @param verifyChecksumOnRead check each record's CRC32C when it is read, so bit rot is reported as
 *     {@link LedgerCorruptedException} instead of being sent to a peer
 */
public record LedgerOptions(long segmentBytes, boolean verifyChecksumOnRead) {
  public static final long DEFAULT_SEGMENT_BYTES = 64L * 1024 * 1024;

  public LedgerOptions {
    if (segmentBytes < Segment.FILE_HEADER_BYTES + BlockRecord.HEADER_BYTES + 1) {
      throw new IllegalArgumentException("segmentBytes too small: " + segmentBytes);
    }
  }

  public static LedgerOptions defaults() {
    return new LedgerOptions(DEFAULT_SEGMENT_BYTES, true);
  }

  public LedgerOptions withSegmentBytes(long bytes) {
    return new LedgerOptions(bytes, verifyChecksumOnRead);
  }
}
