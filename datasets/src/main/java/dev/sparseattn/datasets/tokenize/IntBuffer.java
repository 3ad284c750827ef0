package dev.sparseattn.datasets.tokenize;

import java.util.Arrays;

/** A growable int array for encoders. */
final class IntBuffer {
  private int[] data;
  private int size;

  IntBuffer(int capacity) {
    data = new int[Math.max(4, capacity)];
  }

  void add(int v) {
    if (size == data.length) {
      data = Arrays.copyOf(data, data.length * 2);
    }
    data[size++] = v;
  }

  int size() {
    return size;
  }

  int[] toArray() {
    return Arrays.copyOf(data, size);
  }
}
