package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.config.Section;

/**
 * Optimisation settings: Adam (Kingma and Ba, 2015) with linear warm-up then cosine decay to
 * {@code minLrFraction * learningRate}, and gradient clipping by the L2 norm of the whole model's gradient (the model
 * is one DL4J layer, so DL4J's per-layer clipping is global clipping, as GPT-2's).
 *
 * @param learningRate peak learning rate reached after warm-up
 * @param warmupSteps steps of linear warm-up from 0
 * @param minLrFraction final learning rate as a fraction of the peak, reached at the last step
 * @param beta1 Adam's first-moment decay
 * @param beta2 Adam's second-moment decay
 * @param gradientClip L2 norm threshold of the whole gradient, 0 for none
 */
public record OptimConfig(double learningRate, int warmupSteps, double minLrFraction, double beta1,
                          double beta2, double gradientClip) {

  static OptimConfig parse(Section s) {
    return new OptimConfig(
        s.number("learning-rate", 3e-3, 1e-7, 1.0),
        s.integer("warmup-steps", 50, 0, 10_000_000),
        s.number("min-lr-fraction", 0.1, 0.0, 1.0),
        s.number("beta1", 0.9, 0.0, 0.999999),
        s.number("beta2", 0.99, 0.0, 0.999999),
        s.number("gradient-clip", 1.0, 0.0, 1e6));
  }
}
