package org.jorderer.ledger;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Which records of a segment had their checksum verified by this process. Records never change
 * once written, so each is verified once, not at every read by every Deliver stream.
 */
final class VerifiedRecords {
  private volatile AtomicLongArray words = new AtomicLongArray(16);

  boolean isSet(int record) {
    AtomicLongArray w = words;
    int word = record >>> 6;
    return word < w.length() && (w.get(word) & (1L << record)) != 0;
  }

  void set(int record) {
    int word = record >>> 6;
    AtomicLongArray w = words;
    if (word >= w.length()) {
      synchronized (this) {
        w = words;
        if (word >= w.length()) {
          AtomicLongArray grown = new AtomicLongArray(Math.max(word + 1, w.length() * 2));
          for (int i = 0; i < w.length(); i++) {
            grown.set(i, w.get(i));
          }
          words = grown;
          w = grown;
        }
      }
    }
    long bit = 1L << record;
    w.getAndUpdate(word, v -> v | bit);
    // A bit set on an array that a concurrent grow has just replaced is lost: the record is then
    // verified once more, which is harmless.
  }
}
