package dev.sparseattn.trainer.eval;

/**
 * An order-k Markov model over a small alphabet (bytes, nucleotides) with interpolated Witten-Bell
 * smoothing (Witten and Bell, "The zero-frequency problem", IEEE Trans. Inf. Theory 1991; in the
 * interpolated form of Chen and Goodman, "An empirical study of smoothing techniques for language
 * modeling", 1999, eq. 11; the blending of PPM-C, Moffat 1990):
 *
 * <pre>
 *   P(w | h) = (c(h, w) + T(h) * P(w | h')) / (c(h) + T(h))      when c(h) &gt; 0
 *   P(w | h) = P(w | h')                                          when h was never seen
 *   P(w | empty context at order -1) = 1 / A
 * </pre>
 *
 * where h' is h without its oldest symbol, c(h, w) counts w after h in the training data,
 * c(h) = sum over w of c(h, w) and T(h) is the number of distinct symbols seen after h. Every
 * distribution sums to 1 over the alphabet, unseen contexts included.
 *
 * <p>One model trained at {@code maxOrder} answers every order up to it: the counts of an order-k
 * model are a subset of the order-K model's. Data come as rows (the sequences of a prepared split):
 * contexts never reach back across a row start, as the transformer's do not. Counts live in
 * {@link LongCounts} under packed keys (symbols of {@code b} bits, order in the low 4 bits), so the
 * cost is linear in the data size times the order.
 */
public final class MarkovModel {
  private static final int ORDER_BITS = 4;
  private static final int DISTINCT_BITS = 12;

  private final int alphabetSize;
  private final int maxOrder;
  private final int symbolBits;
  private final long[] contextMask;
  private final LongCounts pairs = new LongCounts(1 << 16);
  private final LongCounts contexts = new LongCounts(1 << 14);

  /**
   * An empty model over symbols {@code 0 .. alphabetSize-1} answering orders {@code 0 .. maxOrder}.
   *
   * @throws IllegalArgumentException when the alphabet is not in [2, 256] (symbols are bytes) or the order does not fit
   *     the packed keys ({@code 4 + (maxOrder + 1) * bits <= 63}, {@code maxOrder <= 14})
   */
  public MarkovModel(int alphabetSize, int maxOrder) {
    if (alphabetSize < 2 || alphabetSize > 256) {
      throw new IllegalArgumentException("alphabet size must be in [2, 256], got " + alphabetSize);
    }
    this.alphabetSize = alphabetSize;
    this.symbolBits = 32 - Integer.numberOfLeadingZeros(alphabetSize - 1);
    int limit = maxOrderFor(alphabetSize);
    if (maxOrder < 0 || maxOrder > limit) {
      throw new IllegalArgumentException("order must be in [0, " + limit + "] for an alphabet of "
          + alphabetSize + ", got " + maxOrder);
    }
    this.maxOrder = maxOrder;
    this.contextMask = new long[maxOrder + 1];
    for (int o = 0; o <= maxOrder; o++) {
      contextMask[o] = (1L << (o * symbolBits)) - 1;
    }
  }

  /** The highest order the packed keys allow for an alphabet of this size. */
  public static int maxOrderFor(int alphabetSize) {
    int bits = 32 - Integer.numberOfLeadingZeros(alphabetSize - 1);
    return Math.min((1 << ORDER_BITS) - 2, (63 - ORDER_BITS) / bits - 1);
  }

  public int alphabetSize() {
    return alphabetSize;
  }

  public int maxOrder() {
    return maxOrder;
  }

  /** Counts the symbols of one row, {@code codes[from, to)}, each after its in-row contexts. */
  public void train(byte[] codes, int from, int to) {
    long history = 0;
    for (int j = from; j < to; j++) {
      int w = symbol(codes[j]);
      int top = Math.min(maxOrder, j - from);
      for (int o = 0; o <= top; o++) {
        long h = history & contextMask[o];
        long old = pairs.add(pairKey(o, h, w), 1);
        contexts.add(contextKey(o, h), (1L << DISTINCT_BITS) | (old == 0 ? 1 : 0));
      }
      history = (history << symbolBits) | w;
    }
  }

  /**
   * Total bits (-log2 P) of the symbols {@code codes[targetFrom, to)} of a row starting at
   * {@code rowFrom}, each predicted from at most {@code order} preceding symbols of the row.
   */
  public double sumBits(byte[] codes, int rowFrom, int targetFrom, int to, int order) {
    checkOrder(order);
    long history = 0;
    double nats = 0;
    for (int j = rowFrom; j < to; j++) {
      int w = symbol(codes[j]);
      if (j >= targetFrom) {
        nats -= Math.log(probability(history, Math.min(order, j - rowFrom), w));
      }
      history = (history << symbolBits) | w;
    }
    return nats / Math.log(2);
  }

  /**
   * P(w | the last {@code min(order, history.length)} symbols of {@code history}), the oldest first.
   */
  public double probability(int[] history, int w, int order) {
    checkOrder(order);
    long h = 0;
    int n = Math.min(order, history.length);
    for (int i = history.length - n; i < history.length; i++) {
      h = (h << symbolBits) | symbol(history[i]);
    }
    return probability(h, n, symbol(w));
  }

  private double probability(long history, int top, int w) {
    double p = 1.0 / alphabetSize;
    for (int o = 0; o <= top; o++) {
      long h = history & contextMask[o];
      long stats = contexts.get(contextKey(o, h));
      if (stats == 0) {
        break; // h unseen, so every longer context ending in h is unseen too
      }
      double total = stats >>> DISTINCT_BITS;
      double distinct = stats & ((1 << DISTINCT_BITS) - 1);
      p = (pairs.get(pairKey(o, h, w)) + distinct * p) / (total + distinct);
    }
    return p;
  }

  private long pairKey(int order, long history, int w) {
    return (((history << symbolBits) | w) << ORDER_BITS) | (order + 1);
  }

  private static long contextKey(int order, long history) {
    return (history << ORDER_BITS) | (order + 1);
  }

  private int symbol(byte code) {
    return symbol(code & 0xff);
  }

  private int symbol(int w) {
    if (w < 0 || w >= alphabetSize) {
      throw new IllegalArgumentException("symbol " + w + " outside the alphabet of " + alphabetSize);
    }
    return w;
  }

  private void checkOrder(int order) {
    if (order < 0 || order > maxOrder) {
      throw new IllegalArgumentException("order must be in [0, " + maxOrder + "], got " + order);
    }
  }
}
