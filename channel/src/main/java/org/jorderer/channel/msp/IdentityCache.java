package org.jorderer.channel.msp;

import com.google.protobuf.ByteString;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A bounded map from serialized identity bytes to deserialized identities, read without locks.
 *
 * <p>Two generations: lookups hit {@code young}, then {@code old} (promoting the entry); when
 * {@code young} fills up it becomes {@code old} and the previous {@code old} is dropped. Entries in
 * steady use survive every rotation, so the hot path (one client sending many envelopes) costs one
 * hash lookup, while a flood of distinct identities can hold at most {@code 2 * generation} entries.
 */
final class IdentityCache {
  private final int generationSize;
  private volatile ConcurrentHashMap<ByteString, Identity> young = new ConcurrentHashMap<>();
  private volatile ConcurrentHashMap<ByteString, Identity> old = new ConcurrentHashMap<>();

  IdentityCache(int capacity) {
    this.generationSize = Math.max(1, capacity / 2);
  }

  Identity get(ByteString key) {
    Identity hit = young.get(key);
    if (hit != null) {
      return hit;
    }
    hit = old.get(key);
    if (hit != null) {
      put(key, hit);
    }
    return hit;
  }

  void put(ByteString key, Identity identity) {
    ConcurrentHashMap<ByteString, Identity> current = young;
    if (current.size() >= generationSize) {
      synchronized (this) {
        if (young == current) {
          old = current;
          young = new ConcurrentHashMap<>();
        }
        current = young;
      }
    }
    current.put(key, identity);
  }

  int size() {
    return young.size() + old.size();
  }
}
