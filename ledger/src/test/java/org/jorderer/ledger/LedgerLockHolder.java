package org.jorderer.ledger;

import java.nio.file.Path;

/**
 * The child process of {@link LedgerDirectoryTest}'s cross-process check: opens a ledger directory,
 * says {@code OPEN}, and holds it until its standard input closes.
 */
public final class LedgerLockHolder {
  public static void main(String[] args) throws Exception {
    try (LedgerDirectory ledgers = LedgerDirectory.open(Path.of(args[0]), LedgerOptions.defaults())) {
      System.out.println("OPEN");
      System.out.flush();
      while (System.in.read() >= 0) {
        // hold the directory until the parent closes our stdin
      }
    }
  }
}
