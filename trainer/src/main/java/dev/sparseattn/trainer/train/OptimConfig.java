package dev.sparseattn.trainer.train;

import dev.sparseattn.datasets.config.Section;
import java.util.List;
import java.util.Set;

/**
 * Optimisation settings: Adam (Kingma and Ba, 2015) with linear warm-up then cosine decay to
 * {@code minLrFraction * learningRate}; decoupled weight decay (AdamW, Loshchilov and Hutter 2019, see
 * {@link OptimizerStep}); gradient clipping by the L2 norm of the whole model's gradient (the model is
 * one DL4J layer, so DL4J's per-layer clipping is global clipping, as GPT-2's).
 *
 * @param learningRate peak learning rate reached after warm-up
 * @param warmupSteps steps of linear warm-up from 0
 * @param minLrFraction final learning rate as a fraction of the peak, reached at the last step
 * @param beta1 Adam's first-moment decay
 * @param beta2 Adam's second-moment decay
 * @param gradientClip L2 norm threshold of the whole gradient, 0 for none
 * @param weightDecay decoupled weight decay coefficient lambda: each step, {@code w -= lr_t * lambda * w}
 *     (w before the step), 0 for none
 * @param decayExclude parameter roles without decay: {@code bias}, {@code gain} (LayerNorm scales),
 *     {@code embedding} (token and position tables, and so a tied output projection)
 */
public record OptimConfig(double learningRate, int warmupSteps, double minLrFraction, double beta1,
                          double beta2, double gradientClip, double weightDecay, Set<String> decayExclude)
    implements java.io.Serializable {

  /** The parameter roles {@code decay-exclude} may name. */
  public static final List<String> ROLES = List.of("bias", "gain", "embedding");

  /** Settings without weight decay (as before it existed). */
  public OptimConfig(double learningRate, int warmupSteps, double minLrFraction, double beta1, double beta2,
                     double gradientClip) {
    this(learningRate, warmupSteps, minLrFraction, beta1, beta2, gradientClip, 0.0, Set.copyOf(ROLES));
  }

  static OptimConfig parse(Section s) {
    double learningRate = s.number("learning-rate", 3e-3, 1e-7, 1.0);
    int warmup = s.integer("warmup-steps", 50, 0, 10_000_000);
    double minLr = s.number("min-lr-fraction", 0.1, 0.0, 1.0);
    double beta1 = s.number("beta1", 0.9, 0.0, 0.999999);
    double beta2 = s.number("beta2", 0.99, 0.0, 0.999999);
    double clip = s.number("gradient-clip", 1.0, 0.0, 1e6);
    double weightDecay = s.number("weight-decay", 0.0, 0.0, 10.0);
    List<String> exclude = s.strings("decay-exclude", ROLES);
    for (String role : exclude) {
      s.check(ROLES.contains(role), "decay-exclude", "unknown parameter role '" + role + "'; roles: " + ROLES);
    }
    return new OptimConfig(learningRate, warmup, minLr, beta1, beta2, clip, weightDecay, Set.copyOf(exclude));
  }
}
