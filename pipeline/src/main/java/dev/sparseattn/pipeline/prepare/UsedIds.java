package dev.sparseattn.pipeline.prepare;

import java.util.Arrays;
import org.apache.spark.util.AccumulatorV2;

/**
 * The token ids used anywhere in the packed streams, as a bit set ({@code id / 64}, bit
 * {@code id % 64}), OR-ed on the executors: each task folds the bit sets of its chunks into its own
 * copy and the driver merges one bit set per task, so driver memory does not grow with the number of
 * chunks. OR is idempotent, so a retried task merged twice changes nothing.
 */
final class UsedIds extends AccumulatorV2<long[], long[]> {
  private static final long serialVersionUID = 1L;
  private long[] bits = new long[0];

  @Override
  public boolean isZero() {
    return bits.length == 0;
  }

  @Override
  public UsedIds copy() {
    UsedIds c = new UsedIds();
    c.bits = bits.clone();
    return c;
  }

  @Override
  public void reset() {
    bits = new long[0];
  }

  @Override
  public void add(long[] more) {
    if (more.length > bits.length) {
      bits = Arrays.copyOf(bits, more.length);
    }
    for (int i = 0; i < more.length; i++) {
      bits[i] |= more[i];
    }
  }

  @Override
  public void merge(AccumulatorV2<long[], long[]> other) {
    add(other.value());
  }

  @Override
  public long[] value() {
    return bits;
  }

  /** Distinct ids in the set. */
  static int count(long[] bits) {
    int n = 0;
    for (long w : bits) {
      n += Long.bitCount(w);
    }
    return n;
  }
}
