package dev.sparseattn.trainer.eval.forecast;

/**
 * A probabilistic forecast of one series over {@code H} steps: a point forecast and, for each quantile
 * level, the forecast quantiles. Values are in the series' original units; NaN means no forecast.
 *
 * @param point point forecast, {@code [H]}
 * @param levels quantile levels in (0, 1), {@code [Q]}
 * @param quantiles forecast quantiles, {@code [Q][H]}
 */
public record QuantileForecast(double[] point, double[] levels, double[][] quantiles) {
  /** The levels of Chronos' weighted quantile loss (Ansari et al. 2024): 0.1, 0.2, ..., 0.9. */
  public static final double[] DECILES = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};

  public QuantileForecast {
    if (quantiles.length != levels.length) {
      throw new IllegalArgumentException(levels.length + " levels but " + quantiles.length + " quantile rows");
    }
    for (int q = 0; q < levels.length; q++) {
      if (!(levels[q] > 0 && levels[q] < 1) || quantiles[q].length != point.length) {
        throw new IllegalArgumentException("level " + levels[q] + " must be in (0, 1) with " + point.length
            + " quantiles, got " + quantiles[q].length);
      }
    }
  }

  /** Number of steps. */
  public int horizon() {
    return point.length;
  }

  /**
   * A Gaussian forecast: quantile {@code point[h] + sigma[h] * z(level)}; with sigma 0 every quantile is
   * the point forecast.
   */
  public static QuantileForecast gaussian(double[] point, double[] sigma, double[] levels) {
    double[][] quantiles = new double[levels.length][point.length];
    for (int q = 0; q < levels.length; q++) {
      double z = normalQuantile(levels[q]);
      for (int h = 0; h < point.length; h++) {
        quantiles[q][h] = sigma[h] == 0 ? point[h] : point[h] + sigma[h] * z;
      }
    }
    return new QuantileForecast(point, levels, quantiles);
  }

  /**
   * The standard normal quantile function, by Acklam's rational approximation (P. J. Acklam, "An
   * algorithm for computing the inverse normal cumulative distribution function", 2003; relative error
   * below 1.15e-9) with one Halley refinement step, which brings it to about 1e-15.
   */
  public static double normalQuantile(double p) {
    if (!(p > 0 && p < 1)) {
      throw new IllegalArgumentException("p must be in (0, 1), got " + p);
    }
    double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
        1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
        6.680131188771972e+01, -1.328068155288572e+01};
    double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
        -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
    double x;
    if (p < 0.02425) {
      double q = Math.sqrt(-2 * Math.log(p));
      x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
          / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - 0.02425) {
      double q = p - 0.5;
      double r = q * q;
      x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
          / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
      double q = Math.sqrt(-2 * Math.log(1 - p));
      x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
          / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    // Halley step on Phi(x) - p, with Phi through erfc
    double e = 0.5 * erfc(-x / Math.sqrt(2)) - p;
    double u = e * Math.sqrt(2 * Math.PI) * Math.exp(x * x / 2);
    return x - u / (1 + x * u / 2);
  }

  /**
   * The complementary error function by the Chebyshev expansion of Press et al., Numerical Recipes,
   * 3rd ed., section 6.2.2 ({@code Erf::erfccheb}), accurate to about double precision.
   */
  static double erfc(double x) {
    double z = Math.abs(x);
    double t = 2 / (2 + z);
    double ty = 4 * t - 2;
    double[] cof = {-1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2,
        -9.561514786808631e-3, -9.46595344482036e-4, 3.66839497852761e-4, 4.2523324806907e-5,
        -2.0278578112534e-5, -1.624290004647e-6, 1.303655835580e-6, 1.5626441722e-8, -8.5238095915e-8,
        6.529054439e-9, 5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11, 2.394038e-12,
        -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17,
        1.21e-16, -2.8e-17};
    double d = 0;
    double dd = 0;
    for (int j = cof.length - 1; j > 0; j--) {
      double tmp = d;
      d = ty * d - dd + cof[j];
      dd = tmp;
    }
    double r = t * Math.exp(-z * z + 0.5 * (cof[0] + ty * d) - dd);
    return x >= 0 ? r : 2 - r;
  }
}
