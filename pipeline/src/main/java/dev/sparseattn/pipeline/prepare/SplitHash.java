package dev.sparseattn.pipeline.prepare;

import dev.sparseattn.datasets.read.DocLine;
import dev.sparseattn.datasets.manifest.Split;
import java.io.Serializable;

/**
 * The train/validation assignment of a document, a pure function of (seed, file index, document
 * offset): independent of partitioning, packing chunks, file system and block size. A whole document
 * goes to one split (rows of one document never land in both); documents sharing an offset (a FASTA
 * window and its reverse complement, the variables of a time-series window) share the split. The
 * three numbers are chained through the SplitMix64 finalizer; the top 53 bits of the result are a
 * uniform number u in [0, 1) and the document is validation when u &lt; validation-fraction, test when
 * validation-fraction &lt;= u &lt; validation-fraction + test-fraction (so adding a test split leaves the
 * validation documents as they were and takes the test documents from train). Time
 * series do not use it: their reader splits them by time ({@link DocLine#split()}). Changing this
 * function changes every prepared dataset's split.
 */
public final class SplitHash implements Serializable {
  private static final long serialVersionUID = 2L;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final long seed;
  private final double validationFraction;
  private final double testFraction;

  /** Train and validation only. */
  public SplitHash(long seed, double validationFraction) {
    this(seed, validationFraction, 0);
  }

  public SplitHash(long seed, double validationFraction, double testFraction) {
    this.seed = seed;
    this.validationFraction = validationFraction;
    this.testFraction = testFraction;
  }

  /** The split of a document at {@code offset} (see {@link DocLine#offset()}) of input file {@code file}. */
  public Split split(int file, long offset) {
    if (validationFraction <= 0 && testFraction <= 0) {
      return Split.TRAIN;
    }
    long h = mix(seed + GOLDEN);
    h = mix(h ^ mix(file + GOLDEN));
    h = mix(h ^ mix(offset + 2 * GOLDEN));
    double u = (h >>> 11) * 0x1.0p-53;
    return u < validationFraction ? Split.VALIDATION
        : u < validationFraction + testFraction ? Split.TEST : Split.TRAIN;
  }

  /** The split of {@code d}: the reader's choice if it made one, else the hash of its position. */
  public Split split(int file, DocLine d) {
    return d.split() != null ? d.split() : split(file, d.offset());
  }

  /** The SplitMix64 finalizer (Stafford's variant 13): a bijection on 64-bit values. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
