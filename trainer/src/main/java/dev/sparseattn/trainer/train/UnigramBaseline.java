package dev.sparseattn.trainer.train;

/**
 * The unigram baselines a language model must beat, from the token histograms the prepare job
 * writes into the manifest: the entropy of the training split's token distribution, and the
 * cross-entropy of the validation split under that distribution (add-one smoothed), both in bits per
 * token. The padding id is excluded.
 *
 * @param entropyBits entropy of the training distribution
 * @param crossEntropyBits validation tokens' cross-entropy under the training distribution
 */
public record UnigramBaseline(double entropyBits, double crossEntropyBits) {

  /** Computes both figures; histograms are indexed by token id. */
  public static UnigramBaseline of(long[] train, long[] validation, int padId) {
    double trainTotal = 0;
    double smoothedTotal = 0;
    for (int i = 0; i < train.length; i++) {
      if (i != padId) {
        trainTotal += train[i];
        smoothedTotal += train[i] + 1;
      }
    }
    double entropy = 0;
    double cross = 0;
    double validationTotal = 0;
    for (int i = 0; i < train.length; i++) {
      if (i == padId) {
        continue;
      }
      if (train[i] > 0) {
        double p = train[i] / trainTotal;
        entropy -= p * log2(p);
      }
      long v = i < validation.length ? validation[i] : 0;
      validationTotal += v;
      cross -= v * log2((train[i] + 1) / smoothedTotal);
    }
    return new UnigramBaseline(entropy, validationTotal == 0 ? Double.NaN : cross / validationTotal);
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
