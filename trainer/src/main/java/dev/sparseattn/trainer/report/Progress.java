package dev.sparseattn.trainer.report;

import java.io.PrintStream;
import java.time.Duration;

/**
 * Periodic progress lines for long work: position, rate and ETA, e.g.
 * {@code step 120/400 (30%) | loss 2.13 | 12,345 tok/s | elapsed 1m02s | ETA 2m10s}.
 */
public final class Progress {
  private final PrintStream out;
  private final long total;
  private final String unit;
  private final long startedAt;
  private final long startNanos = System.nanoTime();

  public Progress(PrintStream out, long total, String unit) {
    this(out, total, unit, 0);
  }

  /** Progress of work resumed at {@code startedAt} of {@code total}: rates and ETA count only this run. */
  public Progress(PrintStream out, long total, String unit, long startedAt) {
    this.out = out;
    this.total = total;
    this.unit = unit;
    this.startedAt = startedAt;
  }

  /** Seconds since this progress began. */
  public double elapsedSeconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** Prints one line for {@code done} of {@code total} units, with free-form details in the middle. */
  public void report(long done, String details) {
    double elapsed = elapsedSeconds();
    double eta = done <= startedAt ? Double.NaN : elapsed / (done - startedAt) * (total - done);
    out.printf("%s %d/%d (%d%%) | %s | elapsed %s | ETA %s%n", unit, done, total,
        total == 0 ? 100 : done * 100 / total, details, format(elapsed), format(eta));
    out.flush();
  }

  /** {@code 1h02m03s}, {@code 2m10s} or {@code 4.2s}. */
  public static String format(double seconds) {
    if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
      return "?";
    }
    if (seconds < 60) {
      return String.format("%.1fs", seconds);
    }
    Duration d = Duration.ofSeconds(Math.round(seconds));
    return d.toHours() > 0
        ? String.format("%dh%02dm%02ds", d.toHours(), d.toMinutesPart(), d.toSecondsPart())
        : String.format("%dm%02ds", d.toMinutes(), d.toSecondsPart());
  }
}
