package org.jorderer.ledger;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.jorderer.ledger.testing.TestChain;

/**
 * The child process of {@link CrashTest}: appends blocks of random sizes forever and reports each
 * append that returned as {@code ACK <number> <sha256>} on stdout, until it is killed.
 */
public final class CrashWriter {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long seed = Long.parseLong(args[1]);
    long segmentBytes = Long.parseLong(args[2]);
    Random sizes = new Random(seed);
    try (BlockStore store = BlockStore.open(dir, LedgerOptions.defaults().withSegmentBytes(segmentBytes))) {
      TestChain chain = new TestChain(seed, store.height(), store.lastHeaderHash());
      System.out.println("READY " + store.height());
      System.out.flush();
      while (true) {
        int size = sizes.nextInt(10) == 0 ? 200_000 + sizes.nextInt(300_000) : 100 + sizes.nextInt(20_000);
        byte[] block = chain.next(size).toByteArray();
        long number = chain.nextNumber() - 1;
        store.append(block);
        System.out.println("ACK " + number + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(block)));
        System.out.flush();
      }
    }
  }
}
