package dev.sparseattn.trainer.train;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Learning rate with linear warm-up to {@code peak} over {@code warmup} steps, then cosine decay to
 * {@code peak * minFraction} at {@code total} steps (as in GPT-2/nanoGPT), constant after that.
 */
public final class WarmupCosineSchedule implements ISchedule {
  private static final long serialVersionUID = 1L;

  // Serialised with the network's configuration by ND4J's shaded Jackson.
  @JsonProperty("peak") private final double peak;
  @JsonProperty("warmup") private final int warmup;
  @JsonProperty("total") private final int total;
  @JsonProperty("minFraction") private final double minFraction;

  /** Saved with the network (DL4J's shaded Jackson reads its fields back through this constructor). */
  public WarmupCosineSchedule(@JsonProperty("peak") double peak, @JsonProperty("warmup") int warmup,
                              @JsonProperty("total") int total, @JsonProperty("minFraction") double minFraction) {
    this.peak = peak;
    this.warmup = warmup;
    this.total = total;
    this.minFraction = minFraction;
  }

  @Override
  public double valueAt(int iteration, int epoch) {
    if (iteration < warmup) {
      return peak * (iteration + 1) / warmup;
    }
    double progress = Math.min(1.0, (iteration - warmup) / (double) Math.max(1, total - warmup));
    double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
    return peak * (minFraction + (1 - minFraction) * cosine);
  }

  @Override
  public ISchedule clone() {
    return new WarmupCosineSchedule(peak, warmup, total, minFraction);
  }

  /**
   * Value equality matters: DL4J groups parameters whose updater configurations are equal into one
   * updater block, and the layout of the saved updater state depends on that grouping.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof WarmupCosineSchedule s && s.peak == peak && s.warmup == warmup && s.total == total
        && s.minFraction == minFraction;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(peak, warmup, total, minFraction);
  }
}
