package dev.sparseattn.trainer.eval.forecast;

/**
 * Forecast accuracy of one series, in the series' original units; steps whose actual value or forecast
 * is missing (NaN) are left out of every sum.
 *
 * <ul>
 *   <li>MAE: mean absolute error of the point forecast;
 *   <li>MASE (Hyndman and Koehler, "Another look at measures of forecast accuracy", 2006): MAE divided
 *       by the in-sample MAE of the seasonal naive forecast on the context
 *       ({@link NaiveForecasters#seasonalScale}), so the seasonal naive method scores about 1 on data
 *       like its context;
 *   <li>WQL, the weighted quantile loss of Chronos (Ansari et al., "Chronos: learning the language of
 *       time series", 2024, following GluonTS): the mean over quantile levels a of
 *       {@code 2 * sum_t QL_a(q_t, y_t) / sum_t |y_t|}, with the pinball loss
 *       {@code QL_a(q, y) = (a - 1{y < q}) * (y - q)}.
 * </ul>
 */
public final class ForecastMetrics {
  private ForecastMetrics() {}

  /** Mean absolute error over the steps where both values are present; NaN with none. */
  public static double mae(double[] actual, QuantileForecast f) {
    double sum = 0;
    int n = 0;
    for (int h = 0; h < actual.length; h++) {
      double e = actual[h] - f.point()[h];
      if (!Double.isNaN(e)) {
        sum += Math.abs(e);
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  /** MAE scaled by the context's seasonal naive in-sample MAE; NaN when that scale is 0 or undefined. */
  public static double mase(double[] context, int season, double[] actual, QuantileForecast f) {
    double scale = NaiveForecasters.seasonalScale(context, season);
    return scale > 0 ? mae(actual, f) / scale : Double.NaN;
  }

  /** The pinball loss of quantile {@code q} at level {@code a} for the value {@code y}. */
  public static double pinball(double a, double q, double y) {
    return (a - (y < q ? 1 : 0)) * (y - q);
  }

  /** Weighted quantile loss over the steps where the actual value and every quantile are present. */
  public static double wql(double[] actual, QuantileForecast f) {
    double[] sums = wqlSums(actual, f, 0, actual.length);
    return sums[1] > 0 ? sums[0] / sums[1] : Double.NaN;
  }

  /**
   * {@code {mean over levels of 2 * sum QL, sum |y|}} over steps {@code [from, to)}: the numerator and
   * denominator of WQL, to be added across series for a pooled figure.
   */
  static double[] wqlSums(double[] actual, QuantileForecast f, int from, int to) {
    double loss = 0;
    double abs = 0;
    int levels = f.levels().length;
    for (int h = from; h < to; h++) {
      if (Double.isNaN(actual[h]) || !present(f, h)) {
        continue;
      }
      for (int q = 0; q < levels; q++) {
        loss += 2 * pinball(f.levels()[q], f.quantiles()[q][h], actual[h]) / levels;
      }
      abs += Math.abs(actual[h]);
    }
    return new double[] {loss, abs};
  }

  private static boolean present(QuantileForecast f, int h) {
    for (double[] q : f.quantiles()) {
      if (Double.isNaN(q[h])) {
        return false;
      }
    }
    return true;
  }

  /**
   * Chronos' aggregate of a method against a baseline: the geometric mean over series of
   * {@code score / baselineScore}; series where either score is NaN, infinite or the baseline's is 0 are
   * left out. NaN when none is left.
   */
  public static double relativeGeometricMean(double[] scores, double[] baselineScores) {
    if (scores.length != baselineScores.length) {
      throw new IllegalArgumentException(scores.length + " scores against " + baselineScores.length);
    }
    double logSum = 0;
    int n = 0;
    for (int i = 0; i < scores.length; i++) {
      double r = scores[i] / baselineScores[i];
      if (Double.isFinite(r) && r > 0) {
        logSum += Math.log(r);
        n++;
      } else if (r == 0 && Double.isFinite(baselineScores[i]) && baselineScores[i] > 0) {
        return 0; // a perfect series makes the geometric mean 0
      }
    }
    return n == 0 ? Double.NaN : Math.exp(logSum / n);
  }
}
