package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.config.Section;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.attention.AttentionSpec.Kind;
import java.util.List;

/**
 * Reads one attention pattern of {@code train.model.attention} into an {@link AttentionSpec}. A language
 * model is causal, so every pattern is built causal. Keys a pattern does not use keep their defaults.
 *
 * <pre>
 * attention = [ { kind = sliding-window, window = 64, dilations = [1, 2], global = [0] } ]   # all layers
 * attention = [ { kind = sliding-window, window = 32 }, { kind = lsh, hashes = 2, buckets = 16, chunk = 32 } ]
 * </pre>
 */
final class AttentionConfig {
  private AttentionConfig() {}

  static AttentionSpec parse(Section s) {
    Kind kind = s.choice("kind", Kind.class, Kind.DENSE);
    AttentionSpec spec = new AttentionSpec(kind, true,
        s.integer("window", kind == Kind.BIGBIRD ? 1 : 64, 0, 1 << 20),
        s.integer("block-size", 0, 0, 1 << 20),
        s.integers("dilations", List.of()),
        s.integers("global", List.of()),
        s.integer("stride", 64, 0, 1 << 20),
        s.integer("summary", 1, 0, 1 << 20),
        s.bool("summary-per-head", false),
        s.integer("random-blocks", kind == Kind.BIGBIRD ? 2 : 0, 0, 1 << 10),
        s.integer("hashes", 2, 0, 64),
        s.integer("buckets", 16, 0, 1 << 16),
        s.integer("chunk", 64, 0, 1 << 20),
        s.longValue("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE));
    for (int d : spec.dilations()) {
      s.check(d >= 1, "dilations", "must all be >= 1, got " + spec.dilations());
    }
    s.check(kind != Kind.LSH || spec.nBuckets() >= 1 && spec.nHashes() >= 1 && spec.chunk() >= 1, "buckets",
        "LSH needs hashes, buckets and chunk >= 1");
    s.check(kind != Kind.STRIDED && kind != Kind.FIXED || spec.stride() >= 1, "stride", "must be >= 1 for " + kind);
    return spec;
  }
}
