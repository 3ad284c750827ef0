package dev.sparseattn.trainer.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Axis ticks at round values: a step of 1, 2 or 5 times a power of ten (Heckbert 1990, "Nice numbers for graph
 * labels", Graphics Gems), so that a chart's grid reads 10, 15, 20 rather than 11.19, 21.39.
 */
final class Ticks {
  private Ticks() {}

  /** The smallest round step that cuts {@code range} into at most {@code maxTicks} intervals. */
  static double step(double range, int maxTicks) {
    double raw = range / maxTicks;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 5}) {
      if (raw <= m * mag) {
        return m * mag;
      }
    }
    return 10 * mag;
  }

  /** The multiples of {@link #step} in {@code [lo, hi]}, ascending. */
  static List<Double> between(double lo, double hi, int maxTicks) {
    double s = step(hi - lo, maxTicks);
    List<Double> ticks = new ArrayList<>();
    for (long k = (long) Math.ceil(lo / s - 1e-9); k * s <= hi + 1e-9 * s; k++) {
      ticks.add(k * s);
    }
    return ticks;
  }

  /** A tick's label with as many decimals as the step needs (0 for a step of 1 or more). */
  static String label(double value, double step) {
    int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
    String s = String.format(Locale.ROOT, "%." + decimals + "f", value);
    return s.matches("-0(\\.0*)?") ? s.substring(1) : s;
  }
}
