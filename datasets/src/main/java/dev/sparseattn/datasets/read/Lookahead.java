package dev.sparseattn.datasets.read;

import java.util.Arrays;

/**
 * The next few lines of a {@link ByteLines} stream (a ring of at most {@value #MAX} lines, their
 * buffers reused), for readers that look ahead before consuming: line 0 is the current one.
 */
final class Lookahead {
  static final int MAX = 8;

  private final ByteLines in;
  private final byte[][] bytes = new byte[MAX][];
  private final int[] length = new int[MAX];
  private final long[] offset = new long[MAX];
  private final boolean[] truncated = new boolean[MAX];
  private int head;
  private int size;
  private boolean ended;

  Lookahead(ByteLines in) {
    this.in = in;
    for (int i = 0; i < MAX; i++) {
      bytes[i] = new byte[256];
    }
  }

  /** Whether line {@code i} exists (reads ahead as needed); {@code i < MAX}. */
  boolean has(int i) {
    while (size <= i && !ended) {
      if (!in.next()) {
        ended = true;
        break;
      }
      int slot = (head + size) % MAX;
      if (bytes[slot].length < in.length()) {
        bytes[slot] = new byte[Math.max(in.length(), 2 * bytes[slot].length)];
      }
      System.arraycopy(in.bytes(), 0, bytes[slot], 0, in.length());
      length[slot] = in.length();
      offset[slot] = in.offset();
      truncated[slot] = in.truncated();
      size++;
    }
    return i < size;
  }

  /** Drops the first {@code n} lines (fewer if fewer exist). */
  void drop(int n) {
    while (n > 0 && has(0)) {
      head = (head + 1) % MAX;
      size--;
      n--;
    }
  }

  long offset(int i) {
    return offset[slot(i)];
  }

  int length(int i) {
    return length[slot(i)];
  }

  boolean truncated(int i) {
    return truncated[slot(i)];
  }

  boolean startsWith(int i, char c) {
    return length(i) > 0 && bytes[slot(i)][0] == c;
  }

  byte[] copy(int i) {
    return Arrays.copyOf(bytes[slot(i)], length(i));
  }

  /** Bytes read from the stream so far. */
  long consumed() {
    return in.consumed();
  }

  private int slot(int i) {
    if (!has(i)) {
      throw new IllegalStateException("no line " + i);
    }
    return (head + i) % MAX;
  }
}
