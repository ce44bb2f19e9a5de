package org.jorderer.ledger;

import java.nio.file.Path;

/**
 * Stored data failed its checks somewhere other than a torn tail. Opening or reading stops here
 * rather than skip data: an operator must look at {@link #file()} around {@link #offset()}.
 */
public final class LedgerCorruptedException extends LedgerException {
  private final Path file;
  private final long offset;

  public LedgerCorruptedException(Path file, long offset, String problem) {
    super(file + " at offset " + offset + ": " + problem);
    this.file = file;
    this.offset = offset;
  }

  public Path file() {
    return file;
  }

  public long offset() {
    return offset;
  }
}
