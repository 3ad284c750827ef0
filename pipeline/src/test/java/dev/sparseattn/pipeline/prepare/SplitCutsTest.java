package dev.sparseattn.pipeline.prepare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The byte ranges a big file is cut into: split-size ranges, a short remainder joined to the last one (Hadoop's slop). */
class SplitCutsTest {
  @Test
  void aRemainderOfUpToTenPercentJoinsTheLastSplit() {
    assertArrayEquals(new long[] {0, 100, 200, 300}, SplitSource.cuts(300, 100));
    assertArrayEquals(new long[] {0, 100, 200, 310}, SplitSource.cuts(310, 100), "10% of a split: joined");
    assertArrayEquals(new long[] {0, 100, 200, 300, 311}, SplitSource.cuts(311, 100), "more than 10%: its own split");
    assertArrayEquals(new long[] {0, 105}, SplitSource.cuts(105, 100));
    assertArrayEquals(new long[] {0, 100, 150}, SplitSource.cuts(150, 100));
    assertArrayEquals(new long[] {0, 1, 2, 3}, SplitSource.cuts(3, 1), "one-byte splits");
    // the benchmark's case: 2 GiB plus a line, in eighths: eight tasks, not a ninth of 81 bytes
    long bytes = 2048L << 20;
    long[] c = SplitSource.cuts(bytes + 81, bytes / 8);
    assertEquals(9, c.length);
    assertEquals(bytes + 81, c[8]);
  }

  @Test
  void theRangesTileTheFile() {
    for (long length = 1; length < 400; length += 7) {
      for (long size : new long[] {1, 3, 10, 64, 1000}) {
        long[] c = SplitSource.cuts(length, size);
        assertEquals(0, c[0]);
        assertEquals(length, c[c.length - 1]);
        for (int k = 1; k < c.length; k++) {
          long n = c[k] - c[k - 1];
          assertTrue(n > 0 && (n == size || k == c.length - 1 && n <= size * 1.1 + 1e-9 || length <= size),
              length + " in " + size + ": range " + k + " of " + n);
        }
      }
    }
  }
}
