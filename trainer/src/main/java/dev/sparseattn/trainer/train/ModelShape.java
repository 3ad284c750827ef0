package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.config.Section;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import java.util.List;

/**
 * The model's size as the user configures it. Vocabulary size and context length are not here: they
 * come from the dataset's manifest, so a model always matches the shards it trains on.
 *
 * @param dModel width of the residual stream
 * @param heads attention heads (must divide {@code dModel})
 * @param layers transformer blocks
 * @param ffnHidden hidden width of each feed-forward block
 * @param attention attention pattern: empty for dense causal, one for every layer, or one per layer
 */
public record ModelShape(int dModel, int heads, int layers, int ffnHidden, List<AttentionSpec> attention) {

  static ModelShape parse(Section s) {
    int d = s.integer("d-model", 128, 8, 65_536);
    int h = s.integer("heads", 4, 1, 1024);
    s.check(d % h == 0, "heads", "must divide model.d-model (" + d + "), got " + h);
    int layers = s.integer("layers", 2, 1, 1024);
    int ffn = s.integer("ffn-hidden", 4 * d, 1, 1 << 20);
    List<AttentionSpec> attention = s.sections("attention").stream().map(AttentionConfig::parse).toList();
    s.check(attention.size() <= 1 || attention.size() == layers, "attention",
        "needs one pattern for all layers or one per layer (" + layers + "), got " + attention.size());
    for (AttentionSpec a : attention) {
      s.check(a.dilations().size() <= 1 || a.dilations().size() == h, "attention",
          "dilations need one value or one per head (" + h + "), got " + a.dilations());
    }
    return new ModelShape(d, h, layers, ffn, attention);
  }
}
