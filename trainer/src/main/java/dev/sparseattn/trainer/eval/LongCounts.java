package dev.sparseattn.trainer.eval;

/**
 * A counter from non-zero {@code long} keys to {@code long} counts: open addressing with linear
 * probing in two flat arrays (no boxing), grown at half load. The baselines count millions of n-grams;
 * a {@code HashMap<Long, Long>} would allocate an object per key.
 */
final class LongCounts {
  private long[] keys;
  private long[] values;
  private int size;
  private int mask;

  LongCounts() {
    this(1 << 12);
  }

  /** An empty counter with room for about {@code expected} keys before it grows. */
  LongCounts(int expected) {
    int capacity = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) << 1;
    keys = new long[capacity];
    values = new long[capacity];
    mask = capacity - 1;
  }

  /** Number of distinct keys. */
  int size() {
    return size;
  }

  /** The count of {@code key}, 0 when absent. */
  long get(long key) {
    for (int i = slot(key); ; i = (i + 1) & mask) {
      long k = keys[i];
      if (k == key) {
        return values[i];
      }
      if (k == 0) {
        return 0;
      }
    }
  }

  /** Adds {@code delta} to the count of {@code key} (inserting it at 0) and returns the old count. */
  long add(long key, long delta) {
    if (key == 0) {
      throw new IllegalArgumentException("key 0 is reserved for empty slots");
    }
    for (int i = slot(key); ; i = (i + 1) & mask) {
      long k = keys[i];
      if (k == key) {
        long old = values[i];
        values[i] = old + delta;
        return old;
      }
      if (k == 0) {
        keys[i] = key;
        values[i] = delta;
        if (++size * 2 > keys.length) {
          grow();
        }
        return 0;
      }
    }
  }

  private int slot(long key) {
    // MurmurHash3's 64-bit finaliser: packed n-gram keys differ mostly in their low bits.
    long h = key;
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (int) h & mask;
  }

  private void grow() {
    long[] oldKeys = keys;
    long[] oldValues = values;
    keys = new long[oldKeys.length * 2];
    values = new long[oldKeys.length * 2];
    mask = keys.length - 1;
    for (int j = 0; j < oldKeys.length; j++) {
      long k = oldKeys[j];
      if (k != 0) {
        int i = slot(k);
        while (keys[i] != 0) {
          i = (i + 1) & mask;
        }
        keys[i] = k;
        values[i] = oldValues[j];
      }
    }
  }
}
