package dev.sparseattn.trainer.bench;

import com.typesafe.config.ConfigFactory;
import dev.sparseattn.trainer.train.TrainConfig;

/**
 * The long-context genomics shape that issue #13's benchmarks ({@link BenchShapes}, {@code ServeBenchmark}) measure,
 * pinned here: it was {@code conf/genomics-ecoli.conf}'s model until that recipe moved to a shape that trains in
 * about an hour of one core (issue #12), and the benchmarks must keep measuring the same model. Reformer-style
 * (Kitaev et al. 2020): 6 reversible layers, d 128, 4 heads, ffn 512, sliding window 128 alternating with LSH (2
 * hashes, 32 buckets, chunks of 128), axial positions, tied embeddings, feed-forward and loss chunks of 1,024,
 * dropout 0.05, batch 4 of 4,096 tokens, clipping 1.0.
 */
public final class GenomicsLongContext {
  /** Context length of the shape (single bases). */
  public static final int SEQ_LEN = 4096;

  private static final String TRAIN = """
      train {
        data = "unused"
        output = "unused"
        model {
          d-model = 128
          heads = 4
          layers = 6
          ffn-hidden = 512
          attention = [
            { kind = sliding-window, window = 128 },
            { kind = lsh, hashes = 2, buckets = 32, chunk = 128, seed = 1 }
          ]
          residual = reversible
          positions = axial
          tied-embeddings = true
          ffn-chunk = 1024
          loss-chunk = 1024
          dropout = 0.05
        }
        optim { learning-rate = 1e-3, warmup-steps = 100, min-lr-fraction = 0.1, gradient-clip = 1.0 }
        batch-size = 4
        steps = 2000
        seed = 1
      }
      """;

  private GenomicsLongContext() {}

  /** The shape as a parsed {@code train} section (data and output are placeholders). */
  public static TrainConfig train() {
    return TrainConfig.parse(ConfigFactory.parseString(TRAIN).resolve());
  }

  /**
   * The same shape with the sliding window (128) in every layer instead of alternating with LSH: the computation of
   * the PyTorch peer's genomics model, so that a comparison separates the LSH layers' cost from the rest.
   */
  public static TrainConfig slidingWindowOnly() {
    String everyLayer = "train.model.attention = [{ kind = sliding-window, window = 128 }]";
    return TrainConfig.parse(ConfigFactory.parseString(everyLayer).withFallback(ConfigFactory.parseString(TRAIN)).resolve());
  }
}
