package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.manifest.Split;
import java.io.Serializable;

/**
 * The train/validation assignment of a sequence, a pure function of (seed, file index, chunk index,
 * sequence index within the chunk): independent of partitioning, file system and block size. The
 * four numbers are chained through the SplitMix64 finalizer; the top 53 bits of the result are a
 * uniform number u in [0, 1) and the sequence is validation when u &lt; validation-fraction. Changing
 * this function changes every prepared dataset's split.
 */
public final class SplitHash implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final long seed;
  private final double validationFraction;

  public SplitHash(long seed, double validationFraction) {
    this.seed = seed;
    this.validationFraction = validationFraction;
  }

  /** The split of sequence {@code index} of chunk {@code chunk} of input file {@code file}. */
  public Split split(int file, long chunk, long index) {
    if (validationFraction <= 0) {
      return Split.TRAIN;
    }
    long h = mix(seed + GOLDEN);
    h = mix(h ^ mix(file + GOLDEN));
    h = mix(h ^ mix(chunk + 2 * GOLDEN));
    h = mix(h ^ mix(index + 3 * GOLDEN));
    double u = (h >>> 11) * 0x1.0p-53;
    return u < validationFraction ? Split.VALIDATION : Split.TRAIN;
  }

  /** The SplitMix64 finalizer (Stafford's variant 13): a bijection on 64-bit values. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
