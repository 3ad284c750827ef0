package dev.sparseattn.trainer.generate;

import java.util.Arrays;
import java.util.Random;

/**
 * Picks the next token from log-probabilities: temperature, then top-k, then top-p (nucleus sampling, Holtzman et
 * al. 2020, "The Curious Case of Neural Text Degeneration": the smallest set of most likely tokens whose probability
 * reaches {@code p}); temperature 0 is greedy decoding. Seeded: one sampler per sequence gives the same choices
 * whatever else is decoded beside it.
 */
public final class TokenSampler {
  private final double temperature;
  private final int topK;
  private final double topP;
  private final Random random;
  private double[] weights = new double[0];
  private Integer[] order = new Integer[0];
  private double lastTotal = Double.NaN;   // the weights' total of the last draw; NaN before one, 0 after a greedy one
  private int lastBest = -1;

  /**
   * @param temperature >= 0; 0 = greedy
   * @param topK        keep the k most likely tokens, 0 = all
   * @param topP        keep the nucleus of probability {@code topP} in (0, 1]; 1 = all
   */
  public TokenSampler(double temperature, int topK, double topP, long seed) {
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("top-k must be >= 0 (0 = all), got " + topK);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
    }
    this.temperature = temperature;
    this.topK = topK;
    this.topP = topP;
    this.random = new Random(seed);
  }

  /** Temperature and top-k only. */
  public TokenSampler(double temperature, int topK, long seed) {
    this(temperature, topK, 1.0, seed);
  }

  /** Index of the chosen token; tokens in {@code banned} are never chosen. */
  public int next(double[] logProbs, int... banned) {
    int n = logProbs.length;
    if (weights.length != n) {
      weights = new double[n];
    }
    double max = Double.NEGATIVE_INFINITY;
    int best = -1;
    for (int i = 0; i < n; i++) {
      weights[i] = logProbs[i];
    }
    for (int b : banned) {
      weights[b] = Double.NEGATIVE_INFINITY;
    }
    for (int i = 0; i < n; i++) {
      if (best < 0 || weights[i] > max) {
        max = weights[i];
        best = i;
      }
    }
    lastBest = best;
    if (temperature == 0) {
      lastTotal = 0;
      return best;
    }
    double total = 0;
    for (int i = 0; i < n; i++) {
      weights[i] = Math.exp((weights[i] - max) / temperature);          // unnormalised, at the temperature
      total += weights[i];
    }
    if (topK > 0 && topK < n || topP < 1) {
      total = truncate();
    }
    lastTotal = total;
    double u = random.nextDouble() * total;
    for (int i = 0; i < n; i++) {
      u -= weights[i];
      if (u <= 0 && weights[i] > 0) {
        return i;
      }
    }
    return best;
  }

  /**
   * Adds {@code weight} times the distribution the last {@link #next} drew from (after the ban, the temperature,
   * top-k and top-p; a point mass for greedy decoding) to {@code into}, for the ids below {@code into.length}.
   *
   * @throws IllegalStateException before the first draw
   */
  public void addLastDistribution(double[] into, double weight) {
    if (Double.isNaN(lastTotal)) {
      throw new IllegalStateException("no token drawn yet");
    }
    if (lastTotal == 0) {
      if (lastBest < into.length) {
        into[lastBest] += weight;
      }
      return;
    }
    double scale = weight / lastTotal;
    int n = Math.min(into.length, weights.length);
    for (int i = 0; i < n; i++) {
      into[i] += scale * weights[i];
    }
  }

  /** Zeroes the weights outside the top k and outside the nucleus; returns the remaining total. */
  private double truncate() {
    int n = weights.length;
    if (order.length != n) {
      order = new Integer[n];
    }
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    double[] w = weights;
    Arrays.sort(order, (x, y) -> Double.compare(w[y], w[x]) != 0 ? Double.compare(w[y], w[x]) : x - y);
    int keep = topK > 0 ? Math.min(topK, n) : n;
    double kept = 0;
    for (int r = 0; r < keep; r++) {
      kept += w[order[r]];
    }
    double target = topP * kept;
    double cum = 0;
    int r = 0;
    while (r < keep) {
      cum += w[order[r++]];
      if (cum >= target) {
        break;
      }
    }
    double left = 0;
    for (int i = 0; i < n; i++) {
      if (i < r) {
        left += w[order[i]];
      } else {
        w[order[i]] = 0;
      }
    }
    return left;
  }
}
