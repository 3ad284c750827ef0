package dev.sparseattn.trainer.serve;

/** Chooses the next token of one request from the model's log-probabilities (its own seeded sampler). */
@FunctionalInterface
interface TokenPicker {
  int next(double[] logProbs);
}
