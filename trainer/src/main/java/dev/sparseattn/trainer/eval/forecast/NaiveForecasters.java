package dev.sparseattn.trainer.eval.forecast;

/**
 * The baseline forecasters of a series from its context (missing values NaN), each with Gaussian
 * prediction quantiles whose spread grows with the horizon as in Hyndman and Athanasopoulos,
 * "Forecasting: Principles and Practice", 3rd ed., section 5.5 (benchmark methods' h-step standard
 * deviations, from the in-sample residuals' root mean square sigma):
 *
 * <ul>
 *   <li>{@link #persistence}: the last observed value; sigma_h = sigma * sqrt(h) (random walk);
 *   <li>{@link #seasonalNaive}: the value one season (m steps) before, or whole seasons further back
 *       when that one is missing; sigma_h = sigma * sqrt(k) with k the seasons reached back;
 *   <li>{@link #seasonalTrend}: seasonal naive plus a straight line fitted by least squares to the
 *       context (one intercept per seasonal phase, a common slope), extrapolated over the gap between
 *       the source value and the target; residuals and spread as for seasonal naive after removing the
 *       trend.
 * </ul>
 * A step with no usable source value is NaN. A context without a single observed value gives NaN
 * forecasts throughout.
 */
public final class NaiveForecasters {
  private NaiveForecasters() {}

  /** Repeats the last observed value. */
  public static QuantileForecast persistence(double[] context, int horizon, double[] levels) {
    int last = lastObserved(context, context.length);
    double[] point = new double[horizon];
    double[] sigma = new double[horizon];
    double s = rms(context, 1, 0);
    for (int h = 1; h <= horizon; h++) {
      point[h - 1] = last < 0 ? Double.NaN : context[last];
      // the random walk's spread grows from the last observation, which may lie before the context end
      sigma[h - 1] = s * Math.sqrt(h + context.length - 1 - Math.max(last, 0));
    }
    return QuantileForecast.gaussian(point, sigma, levels);
  }

  /** The value whole seasons before each target step. */
  public static QuantileForecast seasonalNaive(double[] context, int season, int horizon, double[] levels) {
    return seasonal(context, season, horizon, levels, 0);
  }

  /** Seasonal naive plus the context's least-squares linear trend. */
  public static QuantileForecast seasonalTrend(double[] context, int season, int horizon, double[] levels) {
    return seasonal(context, season, horizon, levels, slope(context, season));
  }

  private static QuantileForecast seasonal(double[] context, int season, int horizon, double[] levels, double slope) {
    if (season < 1) {
      throw new IllegalArgumentException("season must be at least 1, got " + season);
    }
    int n = context.length;
    double[] point = new double[horizon];
    double[] sigma = new double[horizon];
    double s = rms(context, season, slope * season);
    for (int h = 1; h <= horizon; h++) {
      int t = n - 1 + h;
      int k = (h - 1) / season + 1;
      while (t - k * season >= 0 && Double.isNaN(context[t - k * season])) {
        k++;
      }
      int src = t - k * season;
      point[h - 1] = src < 0 || Double.isNaN(slope) ? Double.NaN : context[src] + slope * (t - src);
      sigma[h - 1] = s * Math.sqrt(k);
    }
    return QuantileForecast.gaussian(point, sigma, levels);
  }

  /**
   * The in-sample mean absolute error of the lag-m naive forecast, {@code mean |y_t - y_{t-m}|} over
   * the pairs where both are observed: the scale of MASE (Hyndman and Koehler 2006). NaN with no pair.
   */
  public static double seasonalScale(double[] context, int season) {
    double sum = 0;
    int pairs = 0;
    for (int t = season; t < context.length; t++) {
      double d = context[t] - context[t - season];
      if (!Double.isNaN(d)) {
        sum += Math.abs(d);
        pairs++;
      }
    }
    return pairs == 0 ? Double.NaN : sum / pairs;
  }

  /** Root mean square of {@code y_t - y_{t-lag} - drift} over observed pairs; 0 with no pair. */
  private static double rms(double[] y, int lag, double drift) {
    double sum = 0;
    int pairs = 0;
    for (int t = lag; t < y.length; t++) {
      double d = y[t] - y[t - lag] - drift;
      if (!Double.isNaN(d)) {
        sum += d * d;
        pairs++;
      }
    }
    return pairs == 0 ? 0 : Math.sqrt(sum / pairs);
  }

  /**
   * The least-squares slope of the observed values against time with one intercept per seasonal phase
   * (the within-phase regression), so that the seasonal pattern does not bias the trend; 0 when no phase
   * has two observed values, NaN when nothing is observed.
   */
  static double slope(double[] y, int season) {
    double sxy = 0;
    double sxx = 0;
    boolean any = false;
    for (int phase = 0; phase < season; phase++) {
      double st = 0;
      double sy = 0;
      int n = 0;
      for (int t = phase; t < y.length; t += season) {
        if (!Double.isNaN(y[t])) {
          st += t;
          sy += y[t];
          n++;
        }
      }
      if (n == 0) {
        continue;
      }
      any = true;
      double mt = st / n;
      double my = sy / n;
      for (int t = phase; t < y.length; t += season) {
        if (!Double.isNaN(y[t])) {
          sxy += (t - mt) * (y[t] - my);
          sxx += (t - mt) * (t - mt);
        }
      }
    }
    if (!any) {
      return Double.NaN;
    }
    return sxx == 0 ? 0 : sxy / sxx;
  }

  private static int lastObserved(double[] y, int end) {
    for (int i = end - 1; i >= 0; i--) {
      if (!Double.isNaN(y[i])) {
        return i;
      }
    }
    return -1;
  }
}
