package dev.sparseattn.datasets.read;

import java.io.Serializable;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.Period;
import java.time.format.DateTimeParseException;

/**
 * The expected step of a time series: an ISO-8601 period ({@code P1D}, {@code P1M}) or duration
 * ({@code PT1H}); {@link #NONE} disables gap detection.
 */
public record TimeStep(String text, Period period, Duration duration) implements Serializable {
  public static final TimeStep NONE = new TimeStep("", null, null);

  public static TimeStep parse(String text) {
    String t = text.trim();
    if (t.isEmpty()) {
      return NONE;
    }
    try {
      if (t.toUpperCase(java.util.Locale.ROOT).contains("T")) {
        Duration d = Duration.parse(t);
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("step must be positive: " + t);
        }
        return new TimeStep(t, null, d);
      }
      Period p = Period.parse(t);
      if (p.isNegative() || p.isZero()) {
        throw new IllegalArgumentException("step must be positive: " + t);
      }
      return new TimeStep(t, p, null);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  public boolean none() {
    return period == null && duration == null;
  }

  public LocalDateTime next(LocalDateTime t) {
    return period != null ? t.plus(period) : t.plus(duration);
  }
}
