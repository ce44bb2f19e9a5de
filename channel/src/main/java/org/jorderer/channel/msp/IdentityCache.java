package org.jorderer.channel.msp;

import com.google.protobuf.ByteString;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A bounded map from serialized identity bytes to what was derived from them (the deserialized
 * identity, its expiry), read without locks.
 *
 * <p>Two generations: lookups hit {@code young}, then {@code old} (promoting the entry); when
 * {@code young} fills up it becomes {@code old} and the previous {@code old} is dropped. Entries in
 * steady use survive every rotation, so the hot path (one client sending many envelopes) costs one
 * hash lookup, while a flood of distinct identities can hold at most {@code 2 * generation} entries.
 */
public final class IdentityCache<V> {
  private final int generationSize;
  private volatile ConcurrentHashMap<ByteString, V> young = new ConcurrentHashMap<>();
  private volatile ConcurrentHashMap<ByteString, V> old = new ConcurrentHashMap<>();

  public IdentityCache(int capacity) {
    this.generationSize = Math.max(1, capacity / 2);
  }

  public V get(ByteString key) {
    V hit = young.get(key);
    if (hit != null) {
      return hit;
    }
    hit = old.get(key);
    if (hit != null) {
      put(key, hit);
    }
    return hit;
  }

  public void put(ByteString key, V identity) {
    // A copy of the key: it may be a view into a whole received envelope (the server parses with
    // aliasing), which an entry would otherwise keep alive for as long as it is cached.
    key = ByteString.copyFrom(key.asReadOnlyByteBuffer());
    ConcurrentHashMap<ByteString, V> current = young;
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
