package dev.sparseattn.trainer.sample;

import java.util.Arrays;
import java.util.Random;

/**
 * Picks the next token from a distribution of log-probabilities with temperature and top-k, as in
 * Holtzman et al. (2020) and GPT-2's sampler; temperature 0 is greedy decoding.
 */
public final class TokenSampler {
  private final double temperature;
  private final int topK;
  private final Random random;

  public TokenSampler(double temperature, int topK, long seed) {
    this.temperature = temperature;
    this.topK = topK;
    this.random = new Random(seed);
  }

  /** Index of the chosen token; tokens in {@code banned} are never chosen. */
  public int next(double[] logProbs, int... banned) {
    double[] scores = logProbs.clone();
    for (int b : banned) {
      scores[b] = Double.NEGATIVE_INFINITY;
    }
    if (temperature == 0) {
      return argmax(scores);
    }
    if (topK > 0 && topK < scores.length) {
      double[] sorted = scores.clone();
      Arrays.sort(sorted);
      double kth = sorted[sorted.length - topK];
      for (int i = 0; i < scores.length; i++) {
        if (scores[i] < kth) {
          scores[i] = Double.NEGATIVE_INFINITY;
        }
      }
    }
    double max = Arrays.stream(scores).max().orElseThrow();
    double[] weights = new double[scores.length];
    double total = 0;
    for (int i = 0; i < scores.length; i++) {
      weights[i] = Math.exp((scores[i] - max) / temperature);
      total += weights[i];
    }
    double u = random.nextDouble() * total;
    for (int i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u <= 0 && weights[i] > 0) {
        return i;
      }
    }
    return argmax(scores);
  }

  private static int argmax(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
