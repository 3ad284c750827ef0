package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.config.Section;

/**
 * The model's size as the user configures it. Vocabulary size and context length are not here: they
 * come from the dataset's manifest, so a model always matches the shards it trains on.
 *
 * @param dModel width of the residual stream
 * @param heads attention heads (must divide {@code dModel})
 * @param layers transformer blocks
 * @param ffnHidden hidden width of each feed-forward block
 */
public record ModelShape(int dModel, int heads, int layers, int ffnHidden) {

  static ModelShape parse(Section s) {
    int d = s.integer("d-model", 128, 8, 65_536);
    int h = s.integer("heads", 4, 1, 1024);
    s.check(d % h == 0, "heads", "must divide model.d-model (" + d + "), got " + h);
    int layers = s.integer("layers", 2, 1, 1024);
    int ffn = s.integer("ffn-hidden", 4 * d, 1, 1 << 20);
    return new ModelShape(d, h, layers, ffn);
  }
}
