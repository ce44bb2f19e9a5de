package org.jorderer.ledger;

/**
 * A caller's array for reading stored blocks into, reused from one read to the next instead of a
 * new (zeroed) array per block. A block read into it ({@link BlockStore#read(long, BlockReadBuffer)},
 * {@link BlockCursor#next(BlockReadBuffer)}) is a view of this array: valid until the next read
 * into the same buffer, so the caller must be done with it (or copy it) before reading again.
 *
 * <p>Not thread-safe: one buffer per reading thread. A block larger than {@link #maxKeptBytes} is
 * read into an array of its own, which is not kept, so one huge block does not pin its size.
 */
public final class BlockReadBuffer {
  private final int maxKeptBytes;
  private byte[] array = new byte[0];

  /** @param maxKeptBytes the largest array this buffer keeps between reads */
  public BlockReadBuffer(int maxKeptBytes) {
    if (maxKeptBytes < 0) {
      throw new IllegalArgumentException("maxKeptBytes must not be negative: " + maxKeptBytes);
    }
    this.maxKeptBytes = maxKeptBytes;
  }

  /** An array of at least {@code size} bytes, whose content is left from earlier reads. */
  byte[] claim(int size) {
    if (array.length >= size) {
      return array;
    }
    if (size > maxKeptBytes) {
      return new byte[size];
    }
    // Grown with headroom (up to the cap), so a ledger whose blocks vary slightly in size settles
    // on one array instead of growing it block after block.
    array = new byte[(int) Math.min(maxKeptBytes, Math.max(size, (long) size + size / 4))];
    return array;
  }

  /** The size of the array kept now (for tests). */
  int keptBytes() {
    return array.length;
  }
}
