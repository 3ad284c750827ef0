package dev.sparseattn.datasets.tokenize;

import java.util.Arrays;

/** An open-addressing map from a pair of ids (packed in a long) to an int; -1 when absent. */
final class PairTable implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  private long[] keys;
  private int[] values;
  private int size;

  PairTable(int expected) {
    int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    keys = new long[cap];
    values = new int[cap];
    Arrays.fill(keys, -1L);
  }

  static long key(int left, int right) {
    return ((long) left << 32) | (right & 0xffffffffL);
  }

  int get(int left, int right) {
    long k = key(left, right);
    int mask = keys.length - 1;
    for (int i = slot(k, mask); ; i = (i + 1) & mask) {
      if (keys[i] == k) {
        return values[i];
      }
      if (keys[i] == -1L) {
        return -1;
      }
    }
  }

  void put(int left, int right, int value) {
    if (2 * (size + 1) > keys.length) {
      grow();
    }
    long k = key(left, right);
    int mask = keys.length - 1;
    int i = slot(k, mask);
    while (keys[i] != -1L && keys[i] != k) {
      i = (i + 1) & mask;
    }
    if (keys[i] == -1L) {
      size++;
    }
    keys[i] = k;
    values[i] = value;
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldValues = values;
    keys = new long[oldKeys.length * 2];
    values = new int[oldKeys.length * 2];
    Arrays.fill(keys, -1L);
    size = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != -1L) {
        put((int) (oldKeys[i] >>> 32), (int) oldKeys[i], oldValues[i]);
      }
    }
  }

  private static int slot(long k, int mask) {
    long h = k * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }
}
